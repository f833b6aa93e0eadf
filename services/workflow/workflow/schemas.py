"""What crosses workflow's wire: process definition files and task commands."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, post_load, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from sunlight.contracts import INBOX_PAGE_MAX
from workflow.process import END, JOINS, KINDS, OPERATORS, Branch, Definition, Limit, Rule, Stage, check

KEY = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="lower-case letters, digits and - only")
KEY_OR_BLANK = validate.Regexp(r"^$|^[a-z0-9][a-z0-9-]{0,63}$", error="lower-case letters, digits and - only")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class LimitSchema(_Strict):
    working_days = fields.Integer(validate=validate.Range(0, 365))
    working_hours = fields.Float(validate=validate.Range(0.25, 24 * 30))

    @validates_schema
    def exactly_one(self, data: dict[str, Any], **_: Any) -> None:
        if ("working_days" in data) == ("working_hours" in data):
            raise SchemaError("give exactly one of working_days or working_hours", "_schema")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Limit:
        return Limit(working_days=data.get("working_days"), working_hours=data.get("working_hours"))


class BranchSchema(_Strict):
    key = fields.String(required=True, validate=KEY)
    name = fields.String(required=True, validate=validate.Length(min=1))
    department = fields.String(required=True, validate=KEY)
    role = fields.String(required=True, validate=KEY)
    limit = fields.Nested(LimitSchema, load_default=None)
    must_answer = fields.Boolean(load_default=False)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Branch:
        return Branch(**data)


class RuleSchema(_Strict):
    field = fields.String(required=True, validate=validate.Length(min=1))
    op = fields.String(required=True, validate=validate.OneOf(OPERATORS))
    value = fields.Raw(required=True)
    goto = fields.String(required=True, validate=validate.Length(min=1))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Rule:
        return Rule(**data)


class StageSchema(_Strict):
    key = fields.String(required=True, validate=KEY)
    name = fields.String(required=True, validate=validate.Length(min=1))
    kind = fields.String(load_default="task", validate=validate.OneOf(KINDS))
    department = fields.String(load_default="", validate=KEY_OR_BLANK)
    role = fields.String(load_default="", validate=KEY_OR_BLANK)
    backup_role = fields.String(load_default="", validate=KEY_OR_BLANK)
    limit = fields.Nested(LimitSchema)
    next = fields.String(validate=validate.Length(min=1))
    branches = fields.List(fields.Nested(BranchSchema), load_default=list)
    join = fields.String(load_default="all", validate=validate.OneOf(JOINS))
    join_n = fields.Integer(load_default=0)
    on_disagreement = fields.String(load_default="")
    rules = fields.List(fields.Nested(RuleSchema), load_default=list)
    otherwise = fields.String(load_default="")

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def fields_of_the_kind(self, _: dict[str, Any], data: Any, **__: Any) -> None:
        """A task names its post; every stage but a choice has a limit; a choice has a fallback."""
        if not isinstance(data, dict):
            return
        kind, missing = data.get("kind", "task"), "Missing data for required field."
        errors: dict[str, list[str]] = {}
        if kind == "task":
            errors.update({name: [missing] for name in ("department", "role") if not data.get(name)})
        if kind != "choice" and "limit" not in data:
            errors["limit"] = [missing]
        if kind == "choice" and not data.get("otherwise"):
            errors["otherwise"] = ["a choice needs a stage to go to otherwise"]
        if errors:
            raise SchemaError(errors)


class DefinitionSchema(_Strict):
    key = fields.String(required=True, validate=KEY)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    name = fields.String(required=True)
    description = fields.String(load_default="")
    items = fields.List(fields.String(), load_default=list)
    stages = fields.List(fields.Nested(StageSchema), required=True, validate=validate.Length(min=1))

    @validates_schema(skip_on_field_errors=False)  # report duplicates alongside every other error
    def unique_stage_keys(self, data: dict[str, Any], **_: Any) -> None:
        stages = data.get("stages") or []
        keys = [stage["key"] for stage in stages if isinstance(stage, dict) and "key" in stage]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise SchemaError(f"duplicate stage keys: {', '.join(duplicates)}", "stages")

    @validates_schema(skip_on_field_errors=True)
    def sound(self, data: dict[str, Any], **_: Any) -> None:
        """Unreachable stages, joins that can never fire, loops with no exit: each named by path."""
        errors = check(_stages(data["stages"]))
        if errors:
            raise SchemaError(errors)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Definition:
        return Definition(key=data["key"], version=data["version"], name=data["name"],
                          stages=_stages(data["stages"]))


def _stages(raw: list[dict[str, Any]]) -> tuple[Stage, ...]:
    """Stages in file order; a stage without ``next`` goes on to the one below it (or the end)."""
    stages = []
    for i, s in enumerate(raw):
        following = raw[i + 1]["key"] if i + 1 < len(raw) else END
        stages.append(Stage(
            key=s["key"], name=s["name"], kind=s["kind"], department=s["department"], role=s["role"],
            limit=s.get("limit") or Limit(working_days=0), next=s.get("next", following),
            branches=tuple(s["branches"]), join=s["join"], join_n=s["join_n"],
            on_disagreement=s["on_disagreement"], rules=tuple(s["rules"]), otherwise=s["otherwise"],
            backup_role=s["backup_role"],
        ))
    return tuple(stages)


class CompleteTaskSchema(_Strict):
    task_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    post = fields.String(required=True, validate=validate.Length(min=1, max=128))
    actor = fields.String(required=True, validate=validate.Length(min=1, max=64))
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    opinion = fields.String(load_default="", validate=validate.Length(max=2000))


class InboxPageSchema(_Strict):
    """Which page of a post's inbox: ``limit`` tasks after the task ``after`` (every task without ``limit``)."""

    post = fields.String(required=True, validate=validate.Length(min=1, max=128))
    limit = fields.Integer(load_default=None, allow_none=True, strict=True,
                           validate=validate.Range(min=1, max=INBOX_PAGE_MAX))
    after = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=128))


