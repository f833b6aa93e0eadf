"""Why each missed target is missed and what would close it: read off the profiles and per-case costs.

Written by hand from what the rows of a run show (CPU per case per service, py-spy, the growth
plot); ``make bench`` prints it under the table so the figures and the reasons travel together.
"""

FINDINGS = (
    "**End to end (≥ 50 cases/s).** The `cpu_per_case_*` rows are the limit: every service spends tens of "
    "ms of CPU per shop-sign case, almost all of it in SQLAlchemy (one transaction per event handled, each "
    "with its processed-events row and outbox row) and in kombu publishing with confirms. Summed, a case "
    "costs a few hundred ms of CPU, so two cores cannot carry 50 cases/s whatever the concurrency; "
    "PREFETCH/max_workers/pool sizes only move where the queue forms. Removed this round: the PostgreSQL "
    "pre-ping round trip before every unit of work (a connection is pinged only after 10 s idle, recycled "
    "after 30 min). Would close it: handle the events of one delivery batch in one transaction, SQLAlchemy "
    "Core instead of the ORM on the event paths, and one confirmed publish per transaction rather than per "
    "event; then replicas on more cores (see Scale). The driver no longer polls: it hears workflow's "
    "`task.created` and notify's `sms.sent` on a queue of its own (bench/events.py) and then reads the case "
    "once through the service's API, with a read every second as the fallback; the note `RPCs per shop-sign "
    "case` counts what the driver and the services asked of each other, from the services' own counters.",
    "**Status lookup (p99 ≤ 20 ms at 200/s).** A lookup was two RPCs (intake, workflow) one after the "
    "other through nameko's `ClusterRpc`, which re-declares its reply queue and waits for a publisher "
    "confirm on every request; at 200/s the lookups queued and the p99 was the queue. Now both calls are in "
    "flight at once over sunlight's kept-open `RpcClient` (`sunlight.rpc.KeptRpc`, one client per "
    "concurrent worker), and each answer is kept per number and query code for `STATUS_CACHE_SECONDS` "
    "(2 s; only after the code matched, never under another code). `make bench-status` measures the "
    "lookup alone (`STATUS_CACHE_SECONDS=0` for the uncached path). The uncached path still costs gateway, "
    "intake and workflow about 5–6 ms of CPU per lookup, so 200/s of distinct numbers is more than 2 "
    "cores carry next to the rest; the bench's 50 applications asked 4 times a second each are mostly "
    "answered from the kept answers. Would close it for distinct numbers: one read-model service (or the "
    "gateway's own table) fed by `case.*`/`task.*` events, answering in one local read.",
    "**On the spot (p99 ≤ 1 s at 10/s).** The fast track is three task completions, a payment and the "
    "certificate: the same per-event costs as end to end, so 10 submissions/s is above what the 2 cores "
    "carry and the open loop's latency is queueing. The same remedies apply.",
    "**SMS (≥ 200 messages/s).** notify's SMPP client alone moves several hundred messages/s to the fake "
    "SMSC; through notify a two-part message cost about nine transactions (store, claim, each part, sent, "
    "each receipt) and two confirmed event publishes in one process. Fixed earlier: the SMPP reader no "
    "longer records receipts itself and settling a message locks its row. Fixed this round (issue 11): a "
    "message due now is stored already claimed, its parts are recorded with 'sent' (or with the retry), "
    "receipts that arrive together are written in one transaction, and the select before the insert is "
    "gone (the unique constraint answers): two transactions per message plus a share of a receipt batch. "
    "What is left is CPU: the ORM on the store/sent path and one confirmed publish (and outbox mark) per "
    "SMS_SENT and per settled message. Would close it: notify replicas (claims are per row, replicas are "
    "safe) and one confirmed publish per batch in the outbox relay.",
    "**Supervision tick (≥ 100× the scan).** Judged on the regular tick, which finds what fell due since "
    "the previous one: a sorted-set range of a handful against a scan of every row. The catch-up tick "
    "(500 of 10,000 overdue) is dominated by sending back 500 members; there an index on the SQL side "
    "does as well as the sorted set.",
    "**Scale.** Replicas are measured on PostgreSQL only. Tried once on SQLite, two workflow processes left "
    "a case stuck at the co-review (its leader's task never opened). The likely cause, not yet proven: "
    "`_locked` reads the case `FOR UPDATE`, which SQLite ignores, and the one-connection pool that "
    "serializes one process does nothing across two, so two approvals of one case saved at once can each "
    "miss the other's. Until shown otherwise, SQLite deployments should run one replica per service.",
    "**Growth.** The status lookup (a primary-key read) stays flat to 10^6 open cases and the Redis tick "
    "stays within a few ms (it returns at most its batch of 500). The inbox grows with the post's share of "
    "the open cases: it has no paging, and at 10^6 cases over 250 tenants a post holds 4,000 open tasks. "
    "Workflow's per-tenant open-case count (every 15 s) and the meeting time-box scan (every tick) grow "
    "linearly to hundreds of ms: both scan the open rows. Would close it: paging the inbox, a partial index "
    "on `tasks (due_at) WHERE status = 'open'` for the time box, and per-tenant counters kept in the same "
    "transaction as the case.",
)
