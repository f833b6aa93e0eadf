"""How many RPCs and event deliveries a run asked of each service, read from the services' own ``/metrics`` counters.

Lets a bench say what the driver costs the system it measures: ``workflow.get_case`` calls per case
are the driver looking for open tasks, ``notify.messages_for_case`` calls the driver looking for the SMS.
"""

from __future__ import annotations

import urllib.request
from collections import Counter

from prometheus_client.parser import text_string_to_metric_families

from tools.stack import Stack

CALLS = "sunlight_entrypoint_calls"  # the family name of sunlight_entrypoint_calls_total


def entrypoint_calls(stack: Stack, kind: str = "rpc") -> Counter[str]:
    """Every entrypoint's calls of one kind so far, as ``service.method``, summed over the replicas.

    ``kind`` is the metric's label: "rpc" (calls answered), "event" (deliveries to event handlers).
    """
    calls: Counter[str] = Counter()
    for key, proc in stack.processes.items():
        if proc.poll() is not None:
            continue
        url = f"http://127.0.0.1:{stack.metrics_ports[key]}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the bench's own service
            text = response.read().decode()
        for family in text_string_to_metric_families(text):
            if family.name != CALLS:
                continue
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.labels.get("kind") == kind:
                    calls[f"{sample.labels['service']}.{sample.labels['entrypoint']}"] += int(sample.value)
    return calls


def per_case(before: Counter[str], after: Counter[str], cases: int) -> dict[str, float]:
    """RPCs per case between two readings, busiest first."""
    spent = after - before
    return {name: count / cases for name, count in spent.most_common()}
