"""A small TCP proxy a fault test puts between its own services and a shared server (RabbitMQ, PostgreSQL).

The servers on this machine are shared, so a fault is never injected into them: the test points its
services at this proxy and breaks the link instead. It can add latency, cut every open connection,
refuse new ones, and heal. Real OS threads with unpatched sockets pump the bytes: under the test's
eventlet patching, green sockets closed by another green thread left stale readers in the hub, which
then broke the next subprocess the test started ("Second simultaneous read on fileno").
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import eventlet.patcher

socket: Any = eventlet.patcher.original("socket")
threading: Any = eventlet.patcher.original("threading")
time: Any = eventlet.patcher.original("time")


class FaultProxy:
    """Listens on a free local port and forwards each connection to ``target``."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port: int = self.listener.getsockname()[1]
        self.latency = 0.0  # seconds added to every chunk, each direction
        self.refusing = False
        self.accepted = 0
        self.cut_count = 0
        self._lock = threading.Lock()
        self._open: set[Any] = set()
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True, name=f"proxy-{self.port}").start()

    # -- faults ---------------------------------------------------------------------------------
    def cut(self, *, refuse: bool = True) -> int:
        """Close every open connection (both ends); with ``refuse``, also turn away new ones until heal."""
        self.refusing = refuse
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        self.cut_count += 1
        return len(sockets) // 2

    def add_latency(self, seconds: float) -> None:
        self.latency = seconds

    def heal(self) -> None:
        """Accept and forward again, without latency."""
        self.refusing = False
        self.latency = 0.0

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open) // 2

    def close(self) -> None:
        self._closed = True
        self.cut(refuse=True)
        with contextlib.suppress(OSError):
            self.listener.close()

    # -- plumbing -------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()  # the connection is refused as soon as it is made
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            self.accepted += 1
            with self._lock:
                self._open.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: Any, sink: Any) -> None:
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                if self.latency:
                    time.sleep(self.latency)
                sink.sendall(chunk)
        except (OSError, EOFError):
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()


@contextlib.contextmanager
def fault_proxy(host: str, port: int) -> Iterator[FaultProxy]:
    proxy = FaultProxy(host, port)
    try:
        yield proxy
    finally:
        proxy.close()
