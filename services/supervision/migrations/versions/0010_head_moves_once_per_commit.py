"""the chain head moves once per transaction, onto the last record it appended: forward only, onto a real record

A transaction that records a batch of events appends several records and moves the head once, at commit.
The head may therefore move more than one record at a time, but only forward, and only onto a record that
exists with the same hash: it can neither be wound back nor pointed past the chain or at a forged hash.

Revision ID: supervision_0010
Revises: supervision_0009
Create Date: 2026-11-28 02:30:00
"""
from alembic import op

revision = 'supervision_0010'
down_revision = 'supervision_0009'
branch_labels = None
depends_on = None

PG_UP = ["""CREATE OR REPLACE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.last_seq <= OLD.last_seq OR NOT EXISTS (
             SELECT 1 FROM audit_log WHERE seq = NEW.last_seq AND hash = NEW.last_hash) THEN
           RAISE EXCEPTION 'audit_chain_head only moves forward, onto a record of the log';
         END IF;
         RETURN NEW;
       END $$"""]
PG_DOWN = ["""CREATE OR REPLACE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.last_seq <> OLD.last_seq + 1 THEN
           RAISE EXCEPTION 'audit_chain_head only moves forward one record at a time';
         END IF;
         RETURN NEW;
       END $$"""]
SQLITE_UP = [
    "DROP TRIGGER audit_head_forward_only",
    """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_chain_head
       WHEN NEW.last_seq <= OLD.last_seq OR NOT EXISTS (
           SELECT 1 FROM audit_log WHERE seq = NEW.last_seq AND hash = NEW.last_hash)
       BEGIN SELECT RAISE(ABORT, 'audit_chain_head only moves forward, onto a record of the log'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER audit_head_forward_only",
    """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_chain_head
       WHEN NEW.last_seq <> OLD.last_seq + 1
       BEGIN SELECT RAISE(ABORT, 'audit_chain_head only moves forward one record at a time'); END""",
]


def upgrade() -> None:
    for statement in (PG_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP):
        op.execute(statement)


def downgrade() -> None:
    for statement in (PG_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN):
        op.execute(statement)
