"""Which handler failures are a database outage (retried without using up attempts) and which are not."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError

from sunlight.errors import ValidationFailed
from sunlight.messaging import database_outage


def test_a_dropped_or_refused_database_connection_is_an_outage() -> None:
    dropped = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                               connection_invalidated=True)
    refused = OperationalError(None, None, Exception(
        'could not connect to server: Connection refused\n\tIs the server running on host "127.0.0.1"'))
    assert database_outage(dropped) and database_outage(refused)


def test_a_faulty_message_or_statement_is_not_an_outage() -> None:
    assert not database_outage(ValidationFailed("bad event", {"case_number": ["missing"]}))
    assert not database_outage(IntegrityError("INSERT", {}, Exception("duplicate key value")))
    assert not database_outage(OperationalError("SELECT x", {}, Exception("no such column: x")))
