"""per-item responses of graded attempts as rows (attempt_item), filled from their results

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 18:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

FINAL_STATES = ('graded', 'expired')
BATCH = 500

attempt = sa.table(
    'attempt',
    sa.column('id', sa.Integer()),
    sa.column('state', sa.String()),
    sa.column('answers', sa.JSON()),
    sa.column('result', sa.JSON()),
)
attempt_form = sa.table(
    'attempt_form', sa.column('attempt_id', sa.Integer()), sa.column('form', sa.JSON())
)


def upgrade():
    attempt_item = op.create_table('attempt_item',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('qid', sa.String(length=100), nullable=False),
    sa.Column('question_hash', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('chosen', sa.JSON(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('is_correct', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_attempt_item_attempt_id_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_attempt_item_question_id_question')),
    sa.PrimaryKeyConstraint('attempt_id', 'position', name=op.f('pk_attempt_item'))
    )
    with op.batch_alter_table('attempt_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_item_question_id'), ['question_id'], unique=False)
    _fill(op.get_bind(), attempt_item)


def _fill(conn, attempt_item):
    """One row per item of every graded (or expired) attempt, from the attempt's stored
    form, answers and result: the same values grading writes (chosen options in the order
    shown, the item's score and whether it was fully correct)."""
    last_id = 0
    while True:
        page = conn.execute(
            sa.select(attempt.c.id, attempt.c.answers, attempt.c.result, attempt_form.c.form)
            .join(attempt_form, attempt_form.c.attempt_id == attempt.c.id)
            .where(attempt.c.id > last_id, attempt.c.state.in_(FINAL_STATES))
            .order_by(attempt.c.id)
            .limit(BATCH)
        ).all()
        if not page:
            return
        rows = [row for found in page for row in _rows(*found)]
        if rows:
            conn.execute(attempt_item.insert(), rows)
        last_id = page[-1].id


def _rows(attempt_id, answers, result, form):
    items = (result or {}).get('items', {})
    answers = answers or {}
    for position, item in enumerate(form, 1):
        graded = items.get(item['id'], {})
        response = set(answers.get(item['id'], []))
        yield {
            'attempt_id': attempt_id,
            'position': position,
            'question_id': item['question_id'],
            'qid': item['id'],
            'question_hash': item['content_hash'],
            'type': item['type'],
            'chosen': [option['id'] for option in item['options'] if option['id'] in response],
            'score': float(graded.get('score', 0.0)),
            'is_correct': bool(graded.get('is_correct', False)),
        }


def downgrade():
    # every value stays in the attempts' stored form, answers and result
    with op.batch_alter_table('attempt_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_item_question_id'))

    op.drop_table('attempt_item')
