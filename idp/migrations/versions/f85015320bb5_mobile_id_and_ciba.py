"""Mobile ID login and CIBA: MSSP signature requests, backchannel authentication
requests, and the clients' CIBA delivery mode and notification endpoint

Revision ID: f85015320bb5
Revises: b3e8d41c7a25
Create Date: 2026-11-26 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f85015320bb5'
down_revision = 'b3e8d41c7a25'
branch_labels = None
depends_on = None


def upgrade():
    # One MSS_Signature transaction at an operator's MSSP and how it ended.
    op.create_table('mobile_id_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=43), nullable=False),
    sa.Column('purpose', sa.String(length=8), nullable=False),
    sa.Column('transaction_id', sa.String(length=64), nullable=True),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('operator', sa.String(length=32), nullable=True),
    sa.Column('msisdn', sa.String(length=20), nullable=False),
    sa.Column('national_id', sa.String(length=32), nullable=True),
    sa.Column('verification_code', sa.String(length=4), nullable=False),
    sa.Column('pending', sa.JSON(), nullable=True),
    sa.Column('mssp_trans_id', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('transient_failures', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('subject', sa.String(length=64), nullable=True),
    sa.Column('evidence_ref', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mobile_id_requests')),
    sa.UniqueConstraint('ref', name=op.f('uq_mobile_id_requests_ref'))
    )
    with op.batch_alter_table('mobile_id_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mobile_id_requests_state'), ['state'],
                              unique=False)

    # OpenID CIBA Core 1.0 backchannel authentication requests.
    op.create_table('ciba_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auth_req_id', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('mobile_id_request_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('acr_values', sa.Text(), nullable=True),
    sa.Column('binding_message', sa.String(length=200), nullable=True),
    sa.Column('delivery_mode', sa.String(length=8), nullable=False),
    sa.Column('notification_token', sa.Text(), nullable=True),
    sa.Column('interval', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('subject', sa.String(length=64), nullable=True),
    sa.Column('acr', sa.String(length=128), nullable=True),
    sa.Column('amr', sa.JSON(), nullable=True),
    sa.Column('auth_time', sa.Integer(), nullable=True),
    sa.Column('evidence_ref', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['mobile_id_request_id'], ['mobile_id_requests.id'],
                            name=op.f('fk_ciba_requests_mobile_id_request_id_mobile_id_requests'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ciba_requests')),
    sa.UniqueConstraint('auth_req_id', name=op.f('uq_ciba_requests_auth_req_id'))
    )
    with op.batch_alter_table('ciba_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ciba_requests_client_id'), ['client_id'],
                              unique=False)

    # CIBA client metadata (OpenID CIBA Core 1.0 §4).
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backchannel_token_delivery_mode', sa.String(length=8),
                                      nullable=True))
        batch_op.add_column(sa.Column('backchannel_client_notification_endpoint', sa.Text(),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('backchannel_client_notification_endpoint')
        batch_op.drop_column('backchannel_token_delivery_mode')

    with op.batch_alter_table('ciba_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ciba_requests_client_id'))

    op.drop_table('ciba_requests')
    with op.batch_alter_table('mobile_id_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mobile_id_requests_state'))

    op.drop_table('mobile_id_requests')
