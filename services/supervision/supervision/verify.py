"""``python -m supervision.verify [--db-uri URI]``: verify the audit chain; exit 1 naming the first broken record."""

from __future__ import annotations

import argparse
import os
import sys

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from supervision.audit_log import verify_chain

DEFAULT_DB_URI = "sqlite:///var/supervision.db"


def main(argv: list[str] | None = None) -> int:
    """Print the verdict; 0 when the chain holds, 1 when a record is broken."""
    parser = argparse.ArgumentParser(prog="python -m supervision.verify", description=__doc__)
    parser.add_argument("--db-uri", default=os.environ.get("DB_URI", DEFAULT_DB_URI),
                        help="supervision's database (default: $DB_URI or %(default)s)")
    args = parser.parse_args(argv)
    engine = create_engine(args.db_uri)
    try:
        with Session(engine) as session:
            result = verify_chain(session)
    finally:
        engine.dispose()
    if result.ok:
        print(f"audit chain intact: {result.records} record(s)")
        return 0
    event = f" (event {result.first_broken_event_id})" if result.first_broken_event_id else ""
    print(f"audit chain BROKEN at record {result.first_broken_seq}{event}: {result.reason}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
