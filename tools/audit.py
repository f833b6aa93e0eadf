"""Scan the installed dependencies for known vulnerabilities (pip-audit), for CI.

Exit 1 when a vulnerability is known; exit 0 with one clear ``skipped`` line when the vulnerability
service did not answer (no network, or a package index without PyPI's JSON API: pip-audit then skips
every package and would otherwise say "No known vulnerabilities found", which is not true).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SERVICES = ("pypi", "osv")


def audit(service: str) -> dict[str, Any] | None:
    """pip-audit's JSON report against one vulnerability service; None when it could not ask it."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "audit.json"
        try:
            subprocess.run([sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "--vulnerability-service",
                            service, "--format", "json", "--output", str(report)],
                           capture_output=True, timeout=300, check=False)
        except subprocess.TimeoutExpired:
            return None
        if not report.exists():
            return None  # pip-audit failed before it could report: the service did not answer
        found: dict[str, Any] = json.loads(report.read_text())
        return found


def main() -> int:
    for service in SERVICES:
        report = audit(service)
        dependencies = (report or {}).get("dependencies", [])
        audited = [d for d in dependencies if "skip_reason" not in d]
        if not audited:
            continue
        vulnerable = [(d["name"], d["version"], v["id"], v.get("fix_versions", [])) for d in audited
                      for v in d.get("vulns", [])]
        for name, version, vuln, fixes in vulnerable:
            print(f"audit: {name} {version}: {vuln} (fixed in {', '.join(fixes) or 'no release yet'})")
        print(f"audit: {len(audited)} packages checked against {service}, {len(vulnerable)} known vulnerabilities")
        return 1 if vulnerable else 0
    print(f"audit: skipped: no vulnerability service answered ({', '.join(SERVICES)}); dependencies not scanned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
