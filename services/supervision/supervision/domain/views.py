"""What the supervision board and the public see: the strongest light on each case or stage, filtered by
tenant, department, post and colour; a complaint's status for whoever holds its query code. Pure Python."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from supervision.domain.lights import LEVELS


@dataclass(frozen=True)
class Light:
    """One raised light, as stored: lights are raised once per level and never lowered."""

    case_number: str
    target: str
    stage: str
    post: str
    tenant: str
    level: str
    due_at: datetime
    raised_at: datetime


@dataclass(frozen=True)
class LightFilter:
    """Which lights the board shows; ``None`` means any."""

    tenant: str | None = None
    department: str | None = None
    post: str | None = None
    level: str | None = None

    def admits(self, light: Light) -> bool:
        parts = light.post.split("/")
        department = parts[1] if len(parts) > 2 else ""
        return ((self.tenant is None or light.tenant == self.tenant)
                and (self.department is None or department == self.department)
                and (self.post is None or light.post == self.post)
                and (self.level is None or light.level == self.level))


def strongest_lights(lights: Iterable[Light], only: LightFilter) -> list[Light]:
    """The strongest light of every case and stage (red over yellow over prompt), then filtered."""
    strongest: dict[tuple[str, str], Light] = {}
    for light in lights:
        key = (light.case_number, light.target)
        held = strongest.get(key)
        if held is None or LEVELS.index(light.level) > LEVELS.index(held.level):
            strongest[key] = light
    return sorted((light for light in strongest.values() if only.admits(light)),
                  key=lambda light: (-LEVELS.index(light.level), light.due_at, light.case_number))


def query_code_matches(stored: str, given: str) -> bool:
    """A complaint filed before query codes existed has none, and nothing matches it."""
    return bool(stored) and hmac.compare_digest(stored, given)


def mask_name(name: str) -> str:
    """王芳 → 王*, 欧阳娜娜 → 欧***: what a public page may show of a complainant's name."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""
