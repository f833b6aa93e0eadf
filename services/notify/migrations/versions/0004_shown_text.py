"""keep each message's text as staff may see it: the query code masked; the text sent loses the code once sent

Revision ID: notify_0004
Revises: notify_0003
Create Date: 2026-11-28 07:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = 'notify_0004'
down_revision = 'notify_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shown_text', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('shown_text')
