"""Migrations: `upgrade head` on an empty database gives exactly the models' schema."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from ceu import create_app
from ceu.config import config_for_tests
from ceu.extensions import db
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database

BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path, worker_id):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    name = f"ceu_migrate_{worker_id}"
    yield create_postgres_database(name)
    drop_postgres_database(name)


def test_upgrade_head_matches_models_and_downgrade_base_empties(empty_database, tmp_path):
    app = create_app(config_for_tests(empty_database, str(tmp_path)))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(revision="base")
        engine = create_engine(empty_database)
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        engine.dispose()
        db.engine.dispose()
        assert tables == set()


def test_attempt_forms_move_to_their_own_table_and_back(empty_database, tmp_path):
    """0007 keeps every attempt's form (both ways) and the one-in-progress index."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from ceu.auth.services import create_user
    from ceu.catalog.services import import_course
    from ceu.learning.services import complete_module, enroll
    from ceu.quiz.models import Attempt, AttemptKind
    from ceu.quiz.services import start_attempt
    from tests.conftest import PASSWORD, parsed_example_course

    app = create_app(config_for_tests(empty_database, str(tmp_path)))
    with app.app_context():
        upgrade()
        course = import_course(parsed=parsed_example_course()).course
        user = create_user(email="m@example.org", full_name="Mig Ration", password=PASSWORD)
        enrollment = enroll(user=user, course=course)
        for module in course.current_version.modules:
            complete_module(enrollment=enrollment, module=module)
        attempt = start_attempt(enrollment=enrollment, kind=AttemptKind.POST_TEST)
        db.session.commit()
        attempt_id, form = attempt.id, attempt.form
        db.session.remove()

        def second_attempt_in_progress(conn) -> None:
            conn.execute(
                text(
                    "INSERT INTO attempt (enrollment_id, kind, module_position, number, state,"
                    " answers, started_at) SELECT enrollment_id, kind, module_position, 2,"
                    " 'in_progress', answers, started_at FROM attempt WHERE id = :id"
                ),
                {"id": attempt_id},
            )

        downgrade(revision="0006")
        with db.engine.connect() as conn:
            row = text("SELECT form FROM attempt WHERE id = :id")
            value = conn.execute(row, {"id": attempt_id}).scalar_one()
            assert (json.loads(value) if isinstance(value, str) else value) == form
            assert "attempt_form" not in inspect(conn).get_table_names()
        upgrade()
        assert db.session.get(Attempt, attempt_id).form == form
        with db.engine.connect() as conn, pytest.raises(IntegrityError):
            second_attempt_in_progress(conn)
        db.session.remove()
        db.engine.dispose()


