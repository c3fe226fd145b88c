"""Every authorization rule in one place: role checks and object predicates."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from ceu.auth.models import Role, User


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(Role.ADMIN)


def is_instructor(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.has_role(Role.INSTRUCTOR) or user.has_role(Role.ADMIN)
    )


def ensure(allowed: bool, *, status: int = 404) -> None:
    """Deny as 404 by default: another user's private object must not reveal it exists."""
    if not allowed:
        abort(status)


def role_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Require a signed-in user holding one of `roles` (403 otherwise; login first)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            from ceu.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            user: User = current_user  # type: ignore[assignment]
            if not any(user.has_role(r) for r in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_preview_courses(user: Any) -> bool:
    """Instructors and admins read any module without enrolling (no progress is kept)."""
    return is_instructor(user)


def can_read_module(user: Any, enrollment: Any) -> bool:
    """Enrolled learners (active or finished) read their course's modules; staff preview."""
    if can_preview_courses(user):
        return True
    return (
        enrollment is not None
        and getattr(user, "is_authenticated", False)
        and enrollment.user_id == user.id
        and (enrollment.is_active or enrollment.is_completed)
    )
