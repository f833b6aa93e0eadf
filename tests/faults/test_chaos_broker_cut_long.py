"""make chaos: the broker link cut for longer than the services' reconnect back-off, on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults.conftest import FaultyStack
from tests.faults.test_broker_cut import cut_the_broker_link

pytestmark = [pytest.mark.fault, pytest.mark.chaos, pytest.mark.integration]

BACKEND = "postgresql"


def test_a_thirty_second_broker_outage_on_postgresql_loses_nothing(faulty: FaultyStack, rpc: Any) -> None:
    cut_the_broker_link(faulty, rpc, 30)
