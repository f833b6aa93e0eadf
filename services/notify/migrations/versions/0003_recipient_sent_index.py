"""index the hourly rate limit's count of one recipient's recent messages

Revision ID: notify_0003
Revises: notify_0002
Create Date: 2026-11-27 18:30:00.000000
"""
from alembic import op


revision = 'notify_0003'
down_revision = 'notify_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_recipient_sent', ['recipient', 'sent_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_recipient_sent')
