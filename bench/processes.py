"""What each service process costs: resident memory (at rest, and its peak under load) and CPU seconds.

Read from /proc for the real ``nameko run`` processes the stack started (one per replica).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import eventlet

from tools.stack import Stack

TICKS = os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Resident set size of a process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of stat)


def pids(stack: Stack) -> dict[str, int]:
    """Each running replica's pid, by its key (``workflow``, ``workflow#2`` ...)."""
    return {key: proc.pid for key, proc in stack.processes.items() if proc.poll() is None}


#: what else shares the 2 cores during a run: the bench's own process (the clerks) and the broker
OTHERS = ("driver", "rabbitmq")


def others() -> dict[str, int]:
    """The bench's own pid, and RabbitMQ's (the Erlang VM) when it runs on this machine."""
    found = {"driver": os.getpid()}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:  # gone meanwhile
                continue
            if b"beam.smp" in command and b"rabbit" in command:
                found["rabbitmq"] = int(entry.name)
                break
    return found


@dataclass
class Usage:
    """Per process: RSS when the load began, the peak RSS under it, CPU seconds it used meanwhile."""

    at_rest: dict[str, float] = field(default_factory=dict)
    peak: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    def busiest(self) -> str:
        """The service (first replica's key) that used the most CPU under the load."""
        services = [key for key in self.cpu if key not in OTHERS]
        return max(services, key=lambda key: self.cpu[key]).split("#")[0]


@contextmanager
def watched(stack: Stack, every: float = 0.2) -> Iterator[Usage]:
    """Sample every process while the block runs; the Usage is complete when the block exits."""
    usage = Usage()
    running = {**pids(stack), **others()}
    usage.at_rest = {key: rss_mib(pid) for key, pid in running.items()}
    usage.peak = dict(usage.at_rest)
    started = {key: cpu_seconds(pid) for key, pid in running.items()}
    sampling = True

    def sample() -> None:
        while sampling:
            for key, pid in running.items():
                usage.peak[key] = max(usage.peak[key], rss_mib(pid))
            eventlet.sleep(every)

    sampler = eventlet.spawn(sample)
    try:
        yield usage
    finally:
        sampling = False
        sampler.wait()
        usage.cpu = {key: cpu_seconds(pid) - started[key] for key, pid in running.items()}
