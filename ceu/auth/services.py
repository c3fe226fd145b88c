"""Account writes. Keyword-only; flush, never commit."""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ceu.audit import services as audit
from ceu.auth.models import LoginThrottle, Role, User, UserRole
from ceu.auth.passwords import hash_password, password_problem, verify_password
from ceu.auth.queries import identity
from ceu.core.errors import UserError
from ceu.domain.login import login_delay_seconds
from ceu.extensions import db, utcnow

# A hash computed once so that an unknown e-mail costs the same time as a wrong password.
_DUMMY_HASH = hash_password("not-a-real-password-for-timing")


class AccountError(UserError):
    """A user-facing reason an account action was refused."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def create_user(
    *,
    email: str,
    full_name: str,
    password: str,
    roles: tuple[Role, ...] = (Role.LEARNER,),
    credential: str = "",
    license_number: str = "",
    license_state: str = "",
) -> User:
    """Register an account; refuses duplicates and weak passwords with a clear reason."""
    email = normalize_email(email)
    if find_user_by_email(email) is not None:
        raise AccountError("An account with this e-mail address already exists.")
    problem = password_problem(password, email=email, name=full_name)
    if problem:
        raise AccountError(problem)
    user = User(
        email=email,
        full_name=" ".join(full_name.split()),
        password_hash=hash_password(password),
        credential=credential.strip(),
        license_number=license_number.strip(),
        license_state=license_state.strip(),
    )
    wanted = {Role.LEARNER, *roles}
    user.roles = [UserRole(role=str(r)) for r in sorted(wanted)]
    db.session.add(user)
    db.session.flush()
    return user


class LoginThrottled(AccountError):
    """Too many wrong passwords for this address lately: this device must wait a little."""

    status = 429

    def __init__(self, seconds: int) -> None:
        super().__init__(
            "Too many wrong passwords for this account. Wait "
            f"{seconds} second{'s' if seconds != 1 else ''} and try again, or reset your password."
        )
        self.seconds = seconds


def _throttle_key(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


def _record_failure(key: str, now: datetime) -> None:
    insert = (
        postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else (sqlite_insert)
    )
    table = LoginThrottle.__table__
    db.session.execute(
        insert(table)
        .values(email_hash=key, failures=1, last_failed_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.email_hash],
            set_={"failures": table.c.failures + 1, "last_failed_at": now},
        )
    )


def authenticate(
    *, email: str, password: str, trusted_user_id: int | None = None, now: datetime | None = None
) -> User | None:
    """The user for these credentials, or None — same work for unknown e-mail and bad password.

    After several wrong passwords for one address, a device the account has not logged in
    from (`trusted_user_id` is not this account) must wait before its next try is checked
    (LoginThrottled; ceu.domain.login). Wrong passwords are recorded in the request's
    transaction: the caller commits them.
    """
    now = now or utcnow()
    key = _throttle_key(email)
    user = find_user_by_email(email)
    if user is None or user.id != trusted_user_id:
        throttle = db.session.get(LoginThrottle, key)
        if throttle is not None:
            ready_at = throttle.last_failed_at + timedelta(
                seconds=login_delay_seconds(throttle.failures)
            )
            if now < ready_at:
                raise LoginThrottled(max(1, math.ceil((ready_at - now).total_seconds())))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        _record_failure(key, now)
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        _record_failure(key, now)
        return None
    if user.id != trusted_user_id:  # the owner on a known device leaves strangers' count
        db.session.execute(delete(LoginThrottle).where(LoginThrottle.email_hash == key))
    user.last_login_at = now
    db.session.flush()
    return user


def change_password(*, user: User, current: str, new: str) -> None:
    """Change a password after re-checking the current one."""
    if not verify_password(user.password_hash, current):
        raise AccountError("The current password is not correct.")
    set_password(user=user, new=new)


def set_password(*, user: User, new: str) -> None:
    """Store a new password; every outstanding reset token becomes invalid."""
    problem = password_problem(new, email=user.email, name=user.full_name)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    end_sessions(user=user)


def end_sessions(*, user: User) -> None:
    """Sign the account out on every device: each session and remember cookie carries the
    generation it was issued under (User.get_id), and only the current one is accepted."""
    user.session_generation = (user.session_generation or 0) + 1
    db.session.flush()


def set_active(*, user: User, active: bool) -> bool:
    """Enable or disable an account; disabling ends its sessions. False when unchanged."""
    if user.is_active_account == active:
        return False
    user.is_active_account = active
    if not active:
        end_sessions(user=user)
    db.session.flush()
    return True


def user_for_session(session_id: str) -> User | None:
    """The signed-in user a session's or remember cookie's id names, if still valid."""
    user_id, _, generation = session_id.partition(".")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) <= 10):
        return None
    if not (generation.isascii() and generation.isdigit() and len(generation) <= 10):
        return None
    user = identity(int(user_id))
    if user is None or not user.is_active or user.session_generation != int(generation):
        return None
    return user


def update_profile(
    *, user: User, full_name: str, credential: str, license_number: str, license_state: str
) -> User:
    """Save the professional profile used on certificates."""
    name = " ".join(full_name.split())
    if not name:
        raise AccountError("Enter your full name as it should appear on certificates.")
    user.full_name = name
    user.credential = credential.strip()
    user.license_number = license_number.strip()
    user.license_state = license_state.strip()
    db.session.flush()
    return user


STAFF_ROLES = (Role.INSTRUCTOR, Role.ADMIN)


def change_role(*, actor: User | None, user: User, role: Role, grant: bool) -> bool:
    """Grant or remove a staff role, audited; False when nothing changed.

    The one way roles change (admin page and command line alike): everyone stays a
    learner, nobody removes their own admin role, and the last active admin stays one.
    """
    if role not in STAFF_ROLES:  # the learner role
        if grant:
            return False
        raise AccountError("Every account is a learner; the learner role cannot be removed.")
    if grant:
        changed = _add_role(user, role)
    elif role == Role.ADMIN:
        changed = _remove_admin(actor=actor, user=user)
    else:
        changed = _remove_role(user, role)
    if changed:
        audit.record(
            actor=actor,
            action=f"user.role_{'grant' if grant else 'revoke'}",
            target_type="user",
            target_id=user.email,
            details={"role": role.value},
        )
    return changed


_ACTIVE_ADMINS = (
    select(UserRole.id)
    .join(User, User.id == UserRole.user_id)
    .where(UserRole.role == Role.ADMIN.value, User.is_active_account.is_(True))
)


def _remove_admin(*, actor: User | None, user: User) -> bool:
    """Remove the admin role unless it is the actor's own or the last active one.

    Two admins removing each other at once must not both succeed: PostgreSQL locks the
    active admins' rows first (the second waits, then counts again); on SQLite the role
    is deleted before counting, so the second writer waits for the first to commit.
    """
    if actor is not None and actor.id == user.id and user.has_role(Role.ADMIN):
        raise AccountError("You cannot remove your own admin role; ask another admin.")
    db.session.scalars(_ACTIVE_ADMINS.with_for_update(of=UserRole)).all()
    changed = _remove_role(user, Role.ADMIN)
    remaining = db.session.scalar(select(func.count()).select_from(_ACTIVE_ADMINS.subquery()))
    if changed and user.is_active_account and not remaining:
        raise AccountError(
            f"{user.email} is the last active admin; make another account admin first."
        )
    return changed


def _add_role(user: User, role: Role) -> bool:
    if user.has_role(role):
        return False
    user.roles.append(UserRole(role=str(role)))
    db.session.flush()
    return True


def _remove_role(user: User, role: Role) -> bool:
    for link in list(user.roles):
        if link.role == role:
            user.roles.remove(link)
            db.session.flush()
            return True
    return False


# --- password reset tokens: signed, expiring, single-use --------------------------------

_SALT = "ceu.password-reset"


def _fingerprint(user: User) -> str:
    # Bound to the current password hash: once the password changes, the token is dead.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def make_reset_token(*, user: User) -> str:
    return _serializer().dumps({"uid": user.id, "fp": _fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The user a valid, unexpired, unused token belongs to, else None."""
    max_age = int(current_app.config["PASSWORD_RESET_MAX_AGE"])
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = db.session.get(User, data["uid"])
    if user is None or data.get("fp") != _fingerprint(user) or not user.is_active:
        return None
    return user


def reset_password(*, token: str, new: str) -> User:
    """Use a reset token once to set a new password."""
    user = user_for_reset_token(token)
    if user is None:
        raise AccountError(
            "This reset link is invalid, expired or already used. Ask for a new one."
        )
    set_password(user=user, new=new)
    return user
