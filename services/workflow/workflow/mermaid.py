"""Print a shipped process definition as a Mermaid flowchart: ``python -m workflow.mermaid <key> [version]``."""

from __future__ import annotations

import sys

from workflow.definitions import latest, load_definitions
from workflow.process import mermaid


def main(argv: list[str]) -> int:
    """Write the chart of the newest (or the given) version of a process to stdout."""
    if not argv or len(argv) > 2:
        print("usage: python -m workflow.mermaid <process-key> [version]", file=sys.stderr)
        return 2
    definitions = load_definitions()
    definition = definitions.get((argv[0], int(argv[1]))) if len(argv) == 2 else latest(definitions, argv[0])
    if definition is None:
        print(f"no process definition {argv[0]} v{argv[1]}", file=sys.stderr)
        return 1
    sys.stdout.write(mermaid(definition))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
