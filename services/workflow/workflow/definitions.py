"""Load every versioned process definition shipped in ``definitions/``."""

from __future__ import annotations

from pathlib import Path

import yaml
from marshmallow import ValidationError

from sunlight.errors import NotFound, ValidationFailed
from workflow.process import Definition
from workflow.schemas import DefinitionSchema

DEFINITIONS = Path(__file__).resolve().parent.parent / "definitions"


def load_definitions(folder: Path = DEFINITIONS) -> dict[tuple[str, int], Definition]:
    """All definitions by (key, version); a bad file is refused with every error and its path."""
    found: dict[tuple[str, int], Definition] = {}
    where: dict[tuple[str, int], str] = {}
    errors: dict[str, object] = {}
    for path in sorted(folder.glob("*.yml")):
        try:
            definition = DefinitionSchema().load(yaml.safe_load(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as exc:
            errors[path.name] = [f"not valid YAML: {exc}"]
            continue
        except ValidationError as exc:
            errors[path.name] = exc.messages
            continue
        identity = (definition.key, definition.version)
        if identity in where:
            # two files claiming one version would let sort order silently pick which one runs
            errors[path.name] = {"version": [f"{definition.key} v{definition.version} is also defined in "
                                             f"{where[identity]}"]}
            continue
        found[identity], where[identity] = definition, path.name
    if errors:
        raise ValidationFailed("process definitions are invalid", errors)
    return found


def latest(definitions: dict[tuple[str, int], Definition], key: str) -> Definition:
    """The newest version of a process: what a new case starts on."""
    versions = [d for (k, _), d in definitions.items() if k == key]
    if not versions:
        raise NotFound(f"no process definition {key!r}", {"process": ["unknown process"]})
    return max(versions, key=lambda d: d.version)
