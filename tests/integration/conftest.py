"""A running stack of the five services, once per database backend, shared by a module's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.stack import Stack, running_stack


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """All five services as real processes on a private vhost, with SQLite files or PostgreSQL databases."""
    run_dir: Path = tmp_path_factory.mktemp(f"stack-{request.param}")
    settings = {"EVENT_RETRY_DELAY_MS": "100", "LOG_FORMAT": "json"}
    with running_stack(run_dir, backend=request.param, extra_env=settings) as running:
        yield running
        for service in running.processes:
            # a service that crashed mid-test would make every later failure confusing
            assert running.processes[service].poll() is None, running.log(service)


@pytest.fixture(scope="module")
def rpc(stack: Stack) -> Iterator[Any]:
    with stack.rpc_client(timeout=30) as client:
        yield client
