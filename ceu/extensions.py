"""Extensions, created unbound and attached in create_app (init_app style)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import DateTime, Dialect, MetaData
from sqlalchemy.orm import DeclarativeBase, make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# expire_on_commit=False: a view commits once at the edge and then renders; reloading every
# object after that commit would double the statements per page for no benefit.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class UTCDateTime(TypeDecorator[datetime]):
    """Store UTC, return timezone-aware UTC on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use ceu.extensions.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The one clock: timezone-aware UTC."""
    return datetime.now(UTC)


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with % and _ taken literally (escape '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def loaded_instance(cls: type[Any], values: dict[str, Any]) -> Any:
    """A model instance from a Core row, as if the ORM had just loaded it, in the session.

    For the hot pages, where the ORM's per-object loading costs more than the query: the
    instance has no pending changes, its unloaded relationships load on access, and
    changes to it flush as usual. If the session already holds the row, that object wins.
    """
    mapper = cls.__mapper__
    key = identity_key(cls, tuple(values[c.key] for c in mapper.primary_key))
    existing = db.session.identity_map.get(key)
    if existing is not None:
        return existing
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update(values)  # as the ORM's own loader fills a fresh instance
    make_transient_to_detached(instance)  # every given attribute loaded, none changed
    db.session.add(instance)
    return instance
