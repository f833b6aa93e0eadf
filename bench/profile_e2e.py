"""``make bench-profile``: py-spy on every service while shop-sign cases run (``BACKEND``, default sqlite).

For finding where a case's CPU goes: each service's samples are summed by frame, inclusive (a frame
counts once per sample it is anywhere on the stack), and the hottest frames of the project's own code
and of the libraries it calls are printed per service. Idle samples (a greenlet hub waiting in epoll)
are left out, so the shares are of the time the service was busy. Writes the raw stacks under var/.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

from bench import cases  # noqa: E402
from bench.e2e import fresh  # noqa: E402
from tools.stack import ROOT, SERVICES, running_stack  # noqa: E402

IDLE = ("do_poll", "Hub.wait", "hub.switch")
SECONDS = int(os.environ.get("PROFILE_SECONDS", "15"))
TOP = int(os.environ.get("PROFILE_TOP", "25"))


def inclusive(raw: Path) -> tuple[Counter[str], int]:
    """Busy samples per frame (counted once per sample), and the number of busy samples."""
    per_frame: Counter[str] = Counter()
    busy = 0
    for line in raw.read_text().splitlines() if raw.exists() else []:
        stack_text, _, count = line.rpartition(" ")
        if not count.isdigit():  # a frame name with a line break in it
            continue
        frames = stack_text.split(";")
        if any(mark in frames[-1] for mark in IDLE):
            continue
        busy += int(count)
        for frame in set(frames):
            per_frame[frame] += int(count)
    return per_frame, busy


def main() -> None:
    backend = os.environ.get("BACKEND", "sqlite")
    spy = Path(sys.executable).with_name("py-spy")
    with running_stack(fresh(ROOT / "var" / f"profile-{backend}"), backend=backend) as stack:
        cases.run(stack, 6, 3, first=900_000)
        spies = {}
        for service in SERVICES:
            pid = next(p.pid for key, p in stack.processes.items() if key.startswith(service))
            out = ROOT / "var" / f"profile-{service}.pyspy"
            spies[service] = (out, subprocess.Popen(
                [str(spy), "record", "-p", str(pid), "-d", str(SECONDS), "-r", "100", "-f", "raw", "-o", str(out),
                 "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        done = 0
        while any(p.poll() is None for _, p in spies.values()):
            per_second, _ = cases.run(stack, 16, 8, first=10_000 + done)
            done += 16
        print(f"{done} cases driven meanwhile, last batch {per_second:.1f} cases/s")
    for service, (out, _) in spies.items():
        per_frame, busy = inclusive(out)
        print(f"\n== {service}: {busy} busy samples")
        for frame, count in per_frame.most_common(TOP):
            print(f"{count / busy:6.1%}  {frame}")


if __name__ == "__main__":
    main()
