"""Process definitions: stages, the posts that own them, their limits and the routes between them.

Pure data plus the static checks a definition must pass before any case may run on it (every stage
reachable, every join able to fire, every loop able to leave) and its Mermaid flowchart.

Stage kinds:

- ``task``: one post decides (承办, 审核, 审批 ...).
- ``co_review``: several departments review in parallel (并联审批); the join fires when ``all``,
  ``any`` or ``n_of_m`` of them approve and every ``must_answer`` branch has answered.
- ``meeting``: online joint meeting (网上会办): every department gives its opinion; unanimous
  approval goes on, any disagreement goes to the ``on_disagreement`` (coordination) stage.
- ``signing``: a chain of leaders signing one after another (会签).
- ``choice``: no task; routes on a form field (e.g. ``area_mu`` above a threshold).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

END = "end"
KINDS = ("task", "co_review", "meeting", "signing", "choice")
PARALLEL = ("co_review", "meeting")
JOINS = ("all", "any", "n_of_m")
OPERATORS = ("gt", "ge", "lt", "le", "eq", "ne")


@dataclass(frozen=True)
class Limit:
    """A stage's time limit: working days, or working hours for on-the-spot items."""

    working_days: int | None = None
    working_hours: float | None = None

    def label(self) -> str:
        """How the limit reads on a chart: ``2 wd`` or ``2 wh``."""
        return f"{self.working_hours} wh" if self.working_hours is not None else f"{self.working_days} wd"


@dataclass(frozen=True)
class Branch:
    """One department's part of a parallel stage, or one leader of a signing chain."""

    key: str
    name: str
    department: str
    role: str
    limit: Limit | None = None  # None: the stage's limit
    must_answer: bool = False


@dataclass(frozen=True)
class Rule:
    """Go to ``goto`` when ``form[field] <op> value``."""

    field: str
    op: str
    value: float | str
    goto: str


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    kind: str = "task"
    department: str = ""
    role: str = ""
    limit: Limit = field(default_factory=lambda: Limit(working_days=0))
    next: str = END
    branches: tuple[Branch, ...] = ()
    join: str = "all"
    join_n: int = 0
    on_disagreement: str = ""
    rules: tuple[Rule, ...] = ()
    otherwise: str = ""
    backup_role: str = ""  # the B post (AB岗) of this stage's post; default ``<role>-b``

    @property
    def limit_working_days(self) -> int | None:
        return self.limit.working_days

    def targets(self) -> Iterator[tuple[str, str]]:
        """Every route out of this stage on the way to approval: (label, target)."""
        if self.kind == "choice":
            for rule in self.rules:
                yield f"{rule.field} {rule.op} {rule.value}", rule.goto
            yield "otherwise", self.otherwise
            return
        yield "", self.next
        if self.on_disagreement:
            yield "disagree", self.on_disagreement

    def needed(self, branch_count: int) -> int:
        """How many approvals fire the join, out of ``branch_count`` branches."""
        if self.kind == "meeting" or self.join == "all":
            return branch_count
        if self.join == "any":
            return 1
        return self.join_n


@dataclass(frozen=True)
class Definition:
    key: str
    version: int
    name: str
    stages: tuple[Stage, ...]

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        from sunlight.errors import NotFound

        raise NotFound(f"definition {self.key} v{self.version} has no stage {key!r}", {"stage": [key]})

    def after(self, key: str) -> Stage | None:
        """The stage approval of ``key`` leads to (None: the end)."""
        target = self.stage(key).next
        return None if target == END else self.stage(target)


# --- static checks ----------------------------------------------------------------------------


