"""Dashboards as code: write the operations, RabbitMQ and business dashboards into deploy/grafana/dashboards/.

    python deploy/grafana/generate.py          # rewrite them
    python deploy/grafana/generate.py --check  # exit 1 if a committed dashboard is stale

tests/test_dashboards.py checks every query against the metrics the services and RabbitMQ export.
(overview.json, the at-a-glance board, is kept by hand.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
RATE = "[$__rate_interval]"


def timeseries(title: str, targets: list[tuple[str, str]], unit: str, description: str = "") -> dict[str, Any]:
    return {
        "type": "timeseries", "title": title, "description": description, "datasource": DATASOURCE,
        "fieldConfig": {"defaults": {"unit": unit, "min": 0,
                                     "custom": {"lineWidth": 1, "fillOpacity": 10, "showPoints": "never"}},
                        "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["mean", "max"]},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "targets": [{"datasource": DATASOURCE, "refId": chr(65 + i), "expr": expr, "legendFormat": legend,
                     "range": True} for i, (expr, legend) in enumerate(targets)],
    }


def stat(title: str, expr: str, unit: str, description: str = "", red_above: float | None = None) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    if red_above is not None:
        steps.append({"color": "red", "value": red_above})
    return {
        "type": "stat", "title": title, "description": description, "datasource": DATASOURCE,
        "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}},
                        "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "background", "graphMode": "area"},
        "targets": [{"datasource": DATASOURCE, "refId": "A", "expr": expr, "instant": True}],
    }


def layout(rows: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Place panels row by row, splitting the 24-column width evenly; give each panel an id."""
    panels, y, next_id = [], 0, 1
    for row in rows:
        width = 24 // len(row)
        height = 5 if all(p["type"] == "stat" for p in row) else 8
        for column, panel in enumerate(row):
            panels.append({**panel, "id": next_id, "gridPos": {"h": height, "w": width, "x": column * width, "y": y}})
            next_id += 1
        y += height
    return panels


def variable(name: str, query: str, *, include_all: bool = True) -> dict[str, Any]:
    return {"name": name, "label": name, "type": "query", "datasource": DATASOURCE, "refresh": 2,
            "query": {"query": query, "refId": name}, "includeAll": include_all, "multi": include_all,
            "current": {}, "sort": 1}


def dashboard(uid: str, title: str, description: str, rows: list[list[dict[str, Any]]],
              variables: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uid": uid, "title": title, "description": description, "tags": ["sunlight"], "timezone": "browser",
        "schemaVersion": 39, "version": 1, "editable": False, "graphTooltip": 1, "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"}, "annotations": {"list": []}, "links": [],
        "templating": {"list": variables}, "panels": layout(rows),
    }


