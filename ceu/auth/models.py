"""Accounts and roles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ceu.extensions import UTCDateTime, db, utcnow


class Role(StrEnum):
    LEARNER = "learner"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    credential: Mapped[str] = mapped_column(String(40), default="")
    license_number: Mapped[str] = mapped_column(String(60), default="")
    license_state: Mapped[str] = mapped_column(String(80), default="")
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Carried in every session and remember cookie (see get_id); raising it ends them all.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account cannot log in
        return self.is_active_account

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember cookie: the id and the
        session generation, so that a raised generation turns every copy away."""
        return f"{self.id}.{self.session_generation}"

    # Set by ceu.auth.queries.identity, which reads the role names with the user instead of
    # loading UserRole objects; once `roles` is loaded (to change them), it is the truth.
    _role_names = None

    @property
    def role_set(self) -> frozenset[Role]:
        if self._role_names is not None and "roles" not in self.__dict__:
            return self._role_names
        return frozenset(Role(r.role) for r in self.roles)

    def has_role(self, role: Role) -> bool:
        return role in self.role_set

    @property
    def has_complete_profile(self) -> bool:
        return all(
            (
                self.full_name.strip(),
                self.credential.strip(),
                self.license_number.strip(),
                self.license_state.strip(),
            )
        )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):  # type: ignore[name-defined,misc]
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")


class LoginThrottle(db.Model):  # type: ignore[name-defined,misc]
    """Wrong passwords in a row for one e-mail address (known account or not, so the
    throttle tells nobody which addresses have accounts); cleared by a good log-in."""

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
