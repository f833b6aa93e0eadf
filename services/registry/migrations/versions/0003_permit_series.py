"""permit series on the case file: permits are numbered per series (招牌, 广告, 渣土 ...)

Revision ID: registry_0003
Revises: registry_0002
"""
from alembic import op
import sqlalchemy as sa


revision = 'registry_0003'
down_revision = 'registry_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('permit_series', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_files', schema=None) as batch_op:
        batch_op.drop_column('permit_series')