class TaskSchema(Schema):
    task_id = fields.String()
    case_number = fields.String()
    stage = fields.String()
    post = fields.String()
    status = fields.String()
    opened_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime()
    #: set when supervision urged it (督办): a datetime on an inbox row, ISO text in a case's state
    urged_until = fields.Function(lambda task: _iso(getattr(task, "urged_until", None)))


def _iso(value: object) -> str | None:
    if not value:
        return None
    return value if isinstance(value, str) else value.isoformat()  # type: ignore[attr-defined]


# --- actions on tasks and cases ---------------------------------------------------------------

TEXT = validate.Length(max=2000)
ID = validate.Length(min=1, max=128)


class TaskActionSchema(_Strict):
    """Who acts on which task: the post they hold and their name."""

    task_id = fields.String(required=True, validate=ID)
    post = fields.String(required=True, validate=ID)
    actor = fields.String(required=True, validate=validate.Length(min=1, max=64))


class TransferSchema(TaskActionSchema):
    to_post = fields.String(required=True, validate=ID)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ReturnSchema(TaskActionSchema):
    missing = fields.List(fields.String(validate=validate.Length(min=1)), required=True,
                          validate=validate.Length(min=1))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class SuspendSchema(TaskActionSchema):
    cause = fields.String(required=True, validate=validate.OneOf(["hearing", "testing", "expert-review",
                                                                  "public-notice"]))
    reason = fields.String(load_default="", validate=TEXT)


class DelegateSchema(_Strict):
    task_id = fields.String(required=True, validate=ID)
    actor = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(load_default="", validate=TEXT)


class CaseActionSchema(_Strict):
    case_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    actor = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(load_default="", validate=TEXT)


class CoReviewerSchema(_Strict):
    case_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    actor = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department = fields.String(required=True, validate=KEY)
    role = fields.String(required=True, validate=KEY)
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))


class AbsenceSchema(_Strict):
    post = fields.String(required=True, validate=ID)
    actor = fields.String(required=True, validate=validate.Length(min=1, max=64))
    absent = fields.Boolean(required=True)
