"""Delegation in grants: whom the person acts for (an establishment under a mandate, or a
service-centre operator acting for the person), kept with codes, access and refresh
tokens

Revision ID: aad82c9f5c24
Revises: 74800a69010a
Create Date: 2026-11-27 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'aad82c9f5c24'
down_revision = '74800a69010a'
branch_labels = None
depends_on = None

TABLES = ('authorization_codes', 'access_tokens', 'refresh_tokens')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('delegation', sa.JSON(), nullable=True))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('delegation')
