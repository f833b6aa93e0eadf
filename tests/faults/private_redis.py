"""A redis-server of the test's own: flushing, killing or restarting it touches no one else's keys.

The machine's Redis on 6379 is shared with other engineers, so the Redis faults run against this one
(no persistence, like the shared one: a restart comes back empty).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import redis

from tools.stack import free_port, listening


class PrivateRedis:
    """redis-server on a free local port, logging to ``run_dir``."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        log = open(self.run_dir / "redis.log", "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.run_dir)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not listening("127.0.0.1", self.port):
            assert time.monotonic() < deadline, "the private redis-server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: everything it held is gone (it keeps nothing on disk)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def client(self) -> Any:
        return redis.Redis(host="127.0.0.1", port=self.port)

    def flush(self) -> None:
        """FLUSHALL on this private server only."""
        client = self.client()
        try:
            client.flushall()
        finally:
            client.close()

    def close(self) -> None:
        self.kill()
