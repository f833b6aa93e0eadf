"""Partial indexes on the open tasks: the inbox in deadline order, and the meeting time box

Revision ID: workflow_0004
Revises: workflow_0003

A post's inbox (``list_tasks``: its open tasks, the nearest deadline first, ties by task id, a page at a time) and the time-box scan
(``close_expired_meetings``: open meeting tasks past due, every 30 s) read only open tasks. With an
index over open tasks alone, in the order they are read, neither grows with the closed tasks, and the
time box no longer scans every open task to find the few meetings past due (bench/growth.py: 383 ms at
10^6 open cases without it).
"""
from alembic import op
import sqlalchemy as sa


revision = 'workflow_0004'
down_revision = 'workflow_0003'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_open_inbox', ['post', 'due_at', 'task_id'], sqlite_where=OPEN,
                              postgresql_where=OPEN)
        batch_op.create_index('ix_tasks_open_stage_due', ['stage', 'due_at'], sqlite_where=OPEN,
                              postgresql_where=OPEN)


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_open_stage_due')
        batch_op.drop_index('ix_tasks_open_inbox')
