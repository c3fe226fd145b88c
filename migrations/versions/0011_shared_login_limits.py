"""rate-limit counters shared by every worker (ceu+db://) and the per-address log-in throttle

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import ceu.extensions


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rate_limit_counter',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('expires_epoch', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counter')),
    )
    op.create_table(
        'login_throttle',
        sa.Column('email_hash', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failed_at', ceu.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('email_hash', name=op.f('pk_login_throttle')),
    )


def downgrade():
    op.drop_table('login_throttle')
    op.drop_table('rate_limit_counter')
