"""attempt forms in their own table (the attempt row stays small for saves and submits)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ONE_IN_PROGRESS = dict(
    unique=True,
    sqlite_where=sa.text("state = 'in_progress'"),
    postgresql_where=sa.text("state = 'in_progress'"),
)


def _rebuild_attempt(change):
    """SQLite rebuilds the table for a column change: the partial unique index (one attempt
    in progress per learner and test) is dropped first and made again afterwards, so that
    its WHERE clause cannot be lost on the way."""
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_index('uq_attempt_one_in_progress')
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        change(batch_op)
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_index(
            'uq_attempt_one_in_progress', ['enrollment_id', 'kind', 'module_position'],
            **ONE_IN_PROGRESS,
        )


def upgrade():
    op.create_table('attempt_form',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_attempt_form_attempt_id_attempt'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('attempt_id', name=op.f('pk_attempt_form'))
    )
    op.execute('INSERT INTO attempt_form (attempt_id, form) SELECT id, form FROM attempt')
    _rebuild_attempt(lambda batch_op: batch_op.drop_column('form'))


def downgrade():
    _rebuild_attempt(lambda batch_op: batch_op.add_column(sa.Column('form', sa.JSON(), nullable=True)))
    op.execute(
        'UPDATE attempt SET form = '
        '(SELECT attempt_form.form FROM attempt_form WHERE attempt_form.attempt_id = attempt.id)'
    )
    _rebuild_attempt(lambda batch_op: batch_op.alter_column('form', existing_type=sa.JSON(), nullable=False))
    op.drop_table('attempt_form')
