"""a violation disproved by a late-delivered event is withdrawn (kept, with when and why); raised again as a new row

Revision ID: supervision_0009
Revises: supervision_0008
Create Date: 2026-11-27 18:30:00
"""
from alembic import op
import sqlalchemy as sa
import sunlight.db


revision = 'supervision_0009'
down_revision = 'supervision_0008'
branch_labels = None
depends_on = None

OPEN = sa.text('withdrawn_at IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('violations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sunlight.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_evidence', sa.Text(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('withdrawal_detail', sa.Text(), nullable=False, server_default=''))
        # once per (case, kind, target) among the open ones only: a withdrawn violation found again is raised again
        batch_op.drop_constraint('uq_violation_once', type_='unique')
        batch_op.create_index('uq_violation_open', ['case_number', 'kind', 'target'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    with op.batch_alter_table('violations', schema=None) as batch_op:
        batch_op.drop_index('uq_violation_open')
        batch_op.create_unique_constraint('uq_violation_once', ['case_number', 'kind', 'target'])
        batch_op.drop_column('withdrawal_detail')
        batch_op.drop_column('withdrawal_evidence')
        batch_op.drop_column('withdrawn_at')
