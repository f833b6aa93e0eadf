"""A broker cut without a proxy in the data path: close every connection of the stack's own vhost.

The fault proxy (tests.faults.proxy) pumps every byte between the services and RabbitMQ through
Python threads in the test process; under a sustained load it becomes the bottleneck. A module that
only needs the link cut and healed (not latency) sets ``BROKER_LINK = "vhost"``: the services then
reach RabbitMQ directly, and the cut closes every connection of the stack's private vhost, and keeps
closing whatever connects again every ``every`` seconds until heal: a link that keeps dropping.
Only the test's own vhost is touched, never the shared broker's configuration or any other vhost.

(Refusing new connections with a vhost connection limit of 0 was tried: RabbitMQ then answers
``530 NOT_ALLOWED``, which kombu counts as irrecoverable, and a service exits instead of retrying.
That is a different fault from a cut line, left out here and reported.)
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from urllib.parse import unquote, urlsplit


class VhostCut:
    """``cut`` and ``heal`` as FaultProxy has them, on the vhost of ``amqp_uri``."""

    def __init__(self, amqp_uri: str) -> None:
        self.vhost = unquote(urlsplit(amqp_uri).path.lstrip("/"))
        if not self.vhost or self.vhost == "/":
            raise RuntimeError("a vhost cut needs the stack's private vhost, never the shared '/'")
        ctl = shutil.which("rabbitmqctl")
        if ctl is None:
            raise RuntimeError("rabbitmqctl is needed to cut a vhost's connections")
        self.ctl = ctl
        self.cut_count = 0
        self._healed = threading.Event()
        self._keeper: threading.Thread | None = None

    def _run(self, *args: str) -> str:
        done = subprocess.run([self.ctl, "-q", *args], capture_output=True, text=True, timeout=60, check=True)
        return done.stdout

    def open_connections(self) -> int:
        return len([line for line in self._run("list_connections", "-p", self.vhost, "pid").splitlines()
                    if line.strip()])

    def cut(self, *, refuse: bool = True, every: float = 0.5) -> int:
        """Close every connection of the vhost; with ``refuse`` keep closing new ones until heal. Returns how many."""
        count = self.open_connections()
        self._close_all()
        self.cut_count += 1
        if refuse:
            self._healed.clear()
            self._keeper = threading.Thread(target=self._keep_cutting, args=(every,), daemon=True)
            self._keeper.start()
        return count

    def heal(self) -> None:
        self._healed.set()
        if self._keeper is not None:
            self._keeper.join(30)
            self._keeper = None

    def _keep_cutting(self, every: float) -> None:
        while not self._healed.wait(every):
            self._close_all()

    def _close_all(self) -> None:
        self._run("close_all_connections", "-p", self.vhost, "fault test: broker link cut")
