"""Account reads. The signed-in user is loaded on every request, so that read is cheap."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm.util import identity_key

from ceu.auth.models import Role, User, UserRole
from ceu.extensions import contains_pattern, db, loaded_instance

_USER = User.__table__
_ROLE = UserRole.__table__
# One statement for the user and their role names (a row per role); built once.
_IDENTITY = (
    select(*_USER.columns, _ROLE.c.role.label("role_name"))
    .outerjoin(_ROLE, _ROLE.c.user_id == _USER.c.id)
    .where(_USER.c.id == bindparam("user_id"))
)


def identity(user_id: int) -> User | None:
    """The user and their roles, attached to the session as if loaded by the ORM.

    One Core statement instead of `session.get` plus the roles' select-in load: the ORM's
    object loading costs about a millisecond here, and every signed-in request pays it.
    Changes to the user flush as usual (`ceu.extensions.loaded_instance`); `user.roles`,
    if touched, loads the UserRole rows then.
    """
    key = identity_key(User, user_id)
    existing = db.session.identity_map.get(key)
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    rows = db.session.execute(_IDENTITY, {"user_id": user_id}).all()
    if not rows:
        return None
    user = loaded_instance(User, {c.key: rows[0]._mapping[c] for c in _USER.columns})
    user._role_names = frozenset(Role(r.role_name) for r in rows if r.role_name is not None)
    return user  # type: ignore[no-any-return]


USER_SEARCH_LIMIT = 200


def search_users(search: str = "", *, limit: int = USER_SEARCH_LIMIT) -> list[User]:
    """Accounts by e-mail, filtered by a fragment of the e-mail address or the name."""
    query = select(User).order_by(User.email).limit(limit)
    if search:
        pattern = contains_pattern(search)
        query = query.where(
            User.email.ilike(pattern, escape="\\") | User.full_name.ilike(pattern, escape="\\")
        )
    return list(db.session.scalars(query))


def all_users() -> list[User]:
    """Every account, by e-mail (the command line's list)."""
    return list(db.session.scalars(select(User).order_by(User.email)))
