"""Service centres, their operators, and assisted work (consent by SMS code, then RFC 8693
token exchange)

Revision ID: bcdf3926479a
Revises: aad82c9f5c24
Create Date: 2026-11-27 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bcdf3926479a'
down_revision = 'aad82c9f5c24'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('service_centres',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_ar', sa.String(length=200), nullable=True),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_centres')),
    sa.UniqueConstraint('client_id', name=op.f('uq_service_centres_client_id')),
    sa.UniqueConstraint('code', name=op.f('uq_service_centres_code'))
    )
    op.create_table('centre_operators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['centre_id'], ['service_centres.id'],
                            name=op.f('fk_centre_operators_centre_id_service_centres'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_centre_operators')),
    sa.UniqueConstraint('centre_id', 'subject', name=op.f('uq_centre_operators_centre_id'))
    )
    with op.batch_alter_table('centre_operators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_centre_operators_subject'), ['subject'],
                              unique=False)
    op.create_table('assisted_work',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('operator_sub', sa.String(length=64), nullable=False),
    sa.Column('operator_acr', sa.String(length=128), nullable=True),
    sa.Column('citizen_sub', sa.String(length=64), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('service_name', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('exchanged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['centre_id'], ['service_centres.id'],
                            name=op.f('fk_assisted_work_centre_id_service_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assisted_work')),
    sa.UniqueConstraint('ref', name=op.f('uq_assisted_work_ref'))
    )
    with op.batch_alter_table('assisted_work', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assisted_work_centre_id'), ['centre_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_assisted_work_citizen_sub'), ['citizen_sub'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('assisted_work', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assisted_work_citizen_sub'))
        batch_op.drop_index(batch_op.f('ix_assisted_work_centre_id'))
    op.drop_table('assisted_work')
    with op.batch_alter_table('centre_operators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_centre_operators_subject'))
    op.drop_table('centre_operators')
    op.drop_table('service_centres')
