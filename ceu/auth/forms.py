"""Form shapes only (and a CSRF token on every POST)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


CREDENTIAL_HELP = "For example LPC, LMHC, LCSW, LMFT, NCC."


class RegisterForm(FlaskForm):
    full_name = StringField(
        "Full name (as it must appear on certificates)",
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        "E-mail address",
        filters=[_strip],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        "Password (at least 12 characters)",
        validators=[DataRequired(), Length(min=12, max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mail address",
        filters=[_strip],
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Remember me on this device")


class ProfileForm(FlaskForm):
    full_name = StringField(
        "Full name (as it must appear on certificates)",
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    credential = StringField(
        "Credential", validators=[Optional(), Length(max=40)], description=CREDENTIAL_HELP
    )
    license_number = StringField("License number", validators=[Optional(), Length(max=60)])
    license_state = StringField(
        "Licensing state or jurisdiction",
        validators=[Optional(), Length(max=80)],
        description="For example Ohio, or Ontario.",
    )


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        "Current password",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        "New password (at least 12 characters)",
        validators=[DataRequired(), Length(min=12, max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )


class ResetRequestForm(FlaskForm):
    email = EmailField(
        "E-mail address",
        filters=[_strip],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password (at least 12 characters)",
        validators=[DataRequired(), Length(min=12, max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )


class LogoutForm(FlaskForm):
    """Empty: log-out is a POST so that it carries a CSRF token."""
