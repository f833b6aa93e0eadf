"""The gateway's HTTP server, with limits a broken or hostile client cannot get past.

nameko's web server reads whatever body a client declares and waits for a slow client for ever. Here a
body over ``HTTP_MAX_BODY_BYTES`` is refused with 413 before it is read, and a client that does not
finish its request line, headers or body within ``HTTP_CLIENT_TIMEOUT_SECONDS`` gets 408 and the line
is closed, so neither can hold a green thread or the memory of the process.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from nameko import config
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024  # the portal's uploads of scanned materials fit
DEFAULT_CLIENT_TIMEOUT_SECONDS = 10.0

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def refusal(status: str, error: str, **detail: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    """A JSON refusal that closes the line (whatever the client still sends is not read)."""
    body = json.dumps({"error": error, **detail}, ensure_ascii=False).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close")]
    return status, headers, body


class BodyLimit:
    """WSGI middleware: the whole body is read here, within the limit and the client timeout, or refused."""

    def __init__(self, app: WsgiApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        declared = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if declared.isdigit() and int(declared) > self.max_bytes:
            return self._refuse(start_response, *self._too_large())
        if declared.isdigit() or chunked:
            try:
                body = environ["wsgi.input"].read(self.max_bytes + 1 if chunked else int(declared))
            except TimeoutError:
                log.warning("refused a request whose body did not arrive in time: %s %s",
                            environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
                return self._refuse(start_response, *refusal("408 Request Timeout", "request body too slow"))
            if len(body) > self.max_bytes:
                return self._refuse(start_response, *self._too_large())
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)

    def _too_large(self) -> tuple[str, list[tuple[str, str]], bytes]:
        return refusal("413 Content Too Large", "request body too large", limit_bytes=self.max_bytes)

    @staticmethod
    def _refuse(start_response: StartResponse, status: str, headers: list[tuple[str, str]],
                body: bytes) -> list[bytes]:
        start_response(status, headers)
        return [body]


class TimelyProtocol(HttpOnlyProtocol):  # type: ignore[misc]
    """A request line or headers not finished within the client timeout: 408, and the line is closed."""

    def _read_request_line(self) -> Any:
        try:
            return super()._read_request_line()
        except TimeoutError:
            return self._timed_out()

    def parse_request(self) -> bool:
        try:
            return bool(super().parse_request())
        except TimeoutError:
            self._timed_out()
            return False

    def _timed_out(self) -> str:
        status, headers, body = refusal("408 Request Timeout", "request not received in time")
        head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        try:
            self.wfile.write(head.encode() + body)
            self.wfile.flush()
        except OSError:
            pass  # the client is gone as well
        self.close_connection = 1
        return ""  # eventlet reads an empty request line as "close"


class LimitedWebServer(WebServer):  # type: ignore[misc]
    """nameko's WebServer with the body limit and the client timeout."""

    def get_wsgi_app(self) -> Any:
        limit = int(config.get("HTTP_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))
        return BodyLimit(super().get_wsgi_app(), limit)

    def get_wsgi_server(self, sock: Any, wsgi_app: Any, protocol: Any = TimelyProtocol, debug: bool = False) -> Any:
        server = super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)
        # WebServer.run applies it to every accepted connection; eventlet to every read after that
        server.socket_timeout = float(config.get("HTTP_CLIENT_TIMEOUT_SECONDS", DEFAULT_CLIENT_TIMEOUT_SECONDS))
        return server


class LimitedHttp(HttpRequestHandler):  # type: ignore[misc]
    """``@http`` served by the LimitedWebServer (every entrypoint of the gateway must use it)."""

    server = LimitedWebServer()


http = LimitedHttp.decorator