def operations() -> dict[str, Any]:
    """One service at a time (pick it at the top): what it is asked, how fast, what fails, what waits."""
    s = 'service="$service"'
    queues = 'queue=~"rpc-$service|evt-.*--$service\\\\..*|evt-all--$service\\\\..*|dlq\\\\.$service"'
    return dashboard("sunlight-operations", "Sunlight operations — per service",
                     "Rate, errors, duration, queue depth and consumers, outbox and dead letters of one service.", [
        [stat("Calls /s", f'sum(rate(sunlight_entrypoint_calls_total{{{s},kind!="timer"}}{RATE}))', "ops"),
         stat("Unexpected failures /s", f'sum(rate(sunlight_entrypoint_errors_total{{{s},kind!="timer"}}{RATE}))',
              "ops", red_above=0),
         stat("Outbox pending", f"sum(sunlight_outbox_pending{{{s}}})", "none", red_above=0),
         stat("Dead letters waiting", 'sum(rabbitmq_detailed_queue_messages{queue="dlq.$service"})', "none",
              "Parked messages: python -m sunlight.deadletters list $service", red_above=0)],
        [timeseries("Calls /s by entrypoint",
                    [(f"sum by (entrypoint, kind) (rate(sunlight_entrypoint_calls_total{{{s}}}{RATE}))",
                      "{{kind}} {{entrypoint}}")], "ops"),
         timeseries("Failures and refusals /s",
                    [(f"sum by (entrypoint, error) (rate(sunlight_entrypoint_errors_total{{{s}}}{RATE}))",
                      "failed {{entrypoint}}: {{error}}"),
                     (f"sum by (entrypoint, error) (rate(sunlight_entrypoint_refusals_total{{{s}}}{RATE}))",
                      "refused {{entrypoint}}: {{error}}")], "ops",
                    "Refusals are typed answers to bad input; failures are the service's own trouble.")],
        [timeseries("RPC latency p50 / p95 / p99",
                    [(f"histogram_quantile({q}, sum by (le) (rate(sunlight_entrypoint_duration_seconds_bucket"
                      f'{{{s},kind="rpc"}}{RATE})))', f"p{int(q * 100)}") for q in (0.5, 0.95, 0.99)], "s"),
         timeseries("Event handling latency p95 by handler",
                    [(f"histogram_quantile(0.95, sum by (le, entrypoint) (rate(sunlight_entrypoint_duration_seconds"
                      f'_bucket{{{s},kind="event"}}{RATE})))', "{{entrypoint}}")], "s")],
        [timeseries("Queue depth (ready / unacknowledged)",
                    [(f"sum by (queue) (rabbitmq_detailed_queue_messages_ready{{{queues}}})", "ready {{queue}}"),
                     (f"sum by (queue) (rabbitmq_detailed_queue_messages_unacked{{{queues}}})",
                      "unacked {{queue}}")], "none",
                    "Messages waiting for this service; KEDA adds replicas when these grow."),
         timeseries("Consumers per queue",
                    [(f"sum by (queue) (rabbitmq_detailed_queue_consumers{{{queues}}})", "{{queue}}")], "none",
                    "One per replica per handler: a drop means a replica left.")],
        [timeseries("Event retries and dead letters /s",
                    [(f"sum by (queue) (rate(sunlight_events_retried_total{{{s}}}{RATE}))", "retried {{queue}}"),
                     (f"sum by (queue) (rate(sunlight_events_dead_lettered_total{{{s}}}{RATE}))",
                      "dead-lettered {{queue}}")], "ops"),
         timeseries("Events published and duplicates ignored /s",
                    [(f"sum(rate(sunlight_events_published_total{{{s}}}{RATE}))", "published"),
                     (f"sum by (consumer) (rate(sunlight_events_duplicate_total{{{s}}}{RATE}))",
                      "duplicate skipped by {{consumer}}")], "ops")],
    ], [variable("service", "label_values(sunlight_entrypoint_calls_total, service)", include_all=False)])


def rabbitmq() -> dict[str, Any]:
    return dashboard("sunlight-rabbitmq", "Sunlight — RabbitMQ", "The broker every call and event crosses.", [
        [stat("Connections", "sum(rabbitmq_connections)", "none"),
         stat("Channels", "sum(rabbitmq_channels)", "none"),
         stat("Queues", "sum(rabbitmq_queues)", "none"),
         stat("Consumers", "sum(rabbitmq_consumers)", "none"),
         stat("Memory", "sum(rabbitmq_process_resident_memory_bytes)", "bytes"),
         stat("Free disk", "min(rabbitmq_disk_space_available_bytes)", "bytes")],
        [timeseries("Messages in and out /s",
                    [(f"sum(rate(rabbitmq_global_messages_received_total{RATE}))", "received"),
                     (f"sum(rate(rabbitmq_global_messages_delivered_total{RATE}))", "delivered"),
                     (f"sum(rate(rabbitmq_global_messages_acknowledged_total{RATE}))", "acknowledged"),
                     (f"sum(rate(rabbitmq_global_messages_redelivered_total{RATE}))", "redelivered")], "ops"),
         timeseries("Publisher confirms and unroutable /s",
                    [(f"sum(rate(rabbitmq_global_messages_confirmed_total{RATE}))", "confirmed"),
                     (f"sum(rate(rabbitmq_global_messages_unroutable_returned_total{RATE}))", "returned"),
                     (f"sum(rate(rabbitmq_global_messages_unroutable_dropped_total{RATE}))", "dropped")], "ops",
                    "Returned RPC requests mean a caller asked for a service nobody runs.")],
        [timeseries("Deepest queues (ready)",
                    [("topk(10, sum by (queue) (rabbitmq_detailed_queue_messages_ready))", "{{queue}}")], "none"),
         timeseries("Dead-letter queues",
                    [('sum by (queue) (rabbitmq_detailed_queue_messages{queue=~"dlq\\\\..*"})', "{{queue}}")],
                    "none", "Anything above zero is waiting for an operator.")],
    ], [])


