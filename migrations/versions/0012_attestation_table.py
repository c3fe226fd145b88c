"""attestation: what a learner attested before the evaluation, one per enrollment

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 18:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import ceu.extensions


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attestation',
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('attested_at', ceu.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollment.id'], name=op.f('fk_attestation_enrollment_id_enrollment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('enrollment_id', name=op.f('pk_attestation'))
    )


def downgrade():
    op.drop_table('attestation')
