"""RPC without the costs an RPC does not need: a server side that replies transient without a
publisher confirm, and a standalone client that keeps one connection and one reply queue.

Server side: ``from sunlight.rpc import rpc`` instead of nameko's. A reply is for one waiting caller
on a queue that dies with it; persisting it to disk and waiting for the broker to confirm that
(nameko's default) buys nothing. Every entrypoint of a service must use the same decorator (they
share one consumer on the ``rpc-<service>`` queue).

Client side, for callers outside nameko (the gateway, tools, benchmarks) that keeps
one connection and one reply queue for its whole life.

nameko 3.0.0rc11's ``ClusterRpcClient`` opens a new broker connection for every reply it waits for
and publishes every request persistent with a publisher confirm; together they cost a round trip
~13x a raw one (bench/RESULTS.md). Requests here are transient (an RPC nobody answers is retried by
its caller, not by the broker) and published ``mandatory``: a request no service queue takes comes
back as basic.return and raises ``UnknownService`` at once, which is what the confirm was for.

Speaks nameko's wire format: ``{"args", "kwargs"}`` to the ``nameko-rpc`` exchange with routing key
``service.method``; replies ``{"result", "error"}`` to ``reply_to``; errors rebuilt with nameko's
``deserialize`` so typed Sunlight errors arrive as themselves. One client per green thread.

A client kept idle outlives its broker link: after a broker restart or a cut line its connection and
its exclusive reply queue are gone. Each call first looks, without a round trip, whether the link was
closed (``alive``) and if so opens a new connection and a new reply queue before publishing; a call
still waiting on the old link fails at once (``ReplyLost``) instead of after the timeout.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko import config
from nameko.constants import (
    AMQP_URI_CONFIG_KEY,
    DEFAULT_AMQP_URI,
)
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService, deserialize
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc as NamekoRpc
from nameko.rpc import RpcConsumer

from sunlight import acks
from sunlight.channels import BROKER_TROUBLE
from sunlight.errors import SunlightError
from sunlight.replies import ReplyChannel

log = logging.getLogger(__name__)

RPC_EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True, auto_delete=False)


class ReplyLost(RpcTimeout):  # type: ignore[misc]
    """The connection a call was waiting on closed: its reply can no longer come (a timeout, reported early)."""


class RpcClient:
    """``with RpcClient(uri) as rpc: rpc.intake.submit_application({...})``."""

    def __init__(self, uri: str, timeout: float = 30) -> None:
        self.uri = uri
        self.timeout = timeout
        self.reply_key = str(uuid.uuid4())
        self._replies: dict[str, dict[str, Any]] = {}
        self._returned: set[str] = set()
        self._connection: Connection | None = None
        self._link = 0  # which connection of this client's life: a reply is awaited on the one it was sent on

    def start(self) -> RpcClient:
        self._connection = Connection(self.uri)
        self._link += 1
        channel = self._connection.channel()
        queue = Queue(f"rpc.reply-sunlight-{self.reply_key}", exchange=RPC_EXCHANGE, routing_key=self.reply_key,
                      exclusive=True, auto_delete=True, durable=False)
        self._consumer = Consumer(channel, [queue], callbacks=[self._on_reply], no_ack=True, accept=["json"])
        self._consumer.consume()
        self._producer = Producer(channel, exchange=RPC_EXCHANGE, serializer="json", on_return=self._on_return)
        return self

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.release()
            self._connection = None

    def alive(self) -> bool:
        """Whether the connection is still open, read without blocking and without a round trip.

        A link the broker or the network closed shows as end of file on the socket. (A link that died
        silently, with no FIN, shows only when a call on it times out.) Replies already waiting are
        taken on the way, as a wait would take them."""
        connection = self._connection
        if connection is None or not connection.connected:
            return False
        try:
            connection.drain_events(timeout=0)
        except TimeoutError:  # nothing to read: the link is open
            return True
        except (OSError, *connection.connection_errors, *connection.channel_errors):
            return False
        return True

    def restart(self) -> None:
        """A new connection and reply queue; calls in flight on the old one raise ``ReplyLost``."""
        if self._connection is not None:
            self._connection.collect()  # frees the dead link's resources without talking to it
            self._connection = None
        self.reply_key = str(uuid.uuid4())  # replies already taken stay: each is keyed by its own call
        self.start()

    def __enter__(self) -> RpcClient:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def __getattr__(self, service: str) -> _Service:
        if service.startswith("_"):
            raise AttributeError(service)
        return _Service(self, service)

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """One round trip: publish, wait for this call's reply, return the result or raise the error."""
        return self.call_async(service, method, *args, **kwargs).result()

    def call_async(self, service: str, method: str, *args: Any, **kwargs: Any) -> Reply:
        """Publish now, wait later: several calls can be in flight on one client (pipelining)."""
        if self._connection is None:
            self.start()
        elif not self.alive():
            log.info("rpc: the broker link of a kept client closed; reconnecting before %s.%s", service, method)
            self.restart()
        correlation_id = str(uuid.uuid4())
        # no retry: kombu would reconnect the producer alone and the reply queue would stay lost; a
        # failed publish is raised, and the next call starts on a new connection (``alive``)
        self._producer.publish(
            {"args": args, "kwargs": kwargs}, routing_key=f"{service}.{method}", reply_to=self.reply_key,
            correlation_id=correlation_id, mandatory=True, delivery_mode=1,
        )
        return Reply(self, service, correlation_id, self._link)

    def _wait(self, service: str, correlation_id: str, link: int) -> Any:
        deadline = time.monotonic() + self.timeout
        while correlation_id not in self._replies:
            if link != self._link or self._connection is None:
                raise ReplyLost(f"{service}: the connection the call was sent on closed")
            if correlation_id in self._returned:
                self._returned.discard(correlation_id)
                raise UnknownService(service)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RpcTimeout(self.timeout)
            try:
                self._connection.drain_events(timeout=min(remaining, 1.0))
            except TimeoutError:  # socket.timeout is TimeoutError since Python 3.10
                continue
        body = self._replies.pop(correlation_id)
        if body.get("error"):
            raise deserialize(body["error"])
        return body.get("result")

    def _on_reply(self, body: dict[str, Any], message: Any) -> None:
        correlation_id = message.properties.get("correlation_id")
        if correlation_id:
            self._replies[correlation_id] = body

    def _on_return(self, _exception: Any, _exchange: Any, _routing_key: str, message: Any) -> None:
        correlation_id = message.properties.get("correlation_id")
        if correlation_id:
            self._returned.add(correlation_id)


