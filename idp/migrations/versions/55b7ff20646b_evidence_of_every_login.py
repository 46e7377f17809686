"""Evidence of every login: the evidence table holds logins of any method (certificate
columns optional), with the level, the methods, the address, the browser, the MSSP
transaction and the SMS message; the SMS gateway's message id of each code sent

Revision ID: 55b7ff20646b
Revises: f85015320bb5
Create Date: 2026-11-27 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '55b7ff20646b'
down_revision = 'f85015320bb5'
branch_labels = None
depends_on = None

CERTIFICATE_COLUMNS = (
    ('certificate_serial', sa.String(length=42)),
    ('certificate_issuer', sa.Text()),
    ('certificate_fingerprint', sa.String(length=64)),
    ('revocation_status', sa.String(length=16)),
    ('revocation_checked_at', sa.DateTime(timezone=True)),
)


def upgrade():
    with op.batch_alter_table('authn_evidence', schema=None) as batch_op:
        for name, kind in CERTIFICATE_COLUMNS:
            batch_op.alter_column(name, existing_type=kind, nullable=True)
        batch_op.add_column(sa.Column('acr', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('amr', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('client_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('ip', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('user_agent', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('mssp_transaction', sa.String(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('sms_message_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sms_reference', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_authn_evidence_subject'), ['subject'],
                              unique=False)

    with op.batch_alter_table('otp_challenges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('otp_challenges', schema=None) as batch_op:
        batch_op.drop_column('message_id')

    op.execute("DELETE FROM authn_evidence WHERE certificate_serial IS NULL")
    with op.batch_alter_table('authn_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authn_evidence_subject'))
        for name in ('sms_reference', 'sms_message_id', 'mssp_transaction', 'user_agent',
                     'ip', 'client_id', 'amr', 'acr'):
            batch_op.drop_column(name)
        for name, kind in CERTIFICATE_COLUMNS:
            batch_op.alter_column(name, existing_type=kind, nullable=False)
