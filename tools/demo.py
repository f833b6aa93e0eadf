"""``make demo``: the five services on this machine, a handful of applications, and what happened.

Services run as ``nameko run`` processes against the local RabbitMQ and Redis, each with its SQLite
file under ``var/`` and its metrics on ports 9101–9105. ``DEMO_ONCE=1`` exits after the summary.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import datetime  # noqa: E402
from typing import Any  # noqa: E402

from sunlight.calendar import SHANGHAI  # noqa: E402
from sunlight.errors import IncompleteApplication  # noqa: E402
from tools.drive import Outcome, drive_one, sample_application  # noqa: E402
from tools.stack import ALL_SERVICES, METRICS_PORTS, ROOT, missing_brokers, running_stack  # noqa: E402

APPLICATIONS = 4


def main() -> int:
    missing = missing_brokers(("RabbitMQ", "Redis"))
    if missing:
        for line in missing:
            print(line, file=sys.stderr)
        return 1
    once = os.environ.get("DEMO_ONCE", "") not in ("", "0")
    run_dir = ROOT / "var"
    print(f"starting {', '.join(ALL_SERVICES)} (logs and databases in {run_dir}) ...")
    started = time.monotonic()
    with running_stack(run_dir, backend="sqlite", private_vhost=False, default_ports=True,
                       services=ALL_SERVICES) as stack:
        print(f"all {len(ALL_SERVICES)} healthy in {time.monotonic() - started:.1f} s\n")
        with stack.rpc_client(timeout=30) as rpc:
            show_refusal(rpc)
            batch = f"{time.time_ns()}/"  # fresh files each run: intake would take a rerun as a repeat
            outcomes = [drive_one(rpc, sample_application(i, batch=batch)) for i in range(APPLICATIONS)]
            for outcome in outcomes:
                show(outcome)
            show_trail(outcomes[0], rpc.supervision.verify_audit_chain())
        show_gateway(stack)
        print("metrics: " + "  ".join(f"{s} http://127.0.0.1:{p}/metrics" for s, p in METRICS_PORTS.items()))
        if once:
            return 0
        print("\nserving; Ctrl-C stops every service")
        try:
            while all(proc.poll() is None for proc in stack.processes.values()):
                time.sleep(1)
        except KeyboardInterrupt:
            print("\nstopping ...")
            return 0
        print("a service exited; see the logs in var/", file=sys.stderr)
        return 1


def show_gateway(stack: Any) -> None:
    """The portal, the staff pages and the API, with a demo account for every role."""
    import subprocess

    made = subprocess.run([sys.executable, "-m", "gateway.admin", "demo"], env=stack.env_for("gateway"),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    print(f"portal: {stack.web_url}/   status lookup: {stack.web_url}/status   staff: {stack.web_url}/staff/sign-in")
    print(f"results: {stack.web_url}/results   rating card: {stack.web_url}/rating   "
          f"complaints: {stack.web_url}/complaints")
    print(f"supervision board: {stack.web_url}/supervision (gs-supervisor, gs-leader, inspector)")
    print(f"HTTP API: {stack.web_url}/api/items   OpenAPI: {stack.web_url}/openapi.json")
    if made.returncode == 0:
        print("demo accounts (username, role, tenant):")
        print("\n".join("  " + line for line in made.stdout.strip().splitlines()))
    else:
        print(f"(demo accounts not created: {made.stderr.strip().splitlines()[-1:]})")


def show_refusal(rpc: Any) -> None:
    """One window, told everything at once: an application missing two materials."""
    application = sample_application(0)
    for code in ("grant-contract", "parcel-map"):
        del application["materials"][code]
    try:
        rpc.intake.submit_application(application)
    except IncompleteApplication as refused:
        print(f"refused at the window: {refused.args[0]}")
        for field, reasons in sorted(refused.fields.items()):
            print(f"  {field}: {'; '.join(map(str, reasons))}")
        print()


def show(outcome: Outcome) -> None:
    receipt, certificate = outcome.receipt, outcome.certificate
    print(f"{receipt['application_number']}  {receipt['item_name']}")
    accepted = datetime.fromisoformat(receipt["accepted_at"]).astimezone(SHANGHAI)
    print(f"  accepted {accepted:%Y-%m-%d %H:%M} Beijing time, promised by {receipt['promised_date']}")
    print(f"  certificate {certificate['number']}")
    for message in outcome.messages:
        print(f"  SMS to {message['recipient']}: {message['text']}")
    print()


def show_trail(outcome: Outcome, verification: dict[str, Any]) -> None:
    print(f"audit trail of {outcome.number} (in the order things happened; # is the order recorded):")
    for entry in sorted(outcome.trail, key=lambda e: (e["occurred_at"], e["seq"])):
        print(f"  #{entry['seq']:<4} {entry['occurred_at'][:23]}  {entry['source']:<9} {entry['event_type']:<22}"
              f" {entry['hash'][:16]}…")
    state = "intact" if verification["ok"] else f"BROKEN at record {verification['first_broken_seq']}"
    print(f"hash chain over {verification['records']} records: {state}\n")


if __name__ == "__main__":
    sys.exit(main())
