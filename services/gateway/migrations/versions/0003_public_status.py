"""public status read model, folded from events (issue 11)

Revision ID: gateway_0003
Revises: gateway_0002
Create Date: 2026-11-27 18:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sunlight.db


revision = 'gateway_0003'
down_revision = 'gateway_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('public_status',
    sa.Column('application_number', sa.String(length=32), nullable=False),
    sa.Column('item_name', sa.String(length=200), nullable=False),
    sa.Column('received_at', sunlight.db.UTCDateTime(), nullable=True),
    sa.Column('promised_date', sa.Date(), nullable=True),
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_at', sunlight.db.UTCDateTime(), nullable=True),
    sa.Column('stage', sa.String(length=64), nullable=False),
    sa.Column('stage_at', sunlight.db.UTCDateTime(), nullable=True),
    sa.Column('certificate_number', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('application_number')
    )


def downgrade() -> None:
    op.drop_table('public_status')
