"""Rate-limit counters in the application's database, shared by every worker and server.

Flask-Limiter keeps its counters in a `limits` storage. In-process memory (its default)
gives each gunicorn worker its own count, so N workers let N times the limit through;
Redis (`CEU_REDIS_URL`) is the choice for several app servers. Without Redis the counters
live here, in the database every worker already shares (`ceu+db://`, the default).

Each counter is one row, bumped with a single atomic upsert on its own short connection
(so a counted hit stays counted when the request's transaction rolls back). This is the
fixed-window strategy the app's limits use; expired rows are swept now and then.
"""

from __future__ import annotations

import hashlib
import random
import time
from typing import Any

from flask import has_app_context
from limits.storage import Storage
from sqlalchemy import Float, Integer, String, case, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from ceu.extensions import db

SCHEME = "ceu+db"
SWEEP_EVERY = 200  # about one hit in this many also deletes long-expired counters


class RateLimitCounter(db.Model):  # type: ignore[name-defined,misc]
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_epoch: Mapped[float] = mapped_column(Float)  # seconds since 1970, as `limits` uses


_T = RateLimitCounter.__table__


def _key(key: str) -> str:
    return key if len(key) <= 200 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """A `limits` storage over the app's SQLAlchemy engine (fixed windows only)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        engine = db.engine
        insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
        expired = _T.c.expires_epoch <= now
        statement = (
            insert(_T)
            .values(key=_key(key), hits=amount, expires_epoch=now + expiry)
            .on_conflict_do_update(
                index_elements=[_T.c.key],
                set_={
                    "hits": case((expired, amount), else_=_T.c.hits + amount),
                    "expires_epoch": case((expired, now + expiry), else_=_T.c.expires_epoch),
                },
            )
            .returning(_T.c.hits)
        )
        with engine.begin() as conn:
            hits = int(conn.execute(statement).scalar_one())
            if random.randrange(SWEEP_EVERY) == 0:  # noqa: S311  (not security: housekeeping)
                conn.execute(delete(_T).where(_T.c.expires_epoch < now - 3600))
        return hits

    def _row(self, key: str) -> Any:
        with db.engine.connect() as conn:
            return conn.execute(
                select(_T.c.hits, _T.c.expires_epoch).where(_T.c.key == _key(key))
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.hits) if row is not None and row.expires_epoch > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_epoch) if row is not None else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as conn:
                conn.execute(select(1)).scalar_one()
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        if not has_app_context():  # e.g. a test's clean-up after its app has gone
            return None
        with db.engine.begin() as conn:
            return int(conn.execute(delete(_T)).rowcount)

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(_T).where(_T.c.key == _key(key)))