class Reply:
    """A call in flight: ``result()`` waits for its answer (or raises its error)."""

    def __init__(self, client: RpcClient, service: str, correlation_id: str, link: int) -> None:
        self._client, self._service, self._correlation_id, self._link = client, service, correlation_id, link

    def result(self) -> Any:
        return self._client._wait(self._service, self._correlation_id, self._link)  # noqa: SLF001 - its own client


class _Method:
    def __init__(self, client: RpcClient, service: str, method: str) -> None:
        self._client, self._service, self._method = client, service, method

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._client.call(self._service, self._method, *args, **kwargs)

    def call_async(self, *args: Any, **kwargs: Any) -> Reply:
        return self._client.call_async(self._service, self._method, *args, **kwargs)


class _Service:
    def __init__(self, client: RpcClient, name: str) -> None:
        self._client, self._name = client, name

    def __getattr__(self, method: str) -> _Method:
        if method.startswith("_"):
            raise AttributeError(method)
        return _Method(self._client, self._name, method)


class TransientReplyRpcConsumer(RpcConsumer):  # type: ignore[misc]
    """nameko's shared RPC consumer, replying on a kept-open channel (sunlight.replies); requests acked together."""

    def setup(self) -> None:
        super().setup()
        self.replies = ReplyChannel(self.amqp_uri)

    def stop(self) -> None:
        super().stop()
        self.replies.close()

    def handle_message(self, body: Any, message: Any) -> None:
        acks.received(message)
        super().handle_message(body, message)

    def handle_result(self, message: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        try:
            result, exc_info = self.replies.send(message, result, exc_info)
        except (KombuOperationalError, ConnectionError, OSError, *BROKER_TROUBLE):
            # the broker link broke while the worker ran: the caller times out and tries again. Raising
            # here would kill the whole container (and the process) over one lost reply; the request,
            # unacked on a dead channel, is redelivered after reconnection (RPCs are at-least-once).
            log.warning("rpc: reply to %s lost: broker connection is down", message.delivery_info.get(
                "routing_key"), exc_info=True)
            return result, exc_info
        acks.ack(message)  # with the other requests answered in this turn of the event loop (sunlight.acks)
        return result, exc_info


class Rpc(NamekoRpc):  # type: ignore[misc]
    rpc_consumer = TransientReplyRpcConsumer()


rpc = Rpc.decorator


class KeptRpc(DependencyProvider):  # type: ignore[misc]
    """Inside a nameko service, sunlight's kept-open ``RpcClient`` instead of nameko's ``ClusterRpc``.

    ``ClusterRpc`` re-declares its reply queue and waits for a publisher confirm on every request:
    three broker round trips where one does. Here each concurrent worker borrows a started client
    (its connection and reply queue stay open between requests) and gives it back; a client whose
    call failed on the way (timeout, broken connection) is closed, never lent again, so a late reply
    can never be taken for another request's. ``call_all`` puts several calls in flight at once.
    """

    def setup(self) -> None:
        self.uri = str(config.get(AMQP_URI_CONFIG_KEY, DEFAULT_AMQP_URI))
        self.timeout = float(config.get("RPC_TIMEOUT", 30))
        self.idle: list[RpcClient] = []

    def stop(self) -> None:
        while self.idle:
            self.idle.pop().stop()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> KeptRpc:
        return self

    def call_all(self, *calls: tuple[str, str, tuple[Any, ...]]) -> list[Any]:
        """Each ``(service, method, args)`` sent before any answer is awaited; each call's result, or
        the typed error its service answered with (returned, not raised: the caller decides which
        one counts). A failure of the transport itself is raised."""
        client = self.idle.pop() if self.idle else RpcClient(self.uri, timeout=self.timeout).start()
        try:
            replies = [client.call_async(service, method, *args) for service, method, args in calls]
            outcomes = [_outcome(reply) for reply in replies]
        except BaseException:
            client.stop()
            raise
        self.idle.append(client)
        return outcomes


def _outcome(reply: Reply) -> Any:
    try:
        return reply.result()
    except (SunlightError, RemoteError) as answered:  # the service's answer; the client is still in step
        return answered
