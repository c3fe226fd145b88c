"""The bench's own arithmetic: slices of a page merge into one phase, rounds are reported."""

from __future__ import annotations

import pytest

from bench.load import Phase
from bench.report import BackendResult, Figures, rounds_lines


def _slice(latencies, started, finished, cpu, wall, server, others_cores):
    phase = Phase("catalog", list(latencies))
    phase.started_at, phase.finished_at, phase.cpu = started, finished, cpu
    phase.share = {
        "wall": wall,
        "server": server,
        "database": 0.0,
        "cores_server": server / wall,
        "cores_database": 0.0,
        "cores_loadgen": 0.1,
        "cores_others": others_cores,
    }
    return phase


def test_slices_of_a_page_add_up_to_one_phase():
    first = _slice([0.01, 0.02], 10.0, 12.0, 0.5, 2.0, 1.5, 0.0)
    second = _slice([0.03], 50.0, 51.0, 0.25, 1.0, 0.9, 0.3)
    second.errors, second.error_samples = 1, ["GET /courses: HTTP 500"]
    merged = first.merge(second)
    assert merged.latencies == [0.01, 0.02, 0.03]
    assert merged.errors == 1
    assert merged.error_samples == ["GET /courses: HTTP 500"]
    as_json = merged.as_json()
    assert as_json["elapsed"] == pytest.approx(3.0)  # measured time only, not the gap
    assert as_json["client_cpu"] == pytest.approx(0.75)
    assert merged.share is not None
    assert merged.share["server"] == pytest.approx(2.4)
    assert merged.share["cores_others"] == pytest.approx(0.1)  # weighted by wall time
    fig = Figures.of(as_json)
    assert fig.rps == pytest.approx(1.0)


def test_each_round_is_reported_against_its_own_healthz():
    result = BackendResult(backend="SQLite", url="sqlite://")
    result.rounds = [
        {"healthz": 1000.0, "catalog": 500.0, "module": 400.0},
        {"healthz": 800.0, "catalog": 480.0, "module": 400.0},
    ]
    assert rounds_lines(result) == [
        "round 1: /healthz 1000 req/s; x healthz: catalog 0.50, module 0.40",
        "round 2: /healthz 800 req/s; x healthz: catalog 0.60, module 0.50",
    ]


@pytest.mark.parametrize("courses", [1, 3])
def test_seed_fills_a_small_database_that_the_site_can_serve(app, client, courses):
    from sqlalchemy import func, select

    from bench.seed import BENCH_PASSWORD, Scale, seed
    from ceu.auth.models import User
    from ceu.catalog.models import Course
    from ceu.extensions import db
    from ceu.learning.models import Enrollment, ModuleProgress
    from tests.conftest import post_form

    scale = Scale(learners=8, courses=courses, courses_per_learner=2, certificates=3)
    seeded = seed(app, clients=2, quiz_learners_per_client=1, scale=scale)
    per_learner = min(2, courses)
    assert seeded.counts["courses"] == courses
    assert seeded.counts["learners"] == 8
    assert seeded.counts["enrollments"] == 8 * per_learner
    assert len(seeded.verification_codes) == 3
    assert [len(lane) for lane in seeded.quiz_lanes] == [1, 1]

    db.session.expire_all()
    published = db.session.scalars(
        select(Course.slug).where(Course.current_version_id.is_not(None))
    )
    assert sorted(published) == sorted(seeded.slugs)
    pairs = db.session.execute(select(Enrollment.user_id, Enrollment.course_id)).all()
    assert len(pairs) == len(set(pairs)) == 8 * per_learner
    for email in seeded.quiz_emails:  # the quiz users have read every module
        done = db.session.scalar(
            select(func.count(ModuleProgress.completed_at))
            .join(Enrollment, Enrollment.id == ModuleProgress.enrollment_id)
            .join(User, User.id == Enrollment.user_id)
            .where(User.email == email)
        )
        assert done == seeded.module_count * per_learner

    user = seeded.page_users[0]
    login = post_form(client, "/login", {"email": user["email"], "password": BENCH_PASSWORD})
    assert login.status_code == 302
    for slug in user["courses"]:
        assert client.get(f"/courses/{slug}").status_code == 200
    assert client.get(f"/verify/{seeded.verification_codes[0]}").status_code == 200


def test_seed_refuses_a_scale_too_small_for_its_clients(app):
    from bench.seed import Scale, seed

    with pytest.raises(ValueError, match="needs 7 learners"):
        seed(app, clients=2, quiz_learners_per_client=2, scale=Scale(learners=6, courses=1))
