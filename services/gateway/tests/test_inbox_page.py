"""The gateway refuses an inbox page workflow would refuse, before asking it: one bound, both sides."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from gateway.schemas import InboxQuerySchema
from sunlight.contracts import INBOX_PAGE_MAX


def test_a_page_of_the_most_tasks_workflow_serves_is_asked_for() -> None:
    assert InboxQuerySchema().load({"limit": INBOX_PAGE_MAX})["limit"] == INBOX_PAGE_MAX


@pytest.mark.parametrize("limit", [0, INBOX_PAGE_MAX + 1])
def test_a_page_workflow_would_refuse_is_refused_naming_the_limit(limit: int) -> None:
    with pytest.raises(ValidationError) as refused:
        InboxQuerySchema().load({"limit": limit})
    assert set(refused.value.messages) == {"limit"}
