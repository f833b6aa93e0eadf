"""What crosses workflow's wire: process definition files and task commands."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, post_load, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from workflow.domain import Definition, Stage

KEY = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="lower-case letters, digits and - only")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class LimitSchema(_Strict):
    working_days = fields.Integer(required=True, validate=validate.Range(0, 365))


class StageSchema(_Strict):
    key = fields.String(required=True, validate=KEY)
    name = fields.String(required=True, validate=validate.Length(min=1))
    department = fields.String(required=True, validate=KEY)
    role = fields.String(required=True, validate=KEY)
    limit = fields.Nested(LimitSchema, required=True)


class DefinitionSchema(_Strict):
    key = fields.String(required=True, validate=KEY)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    name = fields.String(required=True)
    stages = fields.List(fields.Nested(StageSchema), required=True, validate=validate.Length(min=1))

    @validates_schema(skip_on_field_errors=False)  # report duplicates alongside every other error
    def unique_stage_keys(self, data: dict[str, Any], **_: Any) -> None:
        stages = data.get("stages") or []
        keys = [stage["key"] for stage in stages if isinstance(stage, dict) and "key" in stage]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise SchemaError(f"duplicate stage keys: {', '.join(duplicates)}", "stages")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Definition:
        stages = tuple(
            Stage(key=s["key"], name=s["name"], department=s["department"], role=s["role"],
                  limit_working_days=s["limit"]["working_days"])
            for s in data["stages"]
        )
        return Definition(key=data["key"], version=data["version"], name=data["name"], stages=stages)


class CompleteTaskSchema(_Strict):
    task_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    post = fields.String(required=True, validate=validate.Length(min=1, max=128))
    actor = fields.String(required=True, validate=validate.Length(min=1, max=64))
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    opinion = fields.String(load_default="", validate=validate.Length(max=2000))


class TaskSchema(Schema):
    task_id = fields.String()
    case_number = fields.String()
    stage = fields.String()
    post = fields.String()
    status = fields.String()
    opened_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime()
