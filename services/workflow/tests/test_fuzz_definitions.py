"""Fuzzing process definitions (hypothesis): any YAML file in ``definitions/``, and shipped ones broken anywhere.

A definition is outside input (a bureau's staff write them). Whatever a file holds, loading either
gives the definitions or refuses with ValidationFailed naming the file and what is wrong in it; never
another error that would stop workflow from starting without saying which file is at fault.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sunlight.errors import ValidationFailed
from workflow.definitions import DEFINITIONS, load_definitions

SHIPPED = {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(DEFINITIONS.glob("*.yml"))}
SCALARS = st.none() | st.booleans() | st.integers(-5, 1000) | st.floats(allow_nan=False) | st.text(max_size=12)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                             max_size=3), max_leaves=6)


def loads_or_names_the_file(name: str, content: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / name).write_text(content, encoding="utf-8")
        try:
            load_definitions(Path(folder))
        except ValidationFailed as refused:
            assert list(refused.fields) == [name] and refused.fields[name]


def places(document: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a definition."""
    found = [path]
    if isinstance(document, dict):
        for key, value in document.items():
            found += places(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += places(value, (*path, index))
    return found


def broken(document: Any, path: tuple[Any, ...], replacement: Any, delete: bool) -> Any:
    if not path:
        return replacement
    head, rest = path[0], path[1:]
    copy = dict(document) if isinstance(document, dict) else list(document)
    if delete and not rest:
        del copy[head]
    else:
        copy[head] = broken(document[head], rest, replacement, delete)
    return copy


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200) | VALUES.map(lambda value: yaml.safe_dump(value, allow_unicode=True)))
def test_any_file_loads_or_is_refused_naming_it(content: str) -> None:
    loads_or_names_the_file("anything.v1.yml", content)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_shipped_definition_broken_anywhere_loads_or_is_refused_naming_it(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(SHIPPED)))
    document = SHIPPED[name]
    path = data.draw(st.sampled_from(places(document)))
    mutated = broken(document, path, data.draw(VALUES), delete=bool(path) and data.draw(st.booleans()))
    loads_or_names_the_file(name, yaml.safe_dump(mutated, allow_unicode=True))
