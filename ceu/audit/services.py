"""Write audit events (flush only; the caller's commit makes them permanent with the action)."""

from __future__ import annotations

from typing import Any

from ceu.audit.models import AuditEvent
from ceu.extensions import db, utcnow


def record(
    *,
    actor: Any,
    action: str,
    target_type: str,
    target_id: object,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Log an action in the same transaction as the action itself."""
    event = AuditEvent(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        reason=reason,
        details=details or {},
    )
    db.session.add(event)
    db.session.flush()
    return event
