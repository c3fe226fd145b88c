"""Migrations: `upgrade head` on an empty database gives exactly the models' schema."""

from __future__ import annotations

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
