"""Seed a migrated, empty database at scale with Core executemany inserts.

The shipped course is imported once through the real services (load_course +
import_course); its version, modules, questions and files are then copied row for row
under other slugs and titles, so every course is complete and readable. Only the learners
who log in get a real argon2 hash (one hash, computed once); everyone else gets a fixed
precomputed hash that matches no password.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import Connection, MetaData, Table, bindparam, inspect, select, text, update

from ceu.catalog.services import import_course
from ceu.config import PROJECT_ROOT
from ceu.domain.content import Level
from ceu.extensions import db
from ceu.files import find_course_dirs, load_course

# Shared by every learner who logs in during the bench; never used outside it.
BENCH_PASSWORD = "ceu-bench only: correct horse battery"  # noqa: S105
# argon2id of a random string that was thrown away: a valid hash that matches nothing.
LOCKED_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$8sqUYOlkPVUlxQKbGl+rMg$"
    "6VBUeHD5tRmQCQjYICDuX35W24iV/J6nUk9kz8bePW0"
)
LEVELS = [str(level) for level in Level]
CHUNK = 10_000


@dataclass(frozen=True)
class Scale:
    """How much to seed: the bench's figures are for the defaults."""

    learners: int = 10_000
    courses: int = 50  # the shipped course and its copies
    courses_per_learner: int = 10
    certificates: int = 2_000

    @property
    def enrollments_per_learner(self) -> int:
        return min(self.courses_per_learner, self.courses)


@dataclass
class Seeded:
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    slugs: list[str] = field(default_factory=list)
    module_count: int = 0
    page_users: list[dict[str, Any]] = field(default_factory=list)
    quiz_lanes: list[list[dict[str, Any]]] = field(default_factory=list)
    diag_user: dict[str, Any] = field(default_factory=dict)
    quiz_emails: list[str] = field(default_factory=list)
    verification_codes: list[str] = field(default_factory=list)

    @property
    def total_seconds(self) -> float:
        return sum(self.timings.values())


def _tables(conn: Connection) -> dict[str, Table]:
    """The models' tables (with their Python defaults), limited to the migrated columns."""
    found = inspect(conn)
    md = MetaData()
    tables = {}
    for table in db.metadata.sorted_tables:
        if not found.has_table(table.name):
            continue
        present = {c["name"] for c in found.get_columns(table.name)}
        tables[table.name] = Table(
            table.name, md, *[c._copy() for c in table.columns if c.name in present]
        )
    return tables


