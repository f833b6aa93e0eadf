"""Run the five services as real processes: for the demo, the integration tests and the benchmarks.

Each service gets its own database (a SQLite file under a run directory, or its own PostgreSQL
database), its own metrics port, and all of them share one RabbitMQ virtual host so a test run
never sees another run's queues.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("intake", "workflow", "registry", "notify", "supervision")
GATEWAY = "gateway"  # the HTTP door: started when a test or the demo asks for it
ALL_SERVICES = (*SERVICES, GATEWAY)
METRICS_PORTS = {"intake": 9101, "workflow": 9102, "registry": 9103, "notify": 9104, "supervision": 9105,
                 "gateway": 9106}
WEB_PORT = 8000
BROKERS = {
    "RabbitMQ": ("127.0.0.1", 5672, "rabbitmq-server -detached"),
    "Redis": ("127.0.0.1", 6379, 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
              "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"),
    "PostgreSQL": ("127.0.0.1", 5432, "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"),
}


def listening(host: str, port: int) -> bool:
    """True when something accepts TCP connections at host:port."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def missing_brokers(names: tuple[str, ...] = ("RabbitMQ", "Redis")) -> list[str]:
    """One line per broker that is not listening, with the command that starts it."""
    return [
        f"{name} is not listening on {host}:{port}; start it with: {command}"
        for name, (host, port, command) in BROKERS.items()
        if name in names and not listening(host, port)
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def python_path() -> str:
    parts = [str(ROOT / "lib"), *(str(ROOT / "services" / name) for name in ALL_SERVICES), str(ROOT)]
    return os.pathsep.join(parts)


def create_vhost(name: str) -> bool:
    """A private RabbitMQ vhost for one run (False: rabbitmqctl unavailable, use '/')."""
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        return False
    made = subprocess.run([ctl, "add_vhost", name], capture_output=True, timeout=60)
    if made.returncode != 0:
        return False
    subprocess.run([ctl, "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
                   capture_output=True, timeout=60, check=True)
    return True


def delete_vhost(name: str) -> None:
    ctl = shutil.which("rabbitmqctl")
    if ctl:
        subprocess.run([ctl, "delete_vhost", name], capture_output=True, timeout=60)


def create_pg_database(name: str) -> str:
    """A fresh PostgreSQL database for one service of one run; returns its URI."""
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"


def drop_pg_database(name: str) -> None:
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


@dataclass
class Stack:
    """A running set of services and where everything of theirs lives."""

    run_dir: Path
    amqp_uri: str
    db_uris: dict[str, str]
    metrics_ports: dict[str, int]
    redis_prefix: str
    web_port: int = WEB_PORT
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    #: intake's and the gateway's shared secret for query code digests (sunlight.querycodes), one per run
    query_code_key: str = field(default_factory=lambda: secrets.token_hex(16))
    #: intake's and notify's shared secret for sealing the query code on the broker (sunlight.seals), one per run
    query_code_seal_key: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def web_url(self) -> str:
        """Where the gateway answers HTTP."""
        return f"http://127.0.0.1:{self.web_port}"

    def env_for(self, service: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "PYTHONPATH": python_path(),
            "AMQP_URI": self.amqp_uri,
            "DB_URI": self.db_uris[service],
            "REDIS_URI": "redis://127.0.0.1:6379/0",
            "REDIS_PREFIX": self.redis_prefix,
            "METRICS_PORT": str(self.metrics_ports[service]),
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{self.web_port}",
            "PYTHONWARNINGS": "ignore",
            "QUERY_CODE_KEY": self.query_code_key,
            "QUERY_CODE_SEAL_KEY": self.query_code_seal_key,
        })
        env.update(extra or {})
        return env

    def start(self, service: str, extra_env: dict[str, str] | None = None, *, replica: int = 1) -> str:
        """Start one replica of a service; replicas after the first share its database and queues.

        Returns the replica's key in ``processes`` and ``metrics_ports``: the service name for the
        first replica, ``workflow#2`` for the second, and so on.
        """
        key = service if replica == 1 else f"{service}#{replica}"
        if key not in self.metrics_ports:
            self.metrics_ports[key] = free_port()
            self.db_uris[key] = self.db_uris[service]
        log = open(self.run_dir / f"{key}.log", "ab")  # noqa: SIM115 - owned by the process
        self.processes[key] = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config",
             str(ROOT / "services" / service / "config.yml"), f"{service}.service"],
            cwd=ROOT, env=self.env_for(key, extra_env), stdout=log, stderr=subprocess.STDOUT,
        )
        return key

    def wait_healthy(self, timeout: float = 90) -> None:
        """Block until every started service answers /healthz (and so has migrated and bound)."""
        deadline = time.monotonic() + timeout
        for service in self.processes:
            url = f"http://127.0.0.1:{self.metrics_ports[service]}/healthz"
            while True:
                proc = self.processes[service]
                if proc.poll() is not None:
                    raise RuntimeError(f"{service} exited ({proc.returncode}); see {self.run_dir}/{service}.log")
                with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{service} not healthy after {timeout}s; see {self.run_dir}/{service}.log")
                time.sleep(0.2)
        time.sleep(0.5)  # consumers bind their queues just after the container starts

    def stop(self, service: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        proc = self.processes.pop(service, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        for service in list(self.processes):
            proc = self.processes[service]
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for service in list(self.processes):
            self.stop(service)

    def rpc_client(self, timeout: float = 30) -> Any:
        """An RPC client on this stack's vhost: one connection and reply queue for its life (sunlight.rpc)."""
        from sunlight.rpc import RpcClient

        return RpcClient(self.amqp_uri, timeout=timeout)

    def log(self, service: str) -> str:
        return (self.run_dir / f"{service}.log").read_text(errors="replace")


def _exit_cleanly_on_sigterm() -> None:
    """SIGTERM (``timeout``, CI cancelling) unwinds like Ctrl-C, so no process or vhost is left behind."""
    import threading

    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) in (
        signal.SIG_DFL, None,
    ):
        def terminate(signum: int, _frame: object) -> None:
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, terminate)


@contextlib.contextmanager
def running_stack(
    run_dir: Path,
    *,
    backend: str = "sqlite",
    private_vhost: bool = True,
    services: tuple[str, ...] = SERVICES,
    default_ports: bool = False,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """Start the services, wait until healthy, and always clean up (processes, vhost, databases)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    _exit_cleanly_on_sigterm()
    tag = uuid.uuid4().hex[:8]
    vhost = f"sunlight-{tag}" if private_vhost and create_vhost(f"sunlight-{tag}") else None
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}" if vhost else "amqp://guest:guest@127.0.0.1:5672/"
    pg_names: list[str] = []
    db_uris: dict[str, str] = {}
    for service in ALL_SERVICES:
        if backend == "postgresql":
            name = f"sunlight_{tag}_{service}"
            db_uris[service] = create_pg_database(name)
            pg_names.append(name)
        else:
            db_uris[service] = f"sqlite:///{run_dir / (service + '.db')}"
    ports = dict(METRICS_PORTS) if default_ports else {s: free_port() for s in ALL_SERVICES}
    stack = Stack(run_dir, amqp_uri, db_uris, ports, redis_prefix=f"sunlight-{tag}",
                  web_port=WEB_PORT if default_ports else free_port())
    try:
        for service in services:
            stack.start(service, extra_env)
        stack.wait_healthy()
        yield stack
    finally:
        stack.stop_all()
        if vhost:
            delete_vhost(vhost)
        for name in pg_names:
            with contextlib.suppress(Exception):
                drop_pg_database(name)
