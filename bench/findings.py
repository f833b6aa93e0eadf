"""Why each missed target is missed and what would close it: read off the profiles and per-case costs.

Written by hand from what the rows of a run show (CPU per case per service, py-spy, the growth
plot); ``make bench`` prints it under the table so the figures and the reasons travel together.
"""

FINDINGS = (
    "**End to end (≥ 50 cases/s).** Missed, 1.6× short on SQLite and 2.8× on PostgreSQL (was 5× and 8×). "
    "The `cpu_per_case_*` rows are the limit: summed over the five services a case costs about 46 ms of CPU "
    "on SQLite and 66 ms on PostgreSQL (228 ms before this round), and the broker, the database and the "
    "driver share the same 2 cores. Removed this round: one confirmed broker round trip per event became one "
    "per batch, coalesced across a process's workers, and a unit of work writes its outbox rows in one "
    "INSERT (lib/sunlight/outbox.py, confirms.py); workflow and supervision run prebuilt Core statements on "
    "their hot paths instead of the ORM, supervision reads a case's trail once per event instead of twice, "
    "notify writes several messages' parts and 'sent' in one transaction, event schemas are built once per "
    "type; before that, the PostgreSQL pre-ping before every unit of work. py-spy on workflow now shows the "
    "database driver's execute (32 %) and socket sends (12 %) on top: what is left is the round trips "
    "themselves. Would close it: handle one delivery batch of events in one transaction (nameko hands a "
    "worker one message, so this needs a batching consumer), skip supervision's Redis ZADD when a case's "
    "next light did not move (now its largest item), and more cores (see Scale). The driver does not poll: "
    "it hears workflow's `task.created` and notify's `sms.sent` on a queue of its own (bench/events.py) and "
    "then reads the case once through the service's API; the note `RPCs per shop-sign case` counts what the "
    "driver and the services asked of each other, from the services' own counters.",
    "**Status lookup (p99 ≤ 20 ms at 200/s).** Met: the gateway answers from its own read model "
    "(`public_status`, folded from intake's, workflow's and registry's events by gateway/statusfeed.py, "
    "rules in gateway/statusview.py): one local read, p99 within a few tenths of a ms of the static "
    "/healthz. The query code is checked against an HMAC intake puts in `application.accepted` under "
    "`QUERY_CODE_KEY` (shared by intake and the gateway only), so a wrong code still looks like an unknown "
    "number. A number the model does not hold whole yet (its events in flight, older data, no key) goes the "
    "old way: both RPCs in flight at once over kept-open clients, each answer kept 2 s.",
    "**On the spot (p99 ≤ 1 s at 10/s).** Met, with the per-event savings above: the fast track is three "
    "task completions, a payment and the certificate, and 10 submissions/s now leaves the cores room.",
    "**SMS (≥ 200 messages/s).** Met (just: the spread reaches below 200). notify stores a due SMS already "
    "claimed, writes the parts and 'sent' of messages submitted together in one transaction on Core, "
    "counts the hourly rate limit on an index, no longer asks Redis before the unique constraint, and its "
    "events leave in one confirmed round trip per batch. The SMPP client alone is 7× faster: what is left "
    "per message is notify's own transactions and the two events it announces (sms.sent, sms.delivered).",
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
    "stays within a few ms (it returns at most its batch of 500). The inbox grows with the post's share of "
    "the open cases: it has no paging, and at 10^6 cases over 250 tenants a post holds 4,000 open tasks. "
    "Workflow's per-tenant open-case count (every 15 s) and the meeting time-box scan (every tick) grow "
    "linearly to hundreds of ms: both scan the open rows. Would close it: paging the inbox, a partial index "
    "on `tasks (due_at) WHERE status = 'open'` for the time box, and per-tenant counters kept in the same "
    "transaction as the case.",
)
