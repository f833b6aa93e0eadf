"""RPC replies on one kept-open channel per process: transient, unconfirmed, serialized once.

nameko's ``Responder`` builds a kombu ``Connection`` from the URI for every reply, borrows a producer
from a pool, goes through kombu's retry wrapper and serializes the result twice (once to check it can,
once to send it): about a quarter of the CPU a small RPC costs its server, beside the one socket write
the reply needs (make bench-profile). Here a reply is serialized once and written with ``basic_publish``
on a channel kept open for the process, behind a green lock so two replies' frames never interleave.

The reply is what nameko sends: ``{"result", "error"}`` encoded as the request was, to the ``nameko-rpc``
exchange under the request's ``reply_to``, with its ``correlation_id``; non-persistent, as a reply is for
one waiting caller on a queue that dies with it. A link found broken is reopened once; if that fails too
the reply is lost and the caller times out and retries (RPCs are at-least-once).
"""

from __future__ import annotations

import sys
from typing import Any

import eventlet.semaphore
import kombu.serialization
from amqp import Message
from nameko.constants import NON_PERSISTENT
from nameko.exceptions import UnserializableValueError, serialize
from nameko.rpc import get_rpc_exchange

from sunlight.channels import KeptChannel


def reply_body(message: Any, result: Any, exc_info: Any) -> tuple[bytes, str, str, Any, Any]:
    """The reply's body, content type and encoding, and the (result, exc_info) nameko's worker sees.

    A result that cannot be serialized becomes an ``UnserializableValueError`` reply, as nameko does.
    """
    error = serialize(exc_info[1]) if exc_info is not None else None
    serializer = kombu.serialization.registry.type_to_name[message.properties["content_type"]]
    try:
        content_type, encoding, body = kombu.serialization.dumps({"result": result, "error": error}, serializer)
    except Exception:  # noqa: BLE001 - whatever the serializer raises, the caller gets a typed error
        exc_info = sys.exc_info()
        error = serialize(UnserializableValueError(result))
        result = None
        content_type, encoding, body = kombu.serialization.dumps({"result": None, "error": error}, serializer)
    data = body if isinstance(body, bytes) else body.encode(encoding or "utf-8")
    return data, content_type, encoding, result, exc_info


class ReplyChannel:
    """The process's channel for RPC replies."""

    def __init__(self, amqp_uri: str) -> None:
        self.exchange = get_rpc_exchange().name  # nameko's, as configured (made at set-up, not per reply)
        self._link = KeptChannel(amqp_uri, "rpc replies")
        self._lock = eventlet.semaphore.Semaphore(1)

    def send(self, request: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        """Reply to ``request``; returns (result, exc_info) as the worker's outcome. Raises on a lost link."""
        body, content_type, encoding, result, exc_info = reply_body(request, result, exc_info)
        reply = Message(body, content_type=content_type, content_encoding=encoding,
                        correlation_id=request.properties.get("correlation_id"),
                        delivery_mode=NON_PERSISTENT, priority=0)
        reply_to = request.properties["reply_to"]
        with self._lock:
            self._link.using(lambda channel: channel.basic_publish(reply, exchange=self.exchange,
                                                                   routing_key=reply_to))
        return result, exc_info

    def close(self) -> None:
        self._link.close()
