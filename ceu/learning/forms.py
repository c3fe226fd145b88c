"""Form shapes for the learner journey (all POSTs carry a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class ActionForm(FlaskForm):
    """A button-only form: enroll, withdraw, mark complete."""

    then = HiddenField()
