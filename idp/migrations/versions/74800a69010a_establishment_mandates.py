"""Establishment mandates: agents acting for establishments, granted by owners or
requested with chamber-certified letters and reviewed by administrators

Revision ID: 74800a69010a
Revises: 55b7ff20646b
Create Date: 2026-11-27 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '74800a69010a'
down_revision = '55b7ff20646b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mandates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('agent_national_id', sa.String(length=32), nullable=False),
    sa.Column('agent_sub', sa.String(length=64), nullable=True),
    sa.Column('establishment_cr', sa.String(length=16), nullable=False),
    sa.Column('establishment_name', sa.String(length=200), nullable=False),
    sa.Column('establishment_name_ar', sa.String(length=200), nullable=True),
    sa.Column('permissions', sa.JSON(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('granted_by', sa.String(length=64), nullable=False),
    sa.Column('evidence_ref', sa.String(length=120), nullable=False),
    sa.Column('letter_number', sa.String(length=64), nullable=True),
    sa.Column('letter_document', sa.Text(), nullable=True),
    sa.Column('letter_digest', sa.String(length=64), nullable=True),
    sa.Column('letter_key_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True),
    sa.Column('review_reason', sa.String(length=300), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=True),
    sa.Column('revoke_reason', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mandates')),
    sa.UniqueConstraint('ref', name=op.f('uq_mandates_ref')),
    sa.UniqueConstraint('letter_number', name=op.f('uq_mandates_letter_number'))
    )
    with op.batch_alter_table('mandates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mandates_agent_national_id'),
                              ['agent_national_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mandates_agent_sub'), ['agent_sub'], unique=False)
        batch_op.create_index(batch_op.f('ix_mandates_establishment_cr'), ['establishment_cr'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('mandates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mandates_establishment_cr'))
        batch_op.drop_index(batch_op.f('ix_mandates_agent_sub'))
        batch_op.drop_index(batch_op.f('ix_mandates_agent_national_id'))

    op.drop_table('mandates')
