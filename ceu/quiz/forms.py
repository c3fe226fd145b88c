"""Quiz forms: CSRF only; the answers are read and validated by the domain."""

from __future__ import annotations

from flask_wtf import FlaskForm


class QuizForm(FlaskForm):
    """Start, save and submit all carry this form's CSRF token."""
