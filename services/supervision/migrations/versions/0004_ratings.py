"""ratings: one per completed case; bad ones carry a rectification deadline

Revision ID: supervision_0004
Revises: supervision_0003
"""
from alembic import op
import sqlalchemy as sa
import sunlight.db


revision = 'supervision_0004'
down_revision = 'supervision_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ratings',
        sa.Column('case_number', sa.String(length=32), nullable=False),
        sa.Column('tenant', sa.String(length=32), nullable=False),
        sa.Column('item_code', sa.String(length=64), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('rated_at', sunlight.db.UTCDateTime(), nullable=False),
        sa.Column('rectification_due', sunlight.db.UTCDateTime(), nullable=True),
        sa.Column('rectified_at', sunlight.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('case_number'),
    )
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index('ix_ratings_tenant', ['tenant'], unique=False)


def downgrade() -> None:
    op.drop_table('ratings')
