"""Why each missed target is missed and what would close it: read off the profiles and per-case costs.

Written by hand from what the rows of a run show (CPU per case per service, py-spy, the growth
plot); ``make bench`` prints it under the table so the figures and the reasons travel together.
"""

FINDINGS = (
    "**This host.** The 04:35 run is on a faster host than the earlier runs of 28 November (an Intel Xeon: a "
    "pure-Python loop of 10^7 additions in 0.95 s, against 1.3–1.7 s on the AMD host of 02:07 and 03:03 and "
    "0.5 s on the 20:01 one; raw pika 1,786 sequential round trips/s, against 564–886 there). Absolute "
    "figures move with the host; the ratios and the same-host alternations below are what a change is "
    "judged by. Every target but end to end is met in this run.",
    "**End to end (≥ 50 cases/s).** Missed: 26.7 cases/s on SQLite, 12.9 on PostgreSQL; **sustained 5 "
    "minutes** SQLite 24.9 cases/s (7,537 cases, nothing lost or duplicated, the books balanced 3 s after "
    "the clerks stopped) and PostgreSQL 14.6 (balanced 24 s after). On the slower host at 03:03 the same "
    "rows read 16.6 / 8.3 and 16.0 / 8.5 with the code of that stop; this round changed little on the "
    "shop-sign path (event ids, notify's 40 workers; the e2e stack sends SMS through the log provider). "
    "The load depends on the hour: a post's new-task SMS is held outside office hours (Beijing time), so "
    "runs at night or at weekends, as every run of 28 November, store five of a case's seven SMS without "
    "sending them, and a case is 16 events; in office hours notify also sends them and announces five "
    "more sms.sent. **Why 50 is "
    "out of reach here:** per case the machine spends about 72 ms of CPU on SQLite: the five services 50 "
    "(supervision 16, workflow 15, notify 11, registry 5, intake 3), RabbitMQ 15 (16 persistent events "
    "fanned out to durable queues, about 10 RPCs), the bench's own clerks 7. Two cores give 2,000 ms/s: "
    "about 28 cases/s, and the run reaches 25–27. 50 cases/s on 2 cores would leave 40 ms per case for "
    "everything, less than the services alone. On PostgreSQL the services take 72 ms, RabbitMQ 19, and the "
    "database server's own CPU comes on top. Tried and dropped this round: RabbitMQ's classic queues "
    "version 2 (3.10's `queue-version` policy) for the persistent events, which left the broker's 15–18 ms "
    "per case and the cases/s unchanged in three alternating runs. py-spy (`make bench-profile`) shows "
    "every service's busy time spread over the event framework, its database statements and socket "
    "writes (a loopback send carries the receiver's wake-up: 13–25 % of each service's busy samples), "
    "not one hot spot left to remove. Would close it: more cores or machines (the services share nothing "
    "but the broker; see Scale), then incremental replay in supervision (reconcile, which re-reads and "
    "replays a case's trail and rewrites its summary rows, is about half of supervision's busy time), one "
    "opted-out lookup per notify batch, and fewer statements per PostgreSQL transaction (each one a green "
    "wait of its own).",
    "**Status lookup (p99 ≤ 20 ms at 200/s).** Met: the gateway answers from its own read model "
    "(`public_status`, folded from intake's, workflow's and registry's events by gateway/statusfeed.py, "
    "rules in gateway/statusview.py): one local read, p99 within a few tenths of a ms of the static "
    "/healthz. The query code is checked against an HMAC intake puts in `application.accepted` under "
    "`QUERY_CODE_KEY` (shared by intake and the gateway only), so a wrong code still looks like an unknown "
    "number. A number the model does not hold whole yet (its events in flight, older data, no key) goes the "
    "old way: both RPCs in flight at once over kept-open clients, each answer kept 2 s.",
    "**On the spot (p99 ≤ 1 s at 10/s).** Met: 97 ms at 04:35 on this host (406 ms at 03:03 and 794 ms at "
    "02:07 on the slow one, 1.18 s, missed, at 23:26). The fast track is three task completions, a payment "
    "and the certificate.",
    "**SMS (≥ 200 messages/s).** Met: 345 messages/s through notify, none lost or duplicated (95–148/s "
    "before this round on both hosts). What held it back was Nagle's algorithm: smpplib leaves "
    "`TCP_NODELAY` off, so a small submit_sm written while notify's last deliver_sm_resp waited for its "
    "ACK sat until the SMSC's delayed ACK (up to 40 ms on Linux). A round trip took about 35 ms inside "
    "notify against 9 ms for the client alone, and the rate grew only with the window (20 in flight: "
    "270/s). Notify now sets `TCP_NODELAY` on its session (`make bench-sms`, same host, 10 in flight: "
    "142–148 → 281 messages/s) and keeps the SMPP window on the session (`SMPP_WINDOW`, 10) instead of "
    "in its worker count, so 40 workers store and record messages while 10 submits await the SMSC (→ "
    "340/s). The client alone gains from the same option (531 → 1,027/s here); what notify adds per "
    "message is its two batched transactions and the sms.sent event.",
    "**Routing core (≥ 10× SpiffWorkflow).** Met: 12.0× (8.8× at 03:03 on the AMD host, 10.4× on this one "
    "before the change). The engine announces two events per transition; `str(uuid.uuid4())` for each "
    "event id was 2.7 µs of a 38 µs transition. Ids are now printed from 16 random bytes (the same text, "
    "version 4, RFC 4122 variant: `sunlight.contracts.new_event_id`).",
    "**Supervision tick (≥ 100× the scan).** Judged on the regular tick, which finds what fell due since "
    "the previous one: a sorted-set range of a handful against a scan of every row. The catch-up tick "
    "(500 of 10,000 overdue) is dominated by sending back 500 members; there an index on the SQL side "
    "does as well as the sorted set.",
    "**Scale.** Replicas are measured on PostgreSQL: a second replica of the busiest service gives no gain "
    "on 2 cores, which the other services, the broker, the database and the driver already fill. Two "
    "replicas on one SQLite file are now safe: a unit of work takes SQLite's write lock before its first "
    "read (`BEGIN IMMEDIATE`), because SQLite ignores `FOR UPDATE` and two workflow processes could each "
    "save over the other's approval (services/workflow/tests/test_replicas.py reproduced it every time "
    "before the fix). On SQLite the replicas then take turns at the file: more cores help PostgreSQL, not "
    "SQLite.",
    "**Growth.** The status lookup (a primary-key read) stays flat to 10^6 open cases and the Redis tick "
    "stays within a few ms (it returns at most its batch of 500). The meeting time-box scan, which read "
    "every open task every 30 s (383 ms at 10^6 open cases at 03:03), now reads a partial index over "
    "the open tasks by stage and deadline (migration workflow_0004): 0.12 ms at every size. The inbox is "
    "paged (`list_tasks(post, limit, after)`, keyset on deadline and task id; the staff page shows 100 per "
    "post) on a partial index over the open tasks by post, deadline and task id: the row times the first "
    "page, which stops growing once a post holds 100 open tasks (the whole inbox of 4,000 took 12.9 ms at "
    "04:35). Workflow's per-tenant open-case count (every 15 s) still grows linearly to about 230 ms: it "
    "counts the open rows. Would close it: per-tenant counters kept in the same transaction as the case "
    "(a hot row per tenant: to be weighed against lock waits).",
)
