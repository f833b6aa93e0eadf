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


def test_a_server_out_of_connection_slots_or_restarting_is_an_outage() -> None:
    full = OperationalError(None, None, Exception('connection to server at "127.0.0.1", port 5432 failed: '
                                                  "FATAL:  sorry, too many clients already"))
    starting = OperationalError(None, None, Exception("FATAL:  the database system is starting up"))
    assert database_outage(full) and database_outage(starting)


def test_a_faulty_message_or_statement_is_not_an_outage() -> None:
    assert not database_outage(ValidationFailed("bad event", {"case_number": ["missing"]}))
    assert not database_outage(IntegrityError("INSERT", {}, Exception("duplicate key value")))
    assert not database_outage(OperationalError("SELECT x", {}, Exception("no such column: x")))


def test_every_handler_s_retries_reach_the_shared_retry_queue_over_one_pooled_connection(amqp_uri: str) -> None:
    """Registry's approval retries were dropped when its acceptance handler had declared the queue first.

    Two handlers of one service park failed deliveries in ``retry.<service>``, each through its own
    binding; nameko's publishers share pooled connections, so both go out on the same one here.
    """
    import time

    from kombu import Connection
    from nameko.amqp.publish import Publisher

    from sunlight.messaging import RETRY_EXCHANGE, retry_binding

    handler_queues = ("evt-intake-application.accepted--registry.on_application_accepted",
                      "evt-workflow-case.approved--registry.on_case_approved")
    for handler_queue in handler_queues:
        Publisher(amqp_uri, use_confirms=True, mandatory=True,
                  declare=[RETRY_EXCHANGE, retry_binding("registry", handler_queue)]).publish(
            {"handler": handler_queue}, exchange=RETRY_EXCHANGE, routing_key=handler_queue, expiration=60)

    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        parked = []
        deadline = time.monotonic() + 5
        while len(parked) < 2 and time.monotonic() < deadline:
            message = channel.basic_get("retry.registry", no_ack=True)
            if message is None:
                time.sleep(0.05)
                continue
            parked.append(message.body)
    assert len(parked) == 2, f"only {len(parked)} of the two handlers' retries were parked"
