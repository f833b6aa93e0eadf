"""The sustained load shape (bench.load.for_duration): clerks keep starting cases until the time is up."""

from __future__ import annotations

import time

import eventlet

from bench.load import for_duration


def test_clerks_keep_starting_jobs_until_the_time_is_up_then_finish_what_they_started() -> None:
    running, most = [0], [0]

    def job(i: int) -> int:
        running[0] += 1
        most[0] = max(most[0], running[0])
        eventlet.sleep(0.05)
        running[0] -= 1
        return i

    started = time.perf_counter()
    per_second, done = for_duration(job, 0.5, windows=4, first=100)

    took = time.perf_counter() - started
    assert 0.5 <= took < 0.5 + 0.05 * 3, "no new job after the time is up; those started finish"
    assert most[0] == 4, "four at a time"
    assert sorted(done) == list(range(100, 100 + len(done))), "each job its own number, none skipped"
    assert len(done) >= 4 * 8, "each clerk starts the next job as soon as the last is done"
    assert abs(per_second - len(done) / took) < 0.2 * per_second