def test_one_valid_certificate_index_revokes_earlier_duplicates_and_keeps_every_row(
    empty_database, tmp_path
):
    """0008 keeps every certificate: the first of an enrollment stays valid, later duplicates
    are revoked and audited; the index then refuses a second valid one; downgrade keeps rows."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from ceu.auth.services import create_user
    from ceu.catalog.services import import_course
    from ceu.certificates import services as certificates
    from ceu.learning.services import enroll
    from tests.conftest import PASSWORD, parsed_example_course

    app = create_app(config_for_tests(empty_database, str(tmp_path)))
    with app.app_context():
        upgrade()  # the models are at head: write with them, then go back to 0007
        course = import_course(parsed=parsed_example_course()).course
        certificates.update_provider_settings(
            actor=None,
            provider_name="P",
            signatory_name="S",
            signatory_title="T",
            approval_statements=[],
        )
        issued = []
        for n in range(2):
            user = create_user(
                email=f"dup{n}@example.org",
                full_name=f"Dup {n}",
                password=PASSWORD,
                credential="LPC",
                license_number="1",
                license_state="Ohio",
            )
            issued.append(
                certificates._create(
                    enrollment=enroll(user=user, course=course),
                    user=user,
                    actor=None,
                    verify_base="http://x/",
                    completed_on=date(2026, 1, 5),
                    now=datetime(2026, 1, 6, tzinfo=UTC),
                )
            )
        db.session.commit()
        first, other = issued[0].id, issued[1].id
        db.session.remove()
        downgrade(revision="0007")
        copy_sql = text(
            "INSERT INTO certificate (number, year, sequence, verification_code, enrollment_id,"
            " user_id, course_id, status, record, record_hash, issued_at, revocation_reason)"
            " SELECT :number, year, :sequence, :code, enrollment_id, user_id, course_id,"
            " 'valid', record, record_hash, issued_at, '' FROM certificate WHERE id = :id"
        )
        with db.engine.begin() as conn:  # what the race used to leave behind
            for n in (1, 2):
                conn.execute(
                    copy_sql,
                    {"number": f"dup-{n}", "sequence": 100 + n, "code": f"code-{n}", "id": first},
                )

        def statuses(conn) -> list[tuple[str, str]]:
            rows = text("SELECT number, status FROM certificate ORDER BY id")
            return [tuple(r) for r in conn.execute(rows)]

        upgrade(revision="0008")
        with db.engine.connect() as conn:
            number = conn.execute(
                text("SELECT number FROM certificate WHERE id = :id"), {"id": first}
            ).scalar_one()
            other_number = conn.execute(
                text("SELECT number FROM certificate WHERE id = :id"), {"id": other}
            ).scalar_one()
            assert statuses(conn) == [
                (number, "valid"),
                (other_number, "valid"),
                ("dup-1", "revoked"),
                ("dup-2", "revoked"),
            ]
            reasons = conn.execute(
                text("SELECT revocation_reason FROM certificate WHERE number LIKE 'dup-%'")
            ).scalars()
            assert all(number in reason for reason in reasons)
            audited = conn.execute(
                text("SELECT target_id FROM audit_event WHERE action = 'certificate.revoke'")
            ).scalars()
            assert sorted(audited) == ["dup-1", "dup-2"]
        with db.engine.connect() as conn, pytest.raises(IntegrityError):
            conn.execute(copy_sql, {"number": "dup-3", "sequence": 103, "code": "c3", "id": first})

        downgrade(revision="0007")
        with db.engine.begin() as conn:
            assert len(statuses(conn)) == 4
            conn.execute(copy_sql, {"number": "dup-3", "sequence": 103, "code": "c3", "id": first})
            assert len(statuses(conn)) == 5


def test_attempt_items_are_filled_from_graded_attempts_and_dropped_on_downgrade(
    empty_database, tmp_path
):
    """0009 gives every graded or expired attempt the rows grading writes, none to an
    attempt in progress; downgrading drops them (the attempts keep every value)."""
    from datetime import timedelta

    from sqlalchemy import select

    from ceu.auth.services import create_user
    from ceu.catalog.services import import_course
    from ceu.extensions import utcnow
    from ceu.learning.services import complete_module, enroll
    from ceu.quiz.models import Attempt, AttemptItem, AttemptKind
    from ceu.quiz.services import finish_overdue, save_answers, start_attempt, submit_attempt
    from tests.conftest import PASSWORD, parsed_example_course

    def some_answers(attempt: Attempt) -> dict[str, list[str]]:
        """The key for odd positions, a wrong option for even ones, the last one blank."""
        raw = {}
        for position, item in enumerate(attempt.form[:-1], 1):
            wrong = [o["id"] for o in item["options"] if o["id"] not in item["key"]]
            raw[f"q-{item['id']}"] = list(item["key"]) if position % 2 else wrong[:1]
        return raw

    app = create_app(config_for_tests(empty_database, str(tmp_path)))
    with app.app_context():
        upgrade()
        course = import_course(parsed=parsed_example_course()).course
        user = create_user(email="m@example.org", full_name="Mig Ration", password=PASSWORD)
        enrollment = enroll(user=user, course=course)
        for module in course.current_version.modules:
            complete_module(enrollment=enrollment, module=module)
        graded = start_attempt(enrollment=enrollment, kind=AttemptKind.POST_TEST)
        submit_attempt(attempt=graded, raw=some_answers(graded))
        expired = start_attempt(enrollment=enrollment, kind=AttemptKind.POST_TEST)
        save_answers(attempt=expired, raw=some_answers(expired))
        expired.deadline_at = utcnow() - timedelta(minutes=1)
        finish_overdue(attempt=expired)
        check = start_attempt(
            enrollment=enrollment, kind=AttemptKind.KNOWLEDGE_CHECK, module_position=1
        )
        submit_attempt(attempt=check, raw=some_answers(check))
        in_progress = start_attempt(enrollment=enrollment, kind=AttemptKind.POST_TEST)
        db.session.commit()
        final_ids = {graded.id, expired.id, check.id}
        items = select(AttemptItem.__table__).order_by(AttemptItem.attempt_id, AttemptItem.position)
        written = [tuple(row) for row in db.session.execute(items)]
        assert {row[0] for row in written} == final_ids
        assert len(written) == sum(len(a.form) for a in (graded, expired, check))
        assert in_progress.id not in {row[0] for row in written}
        db.session.remove()

        downgrade(revision="0008")
        with db.engine.connect() as conn:
            assert "attempt_item" not in inspect(conn).get_table_names()
        upgrade()
        assert [tuple(row) for row in db.session.execute(items)] == written
        db.session.remove()
        db.engine.dispose()


def test_session_generation_starts_at_zero_for_existing_users_and_drops_cleanly(
    empty_database, tmp_path
):
    """0010 adds the column with 0 for every existing account; downgrading keeps the rows."""
    from sqlalchemy import text

    app = create_app(config_for_tests(empty_database, str(tmp_path)))
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as conn:
            for n in (1, 2):
                conn.execute(
                    text(
                        'INSERT INTO "user" (email, full_name, password_hash, credential,'
                        " license_number, license_state, is_active_account, created_at,"
                        " password_changed_at) VALUES (:email, :name, 'x', '', '', '', true,"
                        " :at, :at)"
                    ),
                    {"email": f"u{n}@example.org", "name": f"User {n}", "at": datetime.now(UTC)},
                )
        upgrade(revision="0010")
        with db.engine.begin() as conn:
            rows = conn.execute(
                text('SELECT email, session_generation FROM "user" ORDER BY email')
            ).all()
            assert [tuple(r) for r in rows] == [("u1@example.org", 0), ("u2@example.org", 0)]
            conn.execute(text('UPDATE "user" SET session_generation = 3'))
        downgrade(revision="0009")
        with db.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("user")}
            emails = conn.execute(text('SELECT email FROM "user" ORDER BY email')).scalars().all()
        assert "session_generation" not in columns
        assert emails == ["u1@example.org", "u2@example.org"]
        upgrade()
        db.engine.dispose()


def test_shared_limit_tables_come_and_go_with_0011_keeping_accounts(empty_database, tmp_path):
    from sqlalchemy import text

    app = create_app(config_for_tests(empty_database, str(tmp_path)))
    with app.app_context():
        upgrade(revision="0010")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO "user" (email, full_name, password_hash, credential,'
                    " license_number, license_state, is_active_account, created_at,"
                    " password_changed_at, session_generation) VALUES ('k@example.org', 'K',"
                    " 'x', '', '', '', true, :at, :at, 2)"
                ),
                {"at": datetime.now(UTC)},
            )
        upgrade(revision="0011")
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO login_throttle VALUES ('h', 3, :at)"), {"at": datetime.now(UTC)}
            )
            conn.execute(text("INSERT INTO rate_limit_counter VALUES ('k', 1, 1.5)"))
            assert conn.execute(text("SELECT failures FROM login_throttle")).scalar_one() == 3
        downgrade(revision="0010")
        with db.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            kept = conn.execute(text('SELECT email, session_generation FROM "user"')).all()
        assert not {"login_throttle", "rate_limit_counter"} & tables
        assert [tuple(r) for r in kept] == [("k@example.org", 2)]
        upgrade()


def test_attestations_are_dropped_on_downgrade_keeping_enrollments_and_come_back_empty(
    empty_database, tmp_path
):
    """0012 adds the attestation table; downgrading drops it and keeps every enrollment with
    its evaluation flag; upgrading again gives an empty table that accepts one per enrollment."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from ceu.auth.services import create_user
    from ceu.catalog.services import import_course
    from ceu.certificates.models import Attestation
    from ceu.extensions import utcnow
    from ceu.learning.services import enroll
    from tests.conftest import PASSWORD, parsed_example_course

    app = create_app(config_for_tests(empty_database, str(tmp_path)))
    with app.app_context():
        upgrade()
        course = import_course(parsed=parsed_example_course()).course
        user = create_user(email="a@example.org", full_name="Att Ested", password=PASSWORD)
        other = create_user(email="b@example.org", full_name="Not Yet", password=PASSWORD)
        attested = enroll(user=user, course=course)
        attested.evaluation_submitted_at = utcnow()
        enroll(user=other, course=course)
        db.session.flush()
        db.session.add(Attestation(enrollment_id=attested.id, statement="I attest."))
        db.session.commit()
        enrollment_id = attested.id
        db.session.remove()

        downgrade(revision="0011")
        with db.engine.connect() as conn:
            assert "attestation" not in inspect(conn).get_table_names()
            kept = conn.execute(
                text("SELECT count(*), count(evaluation_submitted_at) FROM enrollment")
            ).one()
        assert tuple(kept) == (2, 1)

        upgrade()
        assert db.session.query(Attestation).count() == 0
        db.session.add(Attestation(enrollment_id=enrollment_id, statement="Again."))
        db.session.commit()
        db.session.add(Attestation(enrollment_id=enrollment_id, statement="Twice."))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
