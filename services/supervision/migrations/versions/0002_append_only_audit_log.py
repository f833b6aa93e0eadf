"""audit log is append-only: the database itself refuses UPDATE and DELETE, and the head only moves forward

Revision ID: supervision_0002
Revises: supervision_0001
"""
from alembic import op

revision = 'supervision_0002'
down_revision = 'supervision_0001'
branch_labels = None
depends_on = None

PG_UP = [
    """CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP; END $$""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()""",
    """CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.last_seq <> OLD.last_seq + 1 THEN
           RAISE EXCEPTION 'audit_chain_head only moves forward one record at a time';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_chain_head
       FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only()""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_chain_head
       FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()""",
]
PG_DOWN = [
    "DROP TRIGGER audit_head_no_delete ON audit_chain_head",
    "DROP TRIGGER audit_head_forward_only ON audit_chain_head",
    "DROP FUNCTION audit_head_forward_only()",
    "DROP TRIGGER audit_log_no_truncate ON audit_log",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    "DROP FUNCTION audit_log_refuse_change()",
]
SQLITE_UP = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END""",
    """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_chain_head
       WHEN NEW.last_seq <> OLD.last_seq + 1
       BEGIN SELECT RAISE(ABORT, 'audit_chain_head only moves forward one record at a time'); END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_chain_head
       BEGIN SELECT RAISE(ABORT, 'audit_chain_head cannot be deleted'); END""",
]
SQLITE_DOWN = [f"DROP TRIGGER {name}" for name in
               ("audit_head_no_delete", "audit_head_forward_only", "audit_log_no_delete", "audit_log_no_update")]


def upgrade() -> None:
    for statement in (PG_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP):
        op.execute(statement)


def downgrade() -> None:
    for statement in (PG_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN):
        op.execute(statement)
