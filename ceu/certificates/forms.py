"""Certificate and evaluation forms (shape only; CSRF on every POST)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class PlainForm(FlaskForm):
    """CSRF only: claim, approve and other button forms."""


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason for revoking (kept private; the learner is told)",
        validators=[DataRequired(), Length(max=2000)],
    )


class CorrectNameForm(FlaskForm):
    new_name = StringField("Corrected full name", validators=[DataRequired(), Length(max=200)])
    reason = TextAreaField(
        "Reason for the correction", validators=[DataRequired(), Length(max=2000)]
    )


class ManualIssueForm(FlaskForm):
    email = StringField("Learner's e-mail address", validators=[DataRequired(), Length(max=254)])
    course = StringField("Course slug", validators=[DataRequired(), Length(max=100)])
    completed_on = DateField("Completion date", validators=[DataRequired()])
    reason = TextAreaField(
        "Reason (for example: attended the live session of 3 May)",
        validators=[DataRequired(), Length(max=2000)],
    )


class ProviderForm(FlaskForm):
    provider_name = StringField("Provider name", validators=[DataRequired(), Length(max=200)])
    signatory_name = StringField("Signatory name", validators=[DataRequired(), Length(max=200)])
    signatory_title = StringField("Signatory title", validators=[DataRequired(), Length(max=200)])
