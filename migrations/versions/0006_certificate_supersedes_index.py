"""index certificate.supersedes_id (verification looks up a certificate's replacement)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_supersedes_id'), ['supersedes_id'], unique=False)


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_supersedes_id'))
