"""Per-process caches: immutable course versions, rendered fragments and template URLs.

A cache entry must never outlive what it was made from: keys carry a version's id and
content hash, and nothing about one user may reach another user's page.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import delete, select, text

from ceu.catalog.models import Course, CourseFile, CourseVersion, Module, Question
from ceu.catalog.services import import_course
from ceu.core.cache import ProcessCache, process_cache
from ceu.extensions import db as _db
from tests.conftest import csrf_from, log_in, parsed_example_course


def test_process_cache_makes_once_and_drops_the_oldest_when_full():
    cache = ProcessCache(maxsize=2)
    made = []

    def maker(value):
        return lambda: made.append(value) or value

    assert cache.get_or_make("a", maker(1)) == 1
    assert cache.get_or_make("a", maker(99)) == 1  # kept, not made again
    cache.get_or_make("b", maker(2))
    cache.get_or_make("c", maker(3))
    assert len(cache) == 2
    assert cache.get_or_make("a", maker(4)) == 4  # "a" was the oldest: dropped, made anew
    assert made == [1, 2, 3, 4]


def test_a_new_import_is_shown_at_once_though_the_old_version_was_cached(client, course):
    assert "Documentation Basics for Counselors" in client.get("/courses").get_data(True)
    client.get("/courses/minimal-course")  # caches the version and its rendered sections
    changed = dataclasses.replace(
        parsed_example_course(),
        title="Documentation Basics, revised",
        content_hash="a-different-hash",
    )
    import_course(parsed=changed)
    _db.session.commit()
    assert "Documentation Basics, revised" in client.get("/courses").get_data(True)
    assert "Documentation Basics, revised" in client.get("/courses/minimal-course").get_data(True)


def test_a_reused_version_id_never_serves_the_cached_content(client, backend, course):
    """SQLite hands out ids again after rows are deleted: the content hash tells them apart."""
    first_id = course.current_version_id
    assert "Documentation Basics for Counselors" in client.get("/courses/minimal-course").text
    for model in (Question, Module, CourseFile):
        _db.session.execute(delete(model))
    _db.session.execute(delete(CourseVersion))
    _db.session.execute(delete(Course))
    _db.session.commit()
    if backend == "postgresql":  # its sequences never hand an id out twice: make one
        _db.session.execute(
            text("SELECT setval(pg_get_serial_sequence('course_version', 'id'), :id, false)"),
            {"id": first_id},
        )
    changed = dataclasses.replace(
        parsed_example_course(), title="A course under a reused id", content_hash="other"
    )
    import_course(parsed=changed)
    _db.session.commit()
    assert _db.session.scalar(select(Course.current_version_id)) == first_id
    page = client.get("/courses/minimal-course").text
    assert "A course under a reused id" in page
    assert "Documentation Basics for Counselors" not in page


def test_cached_fragments_carry_nothing_of_the_user_who_filled_them(app, course, make_user, enroll):
    first, second = make_user(full_name="Ada First"), make_user(full_name="Bo Second")
    for user in (first, second):
        enroll(user, course)
    pages = {}
    for user in (first, second):
        client = app.test_client()
        log_in(client, user)
        pages[user.full_name] = {
            "course": client.get("/courses/minimal-course").text,
            "module": client.get("/courses/minimal-course/modules/1").text,
        }
    assert len(process_cache()) > 0
    for page in ("course", "module"):
        one, other = pages["Ada First"][page], pages["Bo Second"][page]
        assert csrf_from(one) != csrf_from(other)
        assert csrf_from(one) not in other
        assert "Ada First" not in other


def test_template_urls_follow_where_the_app_is_mounted(client, course):
    plain = client.get("/courses").text
    mounted = client.get("/courses", base_url="http://localhost/ce").text
    assert 'href="/courses/minimal-course"' in plain
    assert 'href="/ce/courses/minimal-course"' in mounted
    assert 'href="/ce/static/css/app.css"' in mounted
    assert 'href="/static/css/app.css"' in client.get("/courses").text  # not the cached /ce
