"""``make bench-e2e``: only the end-to-end rows (``BACKEND=sqlite|postgresql``, default sqlite).

``--sustained`` (``make bench-sustained``): the 5-minute row instead (``BENCH_SUSTAIN_SECONDS``), books checked.

The same measure as ``make bench``'s e2e rows (bench.e2e.end_to_end), without the rest of the suite:
cases/s, latency and each service's CPU per case, for checking a change before and after. Prints the
figures; writes nothing.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import os  # noqa: E402
import sys  # noqa: E402

from bench import e2e  # noqa: E402
from bench.figures import Row  # noqa: E402


def main() -> None:
    rows: list[Row] = []
    notes: list[str] = []
    if "--sustained" in sys.argv:
        e2e.sustained(os.environ.get("BACKEND", "sqlite"), rows)
    else:
        e2e.end_to_end(os.environ.get("BACKEND", "sqlite"), rows, notes)
    for row in rows:
        if not row.key.startswith("memory_"):
            print(f"{row.what}: {row.figure.text(1)} {row.figure.values} {row.note}")
    print(*notes, sep="\n")


if __name__ == "__main__":
    main()