def check(stages: tuple[Stage, ...]) -> dict[str, list[str]]:
    """Every structural fault, keyed by its path (``stages.3.next``); empty when sound."""
    errors: dict[str, list[str]] = {}
    index = {stage.key: i for i, stage in enumerate(stages)}

    def add(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    for i, stage in enumerate(stages):
        for label, target in stage.targets():
            if target != END and target not in index:
                where = {"disagree": "on_disagreement", "otherwise": "otherwise"}.get(label, "next")
                if stage.kind == "choice" and label != "otherwise":
                    where = f"rules.{[r.goto for r in stage.rules].index(target)}.goto"
                add(f"stages.{i}.{where}", f"no stage {target!r}")
        _check_join(stage, f"stages.{i}", add)
    if errors or not stages:
        return errors
    reachable = _reach(stages, stages[0].key, index)
    for i, stage in enumerate(stages):
        if stage.key not in reachable:
            add(f"stages.{i}", f"stage {stage.key!r} is unreachable from {stages[0].key!r}")
    for i, stage in enumerate(stages):
        if stage.key in reachable and END not in _reach(stages, stage.key, index):
            loop = _loop_from(stages, stage.key, index)
            add(f"stages.{i}", f"cycle with no exit: {' → '.join(loop)}")
    return errors


def _check_join(stage: Stage, path: str, report: Callable[[str, str], None]) -> None:
    if stage.kind in (*PARALLEL, "signing") and not stage.branches:
        report(f"{path}.branches", f"a {stage.kind} stage needs at least one branch")
    if stage.kind in PARALLEL:
        keys = [b.key for b in stage.branches]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            report(f"{path}.branches", f"duplicate branch keys: {', '.join(duplicates)}")
        m = len(stage.branches)
        if stage.kind == "co_review" and stage.join == "n_of_m" and not 1 <= stage.join_n <= m:
            report(f"{path}.join", f"join {stage.join_n} of {m} can never fire")
        if stage.kind == "meeting" and not stage.on_disagreement:
            report(f"{path}.on_disagreement", "a meeting needs a coordination stage for disagreements")
    if stage.kind == "choice" and not stage.rules:
        report(f"{path}.rules", "a choice needs at least one rule")
    if stage.kind == "task" and not (stage.department and stage.role):
        report(f"{path}.department", "a task stage needs a department and a role")


def _successors(stage: Stage) -> list[str]:
    return [target for _, target in stage.targets()]


def _reach(stages: tuple[Stage, ...], start: str, index: dict[str, int]) -> set[str]:
    seen: set[str] = set()
    pending = [start]
    while pending:
        key = pending.pop()
        if key in seen:
            continue
        seen.add(key)
        if key != END:
            pending.extend(_successors(stages[index[key]]))
    return seen


def _loop_from(stages: tuple[Stage, ...], start: str, index: dict[str, int]) -> list[str]:
    """A path from ``start`` that comes back on itself: what to show the author."""
    path = [start]
    key = start
    while True:
        key = _successors(stages[index[key]])[0]
        if key in path:
            return [*path[path.index(key):], key] if key != start else [*path, key]
        path.append(key)


# --- Mermaid ----------------------------------------------------------------------------------


def mermaid(definition: Definition) -> str:
    """The definition as a Mermaid flowchart (README, and later the web)."""
    lines = ["flowchart TD", f"    start([{definition.name} v{definition.version}])"]
    lines.append(f"    start --> {_entry(definition, definition.stages[0].key)}")
    for stage in definition.stages:
        node = _node(stage.key)
        text = f"{stage.name}<br/>{stage.limit.label()}"
        if stage.kind == "choice":
            lines.append(f'    {node}{{"{stage.name}"}}')
        elif stage.kind in PARALLEL:
            rule = "unanimous" if stage.kind == "meeting" else (
                f"{stage.join_n} of {len(stage.branches)}" if stage.join == "n_of_m" else stage.join)
            lines.append(f'    subgraph {node}_group["{stage.name} ({rule}) {stage.limit.label()}"]')
            for branch in stage.branches:
                lines.append(f'        {node}_{_node(branch.key)}["{branch.name}<br/>{branch.department}"]')
            lines.append("    end")
            lines.append(f"    {node}(({stage.key} join))")
            for branch in stage.branches:
                lines.append(f"    {node}_{_node(branch.key)} --> {node}")
        elif stage.kind == "signing":
            chain = " → ".join(b.name for b in stage.branches)
            lines.append(f'    {node}[["{stage.name}: {chain}<br/>{stage.limit.label()}"]]')
        else:
            lines.append(f'    {node}["{text}<br/>{stage.department}/{stage.role}"]')
    lines.append("    end_([approved])")
    for stage in definition.stages:
        source = _node(stage.key)
        for label, target in stage.targets():
            arrow = f" -- {label} --> " if label else " --> "
            lines.append(f"    {source}{arrow}{'end_' if target == END else _entry(definition, target)}")
    return "\n".join(lines) + "\n"


def _node(key: str) -> str:
    return key.replace("-", "_")


def _entry(definition: Definition, key: str) -> str:
    stage = definition.stage(key)
    return f"{_node(key)}_group" if stage.kind in PARALLEL else _node(key)