def _chunks(rows: list[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    rows = list(rows)
    for chunk in _chunks(rows):
        conn.execute(table.insert(), chunk)
    return len(rows)


def _next_id(conn: Connection, table: Table) -> int:
    return (conn.scalar(select(db.func.max(table.c.id))) or 0) + 1


def _certificates(app: Flask, now: datetime, count: int) -> list[str]:
    """Issued certificates for the public verification page (frozen records, real codes)."""
    from ceu.certificates.models import Certificate
    from ceu.domain.certificates import (
        CertificateRecord,
        format_certificate_number,
        new_verification_code,
        record_hash,
    )
    from ceu.learning.models import Enrollment

    with app.app_context():
        enrollments = db.session.execute(
            select(Enrollment.id, Enrollment.user_id, Enrollment.course_id)
            .order_by(Enrollment.id)
            .limit(count)
        ).all()
        rows = []
        for sequence, (enrollment_id, user_id, course_id) in enumerate(enrollments, start=1):
            code = new_verification_code()
            number = format_certificate_number(now.year, sequence)
            record = CertificateRecord(
                certificate_number=number,
                verification_code=code,
                verify_url=f"http://127.0.0.1/verify/{code}",
                learner_name=f"Bench Learner {user_id}",
                credential="LPC",
                license_number=f"L-{user_id:06d}",
                license_state="Ohio",
                course_title="Ketamine for Refractory Anxiety",
                course_slug="ketamine-refractory-anxiety",
                course_version="1.0.0 (import 1)",
                contact_hours=2.25,
                completion_date=now.date(),
                issue_date=now.date(),
                provider_name="Bench CE Provider",
                approval_statements=(),
                signatory_name="Bench Signatory",
                signatory_title="Director",
            )
            rows.append(
                {
                    "number": number,
                    "year": now.year,
                    "sequence": sequence,
                    "verification_code": code,
                    "enrollment_id": enrollment_id,
                    "user_id": user_id,
                    "course_id": course_id,
                    "status": "valid",
                    "record": record.to_json(),
                    "record_hash": record_hash(record),
                    "issued_at": now,
                    "revocation_reason": "",
                }
            )
        for chunk in _chunks(rows):
            db.session.execute(Certificate.__table__.insert(), chunk)
        db.session.commit()
        db.engine.dispose()
    return [row["verification_code"] for row in rows]


def seed(
    app: Flask, *, clients: int, quiz_learners_per_client: int, scale: Scale = Scale()
) -> Seeded:
    """Fill the app's (migrated, empty) database; returns who logs in and what they take."""
    learners, courses = scale.learners, scale.courses
    needed = clients * (1 + quiz_learners_per_client) + 1  # page, quiz and diagnosis users
    if learners < needed or courses < 1:
        raise ValueError(f"seeding {clients} clients needs {needed} learners and a course")
    out = Seeded()
    rng = random.Random(20261122)
    now = datetime.now(UTC).replace(microsecond=0)

    t0 = time.perf_counter()
    with app.app_context():
        folder = find_course_dirs(PROJECT_ROOT / "courses")[0]
        result = import_course(parsed=load_course(folder))
        db.session.commit()
        course_id, version_id = result.course.id, result.version.id
        base_slug = result.course.slug
    out.timings["import shipped course"] = time.perf_counter() - t0

    with app.app_context(), db.engine.begin() as conn:
        t = _tables(conn)
        if (
            conn.dialect.name == "postgresql"
            and conn.scalar(text("SELECT current_setting('is_superuser')")) == "on"
        ):
            # The generated rows are consistent by construction; skip the per-row foreign-key
            # triggers for this transaction, as `pg_restore --disable-triggers` does (~40%
            # faster). Constraints, indexes and later writes by the app are unaffected.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        t0 = time.perf_counter()
        slugs, versions, modules = _copy_course(
            conn, t, course_id, version_id, base_slug, copies=courses - 1
        )
        out.slugs = slugs
        out.module_count = len(modules[0])
        out.counts["courses"] = len(slugs)
        out.timings[f"copy course x{courses - 1}"] = time.perf_counter() - t0

        # who does what: page users, quiz users (every module read), one diagnostics user
        quiz_first = clients
        quiz_last = clients + clients * quiz_learners_per_client  # exclusive
        diag_index = learners - 1
        complete = set(range(quiz_first, quiz_last)) | {diag_index}
        logs_in = set(range(quiz_last)) | {diag_index}

        t0 = time.perf_counter()
        real_hash = PasswordHasher().hash(BENCH_PASSWORD)
        first_user = _next_id(conn, t["user"])
        user_ids = [first_user + i for i in range(learners)]
        emails = [f"learner{i:05d}@bench.example.org" for i in range(learners)]
        out.counts["learners"] = _insert(
            conn,
            t["user"],
            (
                {
                    "id": user_ids[i],
                    "email": emails[i],
                    "full_name": f"Bench Learner {i:05d}",
                    "password_hash": real_hash if i in logs_in else LOCKED_HASH,
                    "credential": "LPC",
                    "license_number": f"BX-{i:05d}",
                    "license_state": "Ohio",
                    "is_active_account": True,
                    "created_at": now - timedelta(days=400),
                    "password_changed_at": now - timedelta(days=400),
                }
                for i in range(learners)
            ),
        )
        first_role = _next_id(conn, t["user_role"])
        _insert(
            conn,
            t["user_role"],
            (
                {
                    "id": first_role + i,
                    "user_id": user_ids[i],
                    "role": "learner",
                    "granted_at": now - timedelta(days=400),
                }
                for i in range(learners)
            ),
        )
        out.timings["learners"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        enrollments: list[dict[str, Any]] = []
        progress: list[dict[str, Any]] = []
        enrollment_id = _next_id(conn, t["enrollment"])
        progress_id = _next_id(conn, t["module_progress"])
        courses_of: dict[int, list[int]] = {}
        course_ids = _course_ids(conn, t, slugs)
        per_learner = scale.enrollments_per_learner
        step = courses // per_learner  # per_learner distinct courses for everyone
        for i in range(learners):
            picked = [(i + k * step) % courses for k in range(per_learner)]
            courses_of[i] = picked
            for c in picked:
                mods = modules[c]
                enrolled_at = now - timedelta(days=rng.randint(2, 300), minutes=rng.randint(0, 999))
                if i in complete:
                    done, open_one = len(mods), False
                else:
                    roll = rng.random()
                    if roll < 0.3:
                        done, open_one = 0, False  # not started
                    elif roll < 0.7:
                        done, open_one = rng.randint(0, len(mods) - 1), True  # in progress
                    else:
                        done, open_one = len(mods), False  # every module read
                touched = done + (1 if open_one else 0)
                seen = enrolled_at + timedelta(hours=rng.randint(1, 40)) if touched else None
                enrollments.append(
                    {
                        "id": enrollment_id,
                        "user_id": user_ids[i],
                        "course_id": course_ids[c],
                        "version_id": versions[c],
                        "status": "active",
                        "enrolled_at": enrolled_at,
                        "last_module_id": mods[touched - 1] if touched else None,
                        "last_seen_at": seen,
                    }
                )
                for p in range(touched):
                    viewed = enrolled_at + timedelta(minutes=10 * p + 1)
                    progress.append(
                        {
                            "id": progress_id,
                            "enrollment_id": enrollment_id,
                            "module_id": mods[p],
                            "seconds_spent": rng.randint(60, 900),
                            "first_viewed_at": viewed,
                            "completed_at": viewed + timedelta(minutes=9) if p < done else None,
                        }
                    )
                    progress_id += 1
                enrollment_id += 1
        out.timings["build rows (Python)"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        out.counts["enrollments"] = _insert(conn, t["enrollment"], enrollments)
        out.timings["enrollments"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        out.counts["module_progress"] = _insert(conn, t["module_progress"], progress)
        out.counts["progress_complete"] = sum(1 for p in progress if p["completed_at"])
        out.timings["module progress"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        _check_references(conn)
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn, t)
        out.timings["checks, sequences"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            # what autovacuum would have done by the time a real site had this much data
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
            out.timings["ANALYZE"] = time.perf_counter() - t0
        db.engine.dispose()

    t0 = time.perf_counter()
    out.verification_codes = _certificates(app, now, scale.certificates)
    out.counts["certificates"] = len(out.verification_codes)
    out.timings["certificates"] = time.perf_counter() - t0

    def person(i: int) -> dict[str, Any]:
        return {"email": emails[i], "courses": [slugs[c] for c in courses_of[i]]}

    out.page_users = [person(i) for i in range(clients)]
    out.quiz_lanes = [
        [
            person(clients + lane * quiz_learners_per_client + j)
            for j in range(quiz_learners_per_client)
        ]
        for lane in range(clients)
    ]
    out.quiz_emails = [emails[i] for i in range(quiz_first, quiz_last)]
    out.diag_user = person(diag_index)
    return out


def _course_ids(conn: Connection, t: dict[str, Table], slugs: list[str]) -> list[int]:
    found = dict(conn.execute(select(t["course"].c.slug, t["course"].c.id)).all())
    return [found[s] for s in slugs]


def _copy_course(
    conn: Connection,
    t: dict[str, Table],
    course_id: int,
    version_id: int,
    base_slug: str,
    *,
    copies: int,
) -> tuple[list[str], list[int], list[list[int]]]:
    """Copy the imported course `copies` times; (slugs, version ids, module ids by course)."""
    course_t, version_t, module_t = t["course"], t["course_version"], t["module"]
    question_t, file_t = t["question"], t["course_file"]
    course = dict(conn.execute(select(course_t).where(course_t.c.id == course_id)).mappings().one())
    version = dict(
        conn.execute(select(version_t).where(version_t.c.id == version_id)).mappings().one()
    )
    mods = [
        dict(m)
        for m in conn.execute(
            select(module_t)
            .where(module_t.c.version_id == version_id)
            .order_by(module_t.c.position)
        ).mappings()
    ]
    module_ids = [m["id"] for m in mods]
    questions = [
        dict(q)
        for q in conn.execute(
            select(question_t).where(question_t.c.module_id.in_(module_ids))
        ).mappings()
    ]
    files = [
        dict(f)
        for f in conn.execute(select(file_t).where(file_t.c.version_id == version_id)).mappings()
    ]

    next_course, next_version = _next_id(conn, course_t), _next_id(conn, version_t)
    next_module, next_question = _next_id(conn, module_t), _next_id(conn, question_t)
    next_file = _next_id(conn, file_t)
    slugs, version_ids, modules_by_course = [base_slug], [version_id], [module_ids]
    new_courses, new_versions, new_modules, new_questions, new_files = [], [], [], [], []
    for n in range(2, copies + 2):
        slug = f"{base_slug}-b{n:02d}"
        cid, vid = next_course, next_version
        next_course += 1
        next_version += 1
        new_courses.append({**course, "id": cid, "slug": slug, "current_version_id": None})
        new_versions.append(
            {
                **version,
                "id": vid,
                "course_id": cid,
                "title": f"{version['title']} (bench edition {n:02d})",
                "level": LEVELS[n % len(LEVELS)],
            }
        )
        ids = []
        for m in mods:
            mid = next_module
            next_module += 1
            ids.append(mid)
            new_modules.append({**m, "id": mid, "version_id": vid})
            for q in questions:
                if q["module_id"] == m["id"]:
                    new_questions.append({**q, "id": next_question, "module_id": mid})
                    next_question += 1
        for f in files:
            new_files.append({**f, "id": next_file, "version_id": vid})
            next_file += 1
        slugs.append(slug)
        version_ids.append(vid)
        modules_by_course.append(ids)
    _insert(conn, course_t, new_courses)
    _insert(conn, version_t, new_versions)
    _insert(conn, module_t, new_modules)
    _insert(conn, question_t, new_questions)
    _insert(conn, file_t, new_files)
    if not new_courses:  # one course: nothing was copied (an empty executemany is an error)
        return slugs, version_ids, modules_by_course
    conn.execute(
        update(course_t)
        .where(course_t.c.id == bindparam("cid"))
        .values(current_version_id=bindparam("vid")),
        [{"cid": c["id"], "vid": v["id"]} for c, v in zip(new_courses, new_versions, strict=True)],
    )
    return slugs, version_ids, modules_by_course


ORPHANS = {
    "enrollment.user_id": 'SELECT count(*) FROM enrollment e LEFT JOIN "user" u ON u.id = e.user_id'
    " WHERE u.id IS NULL",
    "enrollment.version_id": "SELECT count(*) FROM enrollment e LEFT JOIN course_version v"
    " ON v.id = e.version_id WHERE v.id IS NULL",
    "enrollment.last_module_id": "SELECT count(*) FROM enrollment e LEFT JOIN module m"
    " ON m.id = e.last_module_id WHERE e.last_module_id IS NOT NULL AND m.id IS NULL",
    "module_progress.enrollment_id": "SELECT count(*) FROM module_progress p LEFT JOIN"
    " enrollment e ON e.id = p.enrollment_id WHERE e.id IS NULL",
    "module_progress.module_id": "SELECT count(*) FROM module_progress p LEFT JOIN module m"
    " ON m.id = p.module_id WHERE m.id IS NULL",
    "question.module_id": "SELECT count(*) FROM question q LEFT JOIN module m"
    " ON m.id = q.module_id WHERE m.id IS NULL",
}


def _check_references(conn: Connection) -> None:
    """Every seeded reference points at a row (FK triggers were off, SQLite never checks)."""
    bad = {name: n for name, sql in ORPHANS.items() if (n := conn.scalar(text(sql)))}
    if bad:
        raise RuntimeError(f"seeding produced dangling references: {bad}")


def _reset_sequences(conn: Connection, t: dict[str, Table]) -> None:
    """Rows were inserted with explicit ids: move each id sequence past them."""
    for name, table in t.items():
        if "id" not in table.c:
            continue
        quoted = conn.dialect.identifier_preparer.quote(name)
        seq = conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": quoted})
        if seq:
            conn.execute(
                text(f"SELECT setval(:s, COALESCE((SELECT MAX(id) FROM {quoted}), 0) + 1, false)"),  # noqa: S608
                {"s": seq},
            )
