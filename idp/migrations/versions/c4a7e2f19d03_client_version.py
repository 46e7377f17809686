"""A version stamp on each client registration, new at every change, so that workers can
keep a registration they have read and know with one small query when it changed

Revision ID: c4a7e2f19d03
Revises: bcdf3926479a
Create Date: 2026-11-22 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a7e2f19d03'
down_revision = 'bcdf3926479a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clients') as batch:
        batch.add_column(sa.Column('version', sa.String(length=32), nullable=False,
                                   server_default='registered'))


def downgrade():
    with op.batch_alter_table('clients') as batch:
        batch.drop_column('version')
