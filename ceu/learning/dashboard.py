"""Dashboard panels: later features (quiz history, certificates) add their own sections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ceu.domain.credit import HoursEarned

Panel = Callable[[Any, Any], tuple[str, dict[str, Any]] | None]
_PANELS: list[Panel] = []


def add_dashboard_panel(panel: Panel) -> None:
    """Register once at import: panel(user, rows) -> (template, context) or None to hide;
    `rows` are the learner's enrollments (`ceu.learning.queries.DashboardRow`)."""
    if panel not in _PANELS:
        _PANELS.append(panel)


def panels_for(user: Any, rows: Any) -> list[tuple[str, dict[str, Any]]]:
    return [shown for panel in _PANELS if (shown := panel(user, rows)) is not None]


HoursSource = Callable[[Any, Any], HoursEarned]
_HOURS_SOURCES: list[HoursSource] = []


def set_hours_source(source: HoursSource) -> None:
    """Register once at import: source(user, rows) -> the learner's HoursEarned. The
    certificates feature owns what counts (ceu.domain.credit); learning only shows it."""
    _HOURS_SOURCES[:] = [source]


def hours_for(user: Any, rows: Any) -> HoursEarned:
    """The learner's contact hours, or none while no feature awards them."""
    return _HOURS_SOURCES[0](user, rows) if _HOURS_SOURCES else HoursEarned()


CoursePanel = Callable[[Any, Any, Any, Any], tuple[str, dict[str, Any]] | None]
_COURSE_PANELS: list[CoursePanel] = []


def add_course_panel(panel: CoursePanel) -> None:
    """Register once at import: panel(user, enrollment, learner_state, course) -> (template,
    ctx); `course` is a `ceu.catalog.queries.CourseRef`."""
    if panel not in _COURSE_PANELS:
        _COURSE_PANELS.append(panel)


def course_panels_for(
    user: Any, enrollment: Any, state: Any, course: Any
) -> list[tuple[str, dict[str, Any]]]:
    return [
        shown
        for panel in _COURSE_PANELS
        if (shown := panel(user, enrollment, state, course)) is not None
    ]
