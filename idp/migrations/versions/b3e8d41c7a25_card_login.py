"""ID card login: challenge nonces, cards linked to accounts, evidence of certificate logins

Revision ID: b3e8d41c7a25
Revises: 66317683f0c5
Create Date: 2026-11-25 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3e8d41c7a25'
down_revision = '66317683f0c5'
branch_labels = None
depends_on = None


def upgrade():
    # Web eID challenge nonces: only their SHA-256 digest, single use (used_at).
    op.create_table('card_challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce_digest', sa.String(length=64), nullable=False),
    sa.Column('transaction_id', sa.String(length=64), nullable=False),
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_challenges')),
    sa.UniqueConstraint('nonce_digest', name=op.f('uq_card_challenges_nonce_digest'))
    )
    with op.batch_alter_table('card_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_challenges_expires_at'), ['expires_at'],
                              unique=False)

    # Card certificates linked to accounts at their first login.
    op.create_table('linked_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('serial', sa.String(length=42), nullable=False),
    sa.Column('issuer', sa.Text(), nullable=False),
    sa.Column('national_id', sa.String(length=32), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                            name=op.f('fk_linked_cards_account_id_accounts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linked_cards')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_linked_cards_fingerprint'))
    )
    with op.batch_alter_table('linked_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_linked_cards_account_id'), ['account_id'],
                              unique=False)

    # What each certificate login rested on (login_sessions.evidence_ref = ref).
    op.create_table('authn_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('certificate_serial', sa.String(length=42), nullable=False),
    sa.Column('certificate_issuer', sa.Text(), nullable=False),
    sa.Column('certificate_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('algorithm', sa.String(length=8), nullable=True),
    sa.Column('revocation_status', sa.String(length=16), nullable=False),
    sa.Column('revocation_source', sa.String(length=8), nullable=True),
    sa.Column('revocation_checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_authn_evidence')),
    sa.UniqueConstraint('ref', name=op.f('uq_authn_evidence_ref'))
    )


def downgrade():
    op.drop_table('authn_evidence')
    with op.batch_alter_table('linked_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_linked_cards_account_id'))

    op.drop_table('linked_cards')
    with op.batch_alter_table('card_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_challenges_expires_at'))

    op.drop_table('card_challenges')
