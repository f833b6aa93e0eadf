"""urged_until on tasks: the inbox shows what supervision urged (督办) and by when

Revision ID: workflow_0003
Revises: workflow_0002
"""
from alembic import op
import sqlalchemy as sa
import sunlight.db


revision = 'workflow_0003'
down_revision = 'workflow_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urged_until', sunlight.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('urged_until')
