"""``make bench-sms``: only the SMS row (notify over SMPP to the fake SMSC), with notify's CPU per message.

The same measure as ``make bench``'s SMS row (bench.sms), without the rest of the suite, for checking a
change to notify's send path before and after in the same conditions. ``BENCH_SMS`` messages per repeat
(default 400), ``BENCH_SMS_REPEATS`` repeats (default 3), ``BACKEND=sqlite|postgresql``,
``NOTIFY_REPLICAS`` notify processes (default 1). Notify's CPU (user + system, from /proc) is counted
per message over the repeats. Prints the figures; writes nothing.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import os  # noqa: E402
import statistics  # noqa: E402

from bench import e2e, sms  # noqa: E402
from bench.status import cpu_seconds  # noqa: E402
from tests.fake_smsc import running_smsc  # noqa: E402
from tools.stack import ROOT, running_stack  # noqa: E402


def main() -> None:
    messages = int(os.environ.get("BENCH_SMS", "400"))
    repeats = int(os.environ.get("BENCH_SMS_REPEATS", "3"))
    replicas = int(os.environ.get("NOTIFY_REPLICAS", "1"))
    backend = os.environ.get("BACKEND", "sqlite")
    run_dir = e2e.fresh(ROOT / "var" / "bench-sms-alone")
    rates: list[float] = []
    cpu_ms: list[float] = []
    lost = duplicated = 0
    with running_smsc(run_dir / "smsc.jsonl", "--receipt-delay", "0") as smsc, running_stack(
            run_dir, backend=backend, services=("notify",),
            extra_env={**sms.SMPP_ENV, "SMPP_PORT": str(smsc.port)}) as stack:
        for replica in range(2, replicas + 1):
            stack.start("notify", {**sms.SMPP_ENV, "SMPP_PORT": str(smsc.port)}, replica=replica)
        stack.wait_healthy()
        pids = [process.pid for key, process in stack.processes.items() if key.startswith("notify")]
        print(f"notify pids: {pids}", flush=True)
        sms._through_notify(stack, smsc, 0, 20)  # noqa: SLF001 - warm up: queues bound, SMPP session bound
        for repeat in range(repeats):
            before = cpu_seconds(pids)
            rate, missing, twice = sms._through_notify(stack, smsc, repeat + 1, messages)  # noqa: SLF001
            # the second after the last message (the duplicate watch) includes the last receipts' cost
            cpu_ms.append((cpu_seconds(pids) - before) / messages * 1000)
            rates.append(rate)
            lost, duplicated = lost + missing, duplicated + twice
            print(f"repeat {repeat + 1}: {rate:.1f} messages/s, notify CPU {cpu_ms[-1]:.2f} ms/message, "
                  f"{missing} lost, {twice} duplicated", flush=True)
    print(f"SMS through notify ({backend}, {replicas} notify, {sms.WINDOW} in flight, {messages} per repeat): "
          f"median {statistics.median(rates):.1f} messages/s {[round(r, 1) for r in rates]}")
    print(f"notify CPU per message: median {statistics.median(cpu_ms):.2f} ms {[round(c, 2) for c in cpu_ms]}")
    print(f"lost {lost}, duplicated {duplicated} (at the SMSC, over every repeat)")


if __name__ == "__main__":
    main()
