"""Citizens' credentials, one-time code challenges and sends

Revision ID: 66317683f0c5
Revises: 7c1e5a9d2b40
Create Date: 2026-11-24 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '66317683f0c5'
down_revision = '7c1e5a9d2b40'
branch_labels = None
depends_on = None


def upgrade():
    # The login credential of a registered citizen's account (argon2id hash, never the
    # password); the mobile number as the civil registry had it on record, in E.164.
    op.create_table('citizens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('national_id', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('phone_number', sa.String(length=20), nullable=False),
    sa.Column('phone_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lock_reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                            name=op.f('fk_citizens_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizens')),
    sa.UniqueConstraint('account_id', name=op.f('uq_citizens_account_id')),
    sa.UniqueConstraint('national_id', name=op.f('uq_citizens_national_id'))
    )
    # One code journey: only the HMAC of the current code is stored; msisdn NULL = decoy.
    op.create_table('otp_challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=True),
    sa.Column('msisdn', sa.String(length=20), nullable=True),
    sa.Column('number_key', sa.String(length=64), nullable=False),
    sa.Column('binding', sa.String(length=64), nullable=False),
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('sends', sa.Integer(), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'],
                            name=op.f('fk_otp_challenges_citizen_id_citizens'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_otp_challenges')),
    sa.UniqueConstraint('public_id', name=op.f('uq_otp_challenges_public_id'))
    )
    with op.batch_alter_table('otp_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_otp_challenges_citizen_id'), ['citizen_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_otp_challenges_expires_at'), ['expires_at'],
                              unique=False)
    # Codes sent, for the per-number and per-address limits (keyed by HMAC, not number).
    op.create_table('otp_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number_key', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_otp_sends'))
    )
    with op.batch_alter_table('otp_sends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_otp_sends_ip'), ['ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_otp_sends_number_key'), ['number_key'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_otp_sends_sent_at'), ['sent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('otp_sends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_otp_sends_sent_at'))
        batch_op.drop_index(batch_op.f('ix_otp_sends_number_key'))
        batch_op.drop_index(batch_op.f('ix_otp_sends_ip'))
    op.drop_table('otp_sends')
    with op.batch_alter_table('otp_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_otp_challenges_expires_at'))
        batch_op.drop_index(batch_op.f('ix_otp_challenges_citizen_id'))
    op.drop_table('otp_challenges')
    op.drop_table('citizens')