def business() -> dict[str, Any]:
    """What a bureau's leaders watch: applications, cases, certificates, SMS — per item and tenant."""
    t = 'tenant=~"$tenant"'
    return dashboard("sunlight-business", "Sunlight — approvals", "Work done for applicants, per bureau and item.", [
        [stat("Applications accepted (range)", f"sum(increase(sunlight_applications_accepted_total{{{t}}}[$__range]))",
              "none"),
         stat("Refused as incomplete (range)",
              f"sum(increase(sunlight_applications_incomplete_total{{{t}}}[$__range]))", "none",
              "Each one was told everything missing at once."),
         stat("Cases open now", f"max(sunlight_cases_open{{{t}}})", "none"),
         stat("Certificates issued (range)", f"sum(increase(sunlight_certificates_issued_total{{{t}}}[$__range]))",
              "none")],
        [timeseries("Applications accepted per item /h",
                    [(f"sum by (item) (rate(sunlight_applications_accepted_total{{{t}}}{RATE})) * 3600", "{{item}}")],
                    "none"),
         timeseries("Cases open per bureau", [(f"max by (tenant) (sunlight_cases_open{{{t}}})", "{{tenant}}")],
                    "none")],
        [timeseries("Cases closed per bureau and outcome /h",
                    [(f"sum by (tenant, outcome) (rate(sunlight_cases_closed_total{{{t}}}{RATE})) * 3600",
                      "{{tenant}} {{outcome}}")], "none"),
         timeseries("Certificates and permits issued /h",
                    [(f"sum by (tenant, kind) (rate(sunlight_certificates_issued_total{{{t}}}{RATE})) * 3600",
                      "{{tenant}} {{kind}}")], "none")],
        [stat("Tasks on time (range)",
              f'sum(increase(sunlight_tasks_closed_total{{{t},on_time="true"}}[$__range])) / '
              f"sum(increase(sunlight_tasks_closed_total{{{t}}}[$__range]))", "percentunit",
              "Share of stages finished within their published limit (the assessment figure)."),
         stat("Red lights (range)", f'sum(increase(sunlight_warnings_raised_total{{{t},level="red"}}[$__range]))',
              "none", red_above=0),
         stat("Supervision last looked", "time() - max(sunlight_supervision_tick_last_run_timestamp_seconds)", "s",
              "Seconds since the deadline tick last ran; above a minute, no light is being raised.", red_above=60)],
        [timeseries("Lights raised per department and level /h",
                    [(f"sum by (department, level) (rate(sunlight_warnings_raised_total{{{t}}}{RATE})) * 3600",
                      "{{department}} {{level}}")], "none",
                    "Prompts before a deadline, yellow when overdue, red when still overdue after urging."),
         timeseries("On-time rate per bureau",
                    [(f'sum by (tenant) (rate(sunlight_tasks_closed_total{{{t},on_time="true"}}[1h])) / '
                      f"sum by (tenant) (rate(sunlight_tasks_closed_total{{{t}}}[1h]))", "{{tenant}}")],
                    "percentunit")],
        [timeseries("SMS sent, delivered and failed /h",
                    [(f"sum by (template) (rate(sunlight_sms_sent_total{RATE})) * 3600", "sent {{template}}"),
                     (f"sum by (template) (rate(sunlight_sms_delivered_total{RATE})) * 3600",
                      "delivered {{template}}"),
                     (f"sum by (template) (rate(sunlight_sms_failed_total{RATE})) * 3600", "failed {{template}}")],
                    "none", "Delivered counts the SMSC's receipts: the phone has it."),
         timeseries("Ratings by level (每事一卡) /day",
                    [(f"sum by (level) (rate(sunlight_ratings_total{{{t}}}[1d])) * 86400", "level {{level}}")],
                    "none", "Levels 1 and 2 are bad: each opens a rectification due in five working days."),
         timeseries("Tasks completed by stage and decision /h",
                    [(f"sum by (stage, decision) (rate(sunlight_tasks_completed_total{RATE})) * 3600",
                      "{{stage}} {{decision}}")], "none")],
        [timeseries("Violations raised and withdrawn /day",
                    [(f"sum by (kind, outcome) (rate(sunlight_violations_total{{{t}}}[1d])) * 86400",
                      "{{kind}} {{outcome}}")],
                    "none", "Withdrawn: raised before a late-delivered event showed it was none; taken off /results.")],
    ], [variable("tenant", "label_values(sunlight_applications_accepted_total, tenant)")])


DASHBOARDS = {"operations.json": operations, "rabbitmq.json": rabbitmq, "business.json": business}


def render(build: Any) -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for name, build in DASHBOARDS.items():
        path = OUT / name
        if "--check" in argv:
            if not path.exists() or path.read_text() != render(build):
                stale.append(name)
        else:
            path.write_text(render(build))
    if stale:
        print(f"stale dashboards {stale}: run python deploy/grafana/generate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
