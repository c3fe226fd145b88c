"""one valid certificate per enrollment (partial unique index); earlier duplicates revoked

Before this index, parallel approvals or claims could issue several valid certificates for
one enrollment. Every row is kept: the first certificate of an enrollment stays valid, the
later duplicates are revoked (the reason names the one kept) and each revocation is
written to the audit log, so the hours of the course count once.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:30:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

INDEX = 'uq_certificate_one_valid_per_enrollment'
IS_VALID = sa.text("status = 'valid'")

certificate = sa.table(
    'certificate',
    sa.column('id', sa.Integer),
    sa.column('number', sa.String),
    sa.column('enrollment_id', sa.Integer),
    sa.column('status', sa.String),
    sa.column('revoked_at', sa.DateTime(timezone=True)),
    sa.column('revocation_reason', sa.Text),
)
audit_event = sa.table(
    'audit_event',
    sa.column('at', sa.DateTime(timezone=True)),
    sa.column('actor_id', sa.Integer),
    sa.column('actor_label', sa.String),
    sa.column('action', sa.String),
    sa.column('target_type', sa.String),
    sa.column('target_id', sa.String),
    sa.column('reason', sa.Text),
    sa.column('details', sa.JSON),
)


def _revoke_duplicates(conn):
    rows = conn.execute(
        sa.select(certificate.c.id, certificate.c.number, certificate.c.enrollment_id)
        .where(certificate.c.status == 'valid')
        .order_by(certificate.c.enrollment_id, certificate.c.id)
    ).all()
    now = datetime.now(timezone.utc)
    kept = {}
    events = []
    for cert_id, number, enrollment_id in rows:
        if enrollment_id not in kept:
            kept[enrollment_id] = number
            continue
        reason = (
            f'Issued twice for one enrollment: certificate {kept[enrollment_id]} was issued '
            'first and stays valid.'
        )
        conn.execute(
            certificate.update()
            .where(certificate.c.id == cert_id)
            .values(status='revoked', revoked_at=now, revocation_reason=reason)
        )
        events.append({
            'at': now, 'actor_id': None, 'actor_label': 'system',
            'action': 'certificate.revoke', 'target_type': 'certificate',
            'target_id': number, 'reason': reason,
            'details': {'duplicate_of': kept[enrollment_id], 'enrollment': enrollment_id},
        })
    if events:
        op.bulk_insert(audit_event, events)


def upgrade():
    _revoke_duplicates(op.get_bind())
    op.create_index(
        INDEX, 'certificate', ['enrollment_id'], unique=True,
        sqlite_where=IS_VALID, postgresql_where=IS_VALID,
    )


def downgrade():
    # The revoked duplicates stay revoked: making them valid again would count hours twice.
    op.drop_index(INDEX, table_name='certificate')
