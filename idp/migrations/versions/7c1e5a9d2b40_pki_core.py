"""PKI core: certificate authority hierarchy, issued certificates, published CRLs

Revision ID: 7c1e5a9d2b40
Revises: 4241c96223d0
Create Date: 2026-11-23 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e5a9d2b40'
down_revision = '4241c96223d0'
branch_labels = None
depends_on = None


def upgrade():
    # CAs and OCSP responders; their private keys stay in the PKCS#11 token (key_id).
    op.create_table('pki_authorities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('curve', sa.String(length=16), nullable=False),
    sa.Column('certificate_der', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['pki_authorities.id'],
                            name=op.f('fk_pki_authorities_parent_id_pki_authorities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pki_authorities')),
    sa.UniqueConstraint('name', name=op.f('uq_pki_authorities_name'))
    )
    # Every certificate the hierarchy issued; hold = revoked with reason certificateHold.
    op.create_table('pki_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=42), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('profile', sa.String(length=16), nullable=False),
    sa.Column('national_id', sa.String(length=32), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('der', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revocation_reason', sa.String(length=32), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['pki_authorities.id'],
                            name=op.f('fk_pki_certificates_issuer_id_pki_authorities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pki_certificates')),
    sa.UniqueConstraint('serial', name=op.f('uq_pki_certificates_serial'))
    )
    with op.batch_alter_table('pki_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pki_certificates_national_id'), ['national_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_pki_certificates_profile'), ['profile'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_pki_certificates_status'), ['status'],
                              unique=False)

    # Published CRLs; cRLNumber increases per authority.
    op.create_table('pki_crls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.BigInteger(), nullable=False),
    sa.Column('this_update', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_update', sa.DateTime(timezone=True), nullable=False),
    sa.Column('der', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['pki_authorities.id'],
                            name=op.f('fk_pki_crls_authority_id_pki_authorities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pki_crls')),
    sa.UniqueConstraint('authority_id', 'number', name=op.f('uq_pki_crls_authority_id'))
    )


def downgrade():
    op.drop_table('pki_crls')
    with op.batch_alter_table('pki_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pki_certificates_status'))
        batch_op.drop_index(batch_op.f('ix_pki_certificates_profile'))
        batch_op.drop_index(batch_op.f('ix_pki_certificates_national_id'))

    op.drop_table('pki_certificates')
    op.drop_table('pki_authorities')
