"""A partial index on the open cases by tenant: the per-tenant open-case gauge counts it, not the table

Revision ID: workflow_0005
Revises: workflow_0004

``count_open_cases`` (every 15 s, in every replica) counts the open cases per tenant. Without this index it
read every open row of ``cases``, each carrying the case's saved state (bench/growth.py: 230–260 ms at 10^6
open cases on PostgreSQL); with it, PostgreSQL and SQLite count the index's entries alone (an index-only
scan once the table has been vacuumed, as autovacuum does). The status leads the index: SQLite
reads an index as covering only when it holds every column the query names, and without ANALYZE's
statistics it prefers an equality search on the status to any scan.
"""
from alembic import op
import sqlalchemy as sa


revision = 'workflow_0005'
down_revision = 'workflow_0004'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_open_tenant', ['status', 'tenant'], sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_open_tenant')
