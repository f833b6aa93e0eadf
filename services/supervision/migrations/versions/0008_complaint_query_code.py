"""complaints get a query code for the public status page

Revision ID: supervision_0007
Revises: supervision_0006
Create Date: 2026-11-27 15:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'supervision_0008'
down_revision = 'supervision_0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        # complaints filed before this have no code: they cannot be looked up publicly (an empty code never matches)
        batch_op.add_column(sa.Column('query_code', sa.String(length=8), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_column('query_code')
