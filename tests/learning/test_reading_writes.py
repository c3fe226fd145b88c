"""Recording reading with plain statements: what the service writes and returns, and that
objects already in the session agree with the rows afterwards."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ceu.extensions import utcnow
from ceu.learning import services
from ceu.learning.models import Enrollment, ModuleProgress


def _rows(db, enrollment_id):
    db.session.expire_all()
    return {
        p.module_id: p
        for p in db.session.scalars(
            select(ModuleProgress).where(ModuleProgress.enrollment_id == enrollment_id)
        )
    }


def test_a_first_view_seen_twice_makes_one_row(db, course, make_user, enroll):
    """Two tabs open a module at once: both think it unread; one row, no error."""
    enrollment = enroll(make_user(), course)
    module = course.current_version.modules[0]
    now = utcnow()
    first = services.record_module_view(enrollment=enrollment, module=module, now=now, progress={})
    second = services.record_module_view(
        enrollment=enrollment, module=module, now=now + timedelta(seconds=31), progress={}
    )
    db.session.commit()
    rows = _rows(db, enrollment.id)
    assert list(rows) == [module.id]
    assert first.seconds_spent == 0
    assert first.completed_at is None
    assert second.module_id == module.id
    assert rows[module.id].seconds_spent == 31  # the second view credited the first span


def test_returned_progress_includes_time_credited_to_the_same_module(db, course, make_user, enroll):
    enrollment = enroll(make_user(), course)
    module = course.current_version.modules[0]
    start = utcnow() - timedelta(minutes=5)
    services.record_module_view(enrollment=enrollment, module=module, now=start)
    db.session.commit()
    again = services.record_module_view(
        enrollment=enrollment, module=module, now=start + timedelta(seconds=200)
    )
    db.session.commit()
    assert again.seconds_spent == 200
    assert _rows(db, enrollment.id)[module.id].seconds_spent == 200


def test_objects_in_the_session_follow_the_writes(db, course, make_user, enroll):
    enrollment = enroll(make_user(), course)
    first, second = course.current_version.modules[:2]
    start = utcnow() - timedelta(minutes=5)
    services.record_module_view(enrollment=enrollment, module=first, now=start)
    db.session.commit()
    loaded = db.session.get(Enrollment, enrollment.id)
    progress = db.session.scalar(
        select(ModuleProgress).where(ModuleProgress.enrollment_id == enrollment.id)
    )
    assert loaded is not None
    assert progress is not None
    assert progress.seconds_spent == 0
    _ = loaded.progress  # the loaded collection must learn of the new row
    done = services.complete_module(
        enrollment=loaded, module=second, now=start + timedelta(seconds=75)
    )
    assert done.completed_at is not None
    assert loaded.last_module_id == second.id
    assert loaded.last_seen_at == start + timedelta(seconds=75)
    assert progress.seconds_spent == 75  # expired, then reloaded from the row
    assert sorted(p.module_id for p in loaded.progress) == [first.id, second.id]
    db.session.commit()
    rows = _rows(db, enrollment.id)
    assert rows[second.id].completed_at == start + timedelta(seconds=75)


def test_completing_twice_keeps_the_first_time(db, course, make_user, enroll):
    enrollment = enroll(make_user(), course)
    module = course.current_version.modules[0]
    start = utcnow() - timedelta(minutes=5)
    services.complete_module(enrollment=enrollment, module=module, now=start)
    db.session.commit()
    later = services.complete_module(
        enrollment=enrollment, module=module, now=start + timedelta(seconds=60)
    )
    db.session.commit()
    assert later.completed_at == start
    assert _rows(db, enrollment.id)[module.id].completed_at == start


def test_a_page_view_commits_without_waiting_for_the_disk_marking_complete_does(
    client, db, course, login_as, enroll, commits
):
    """Only the reading-time record of a page view is a relaxed commit (a crash may cost
    its seconds); enrolling and marking a module complete wait for the disk."""
    from tests.learning.test_journey import post

    enroll(login_as(), course)
    client.get("/courses/minimal-course/modules/1")  # renders its fragments once per process
    client.get("/courses/minimal-course/modules/2")
    commits.clear()
    assert client.get("/courses/minimal-course/modules/1").status_code == 200
    page_view = list(commits)
    commits.clear()
    post(client, "/courses/minimal-course/modules/2/complete")
    complete = list(commits)
    assert page_view == ["relaxed"]
    assert "relaxed" not in complete
    assert "full" in complete


def test_parallel_page_views_never_credit_more_than_the_time_that_passed(
    app, db, course, make_user, enroll
):
    """20 views of one enrollment at once, all having read the same last view 35 s ago:
    one of them credits the gap, the others nothing (compare-and-set on last_seen_at)."""
    import threading

    enrollment = enroll(make_user(), course)
    first, second = course.current_version.modules[:2]
    started = utcnow() - timedelta(seconds=35)
    services.record_module_view(enrollment=enrollment, module=first, now=started)
    db.session.commit()
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []
    moments: list = []

    def view() -> None:
        try:
            with app.app_context():
                mine = db.session.get(Enrollment, enrollment.id)  # read before the others write
                assert mine.last_seen_at == started
                db.session.commit()  # hand the connection back: 20 threads, a pool of 15
                barrier.wait(timeout=30)
                now = utcnow()
                moments.append(now)
                services.record_module_view(enrollment=mine, module=second, now=now)
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=view) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    credited = sum(p.seconds_spent for p in _rows(db, enrollment.id).values())
    wall_clock = (max(moments) - started).total_seconds()
    assert 35 <= credited <= wall_clock
