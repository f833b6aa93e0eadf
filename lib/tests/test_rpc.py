"""sunlight.rpc against a real broker: answers, typed errors, unknown services and timeouts, and
replies that are transient (a reply is for one waiting caller, not for the disk)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import eventlet
import pytest
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from sunlight.errors import SunlightError, ValidationFailed
from sunlight.rpc import KeptRpc, RpcClient, rpc


class Echo:
    name = "echo"

    @rpc(expected_exceptions=SunlightError)  # type: ignore[misc]
    def echo(self, value: Any, *, twice: bool = False) -> Any:
        return [value, value] if twice else value

    @rpc(expected_exceptions=SunlightError)  # type: ignore[misc]
    def refuse(self) -> None:
        raise ValidationFailed("invalid application", {"applicant.mobile": ["not a mobile number"]})

    @rpc  # type: ignore[misc]
    def slow(self) -> str:
        eventlet.sleep(2)
        return "late"

    @rpc  # type: ignore[misc]
    def unserializable(self) -> object:
        return object()


class Front:
    """A nameko service calling echo through KeptRpc, as the gateway's status lookup does."""

    name = "front"
    kept = KeptRpc()

    @rpc  # type: ignore[misc]
    def both(self, value: Any) -> list[Any]:
        outcomes = self.kept.call_all(("echo", "echo", (value,)), ("echo", "refuse", ()))
        return [o.fields if isinstance(o, SunlightError) else o for o in outcomes]

    @rpc  # type: ignore[misc]
    def one(self, method: str, *args: Any) -> Any:
        return self.kept.call_all(("echo", method, args))[0]


class Recording(RpcClient):
    """Remembers the delivery mode of each reply it receives."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.modes: list[int] = []

    def _on_reply(self, body: dict[str, Any], message: Any) -> None:
        self.modes.append(message.properties.get("delivery_mode"))
        super()._on_reply(body, message)


@pytest.fixture
def echo(amqp_uri: str, container_factory: Callable[..., Any]) -> str:  # the vhost outlives the container
    container = container_factory(Echo, {"AMQP_URI": amqp_uri})
    container.start()
    return amqp_uri


def test_a_call_returns_the_result_with_chinese_intact(echo: str) -> None:
    with RpcClient(echo) as client:
        assert client.echo.echo("浙(2026)杭州市不动产权第0000001号") == "浙(2026)杭州市不动产权第0000001号"
        assert client.echo.echo({"n": 1}, twice=True) == [{"n": 1}, {"n": 1}]


def test_a_refusal_arrives_as_the_same_typed_error_naming_the_field(echo: str) -> None:
    with RpcClient(echo) as client, pytest.raises(ValidationFailed) as refused:
        client.echo.refuse()
    assert refused.value.fields == {"applicant.mobile": ["not a mobile number"]}


def test_a_service_nobody_runs_is_reported_at_once_not_after_the_timeout(echo: str) -> None:
    with RpcClient(echo, timeout=20) as client, pytest.raises(UnknownService):
        client.registry.ping()


def test_a_slow_answer_times_out_and_the_next_call_still_works(echo: str) -> None:
    with RpcClient(echo, timeout=0.5) as client:
        with pytest.raises(RpcTimeout):
            client.echo.slow()
        eventlet.sleep(2)  # the late reply arrives and is dropped, not handed to the next caller
        assert client.echo.echo(7) == 7


def test_replies_are_transient(echo: str) -> None:
    with Recording(echo) as client:
        client.echo.echo(1)
    assert client.modes == [1]


def test_several_calls_in_flight_on_one_client_each_get_their_own_answer(echo: str) -> None:
    with RpcClient(echo) as client:
        replies = [client.echo.echo.call_async(n) for n in range(20)]  # pipelined: all sent before any answer
        assert [reply.result() for reply in reversed(replies)] == list(reversed(range(20)))


@pytest.fixture
def front(echo: str, container_factory: Callable[..., Any]) -> str:
    container = container_factory(Front, {"AMQP_URI": echo, "RPC_TIMEOUT": 0.5})
    container.start()
    return echo


def test_inside_a_service_calls_in_flight_together_each_bring_their_answer_or_typed_error(front: str) -> None:
    with RpcClient(front) as client:
        for n in range(3):  # the second and third requests borrow the client the first one opened
            assert client.front.both(f"第{n}号") == [f"第{n}号", {"applicant.mobile": ["not a mobile number"]}]


def test_inside_a_service_a_timed_out_call_is_reported_and_the_next_request_gets_its_own_answer(
        front: str) -> None:
    with RpcClient(front, timeout=10) as client:
        with pytest.raises(Exception, match="RpcTimeout"):
            client.front.one("slow")
        eventlet.sleep(2)  # the late "late" arrives on a client that was closed, not lent again
        assert client.front.one("echo", 7) == 7


def test_a_kept_client_whose_broker_link_was_cut_reconnects_on_the_next_call_without_waiting(echo: str) -> None:
    from tests.faults.conftest import through
    from tests.faults.proxy import fault_proxy

    with fault_proxy("127.0.0.1", 5672) as link, RpcClient(through(echo, link.port), timeout=20) as client:
        assert client.echo.echo(1) == 1
        link.cut(refuse=False)  # the link closes while the client sits idle, as on a broker restart
        eventlet.sleep(0.5)
        started = time.monotonic()
        assert client.echo.echo(2) == 2
        assert time.monotonic() - started < 3, "answered on a new connection, not after the 20 s timeout"
        replies = [client.echo.echo.call_async(n) for n in range(5)]
        assert [reply.result() for reply in replies] == list(range(5)), "each call its own answer afterwards"


def test_a_call_waiting_on_a_link_that_closed_fails_at_once_and_the_client_goes_on(echo: str) -> None:
    from tests.faults.conftest import through
    from tests.faults.proxy import fault_proxy

    with fault_proxy("127.0.0.1", 5672) as link, RpcClient(through(echo, link.port), timeout=20) as client:
        waiting = client.echo.slow.call_async()
        link.cut(refuse=False)
        eventlet.sleep(0.5)
        started = time.monotonic()
        with pytest.raises((RpcTimeout, OSError)):  # the lost link, reported now, not after 20 s
            waiting.result()
        assert time.monotonic() - started < 3
        assert client.echo.echo("next") == "next"


def test_a_result_that_cannot_be_sent_arrives_as_a_typed_error_and_the_service_goes_on(echo: str) -> None:
    with RpcClient(echo) as client:
        with pytest.raises(RemoteError, match="UnserializableValueError"):
            client.echo.unserializable()
        assert client.echo.echo("after") == "after"


def test_a_service_whose_reply_link_the_broker_closed_replies_on_a_new_one(
    amqp_uri: str, container_factory: Callable[..., Any]
) -> None:
    from tests.faults.conftest import through
    from tests.faults.proxy import fault_proxy

    with fault_proxy("127.0.0.1", 5672) as link:
        # the service's links go through the proxy; the client's go straight to the broker
        container = container_factory(Echo, {"AMQP_URI": through(amqp_uri, link.port)})
        container.start()
        with RpcClient(amqp_uri, timeout=20) as client:
            assert client.echo.echo(1) == 1
            link.cut(refuse=False)  # every link of the service closes, as on a broker restart
            answered = None
            deadline = time.monotonic() + 30
            while answered is None and time.monotonic() < deadline:  # its consumer reconnects on its own
                with RpcClient(amqp_uri, timeout=2) as fresh, contextlib.suppress(RpcTimeout):
                    answered = fresh.echo.echo(2)
            assert answered == 2
