"""Audit log reads for the administrator's desk."""

from __future__ import annotations

from sqlalchemy import select

from ceu.audit.models import AuditEvent
from ceu.extensions import db

RECENT_LIMIT = 500


def events_for(*, target_type: str, target_id: str) -> list[AuditEvent]:
    """Everything done to one object, oldest first: its history as the audit log tells it."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.target_type == target_type, AuditEvent.target_id == target_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def recent(*, action: str = "", limit: int = RECENT_LIMIT) -> list[AuditEvent]:
    """The newest events, optionally of one action only."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))
