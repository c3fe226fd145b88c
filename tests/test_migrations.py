"""Migrations: `upgrade head` on an empty database gives exactly the models' schema."""

from __future__ import annotations

import json

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
