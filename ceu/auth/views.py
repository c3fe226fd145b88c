"""Registration, log-in and -out, profile, password change and reset."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from ceu.auth import services
from ceu.auth.forms import (
    ChangePasswordForm,
    LoginForm,
    LogoutForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from ceu.auth.models import User
from ceu.core.errors import on_refusal
from ceu.core.urls import safe_local_path
from ceu.extensions import db, limiter, login_manager
from ceu.mail import send_mail

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see this page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return services.user_for_session(session_id)


def _start_session(user: User, *, remember: bool = False) -> None:
    """A new session for this user: nothing from before the log-in carries over."""
    session.clear()
    login_user(user, remember=remember)


def _renew_session(user: User) -> None:
    """Keep this device signed in under the user's new session generation."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    _start_session(user, remember=remembered in request.cookies)


def _safe_next(target: str | None) -> str:
    """Only paths on this site; anything else goes home (no open redirect)."""
    return safe_local_path(target) or url_for("core.home")


def _form_page(
    template: str, form: FlaskForm, refusal: str | None = None, **context: Any
) -> tuple[str, int]:
    """A form page: 422 when a field or the service refused what was sent."""
    if refusal:
        form.form_errors.append(refusal)
    status = 422 if form.errors or form.form_errors else 200
    return render_template(template, form=form, **context), status


def _limits() -> str:
    return str(current_app.config["LOGIN_LIMITS"])


def _failed(response: Response) -> bool:
    """Only failed log-ins count toward the per-address limit (a classroom behind one
    address logs in freely); a successful one redirects."""
    return response.status_code != 302


# A device the account has logged in from carries this signed cookie; it never waits out
# the account's wrong-password delay (ceu.domain.login), so guessing cannot lock out the owner.
DEVICE_COOKIE = "ceu_device"
DEVICE_MAX_AGE = 365 * 24 * 3600


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="ceu.device")


def _trusted_user_id() -> int | None:
    token = request.cookies.get(DEVICE_COOKIE, "")
    try:
        data = _device_serializer().loads(token, max_age=DEVICE_MAX_AGE) if token else None
    except BadSignature:
        return None
    return data.get("uid") if isinstance(data, dict) and isinstance(data.get("uid"), int) else None


def _remember_device(response: Response, user: User) -> Response:
    response.set_cookie(
        DEVICE_COOKIE,
        _device_serializer().dumps({"uid": user.id}),
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@on_refusal(render=lambda message: _form_page("auth/register.html", RegisterForm(), message))
def register() -> tuple[str, int] | Response:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        user = services.create_user(
            email=form.email.data or "",
            full_name=form.full_name.data or "",
            password=form.password.data or "",
        )
        db.session.commit()
        _start_session(user)
        flash(
            "Welcome to ceu. Complete your professional profile before earning credit.",
            "success",
        )
        return redirect(url_for("auth.profile"))
    return _form_page("auth/register.html", form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limits, methods=["POST"], deduct_when=_failed)
@on_refusal(render=lambda message: (_form_page("auth/login.html", LoginForm(), message)[0], 429))
def login() -> tuple[str, int] | Response:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(
            email=form.email.data or "",
            password=form.password.data or "",
            trusted_user_id=_trusted_user_id(),
        )
        db.session.commit()  # the log-in, or the wrong password counted
        if user is not None:
            _start_session(user, remember=bool(form.remember.data))
            flash("You are logged in.", "success")
            return _remember_device(redirect(_safe_next(request.args.get("next"))), user)
        form.form_errors.append("The e-mail address or password is not correct.")
    return _form_page("auth/login.html", form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    LogoutForm()  # CSRF is checked globally; the form documents the intent
    # a copy of this session's cookie (or of the remember cookie) must not outlive it
    services.end_sessions(user=current_user)  # type: ignore[arg-type]
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    response = redirect(url_for("core.home"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'  # this browser keeps nothing
    return response


@bp.post("/account/sessions/end")
@login_required
def end_other_sessions() -> Response:
    """The profile's "Sign out everywhere else": every other device must log in again."""
    LogoutForm()
    user: User = current_user  # type: ignore[assignment]
    services.end_sessions(user=user)
    db.session.commit()
    _renew_session(user)
    flash("You are signed out on every other device.", "success")
    return redirect(url_for("auth.profile"))


def _profile_page(form: ProfileForm | None = None, refusal: str | None = None) -> tuple[str, int]:
    user: User = current_user  # type: ignore[assignment]
    form = form or ProfileForm(obj=user)
    return _form_page("auth/profile.html", form, refusal, user=user)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
@on_refusal(render=lambda message: _profile_page(refusal=message))
def profile() -> tuple[str, int] | Response:
    user: User = current_user  # type: ignore[assignment]
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        services.update_profile(
            user=user,
            full_name=form.full_name.data or "",
            credential=form.credential.data or "",
            license_number=form.license_number.data or "",
            license_state=form.license_state.data or "",
        )
        db.session.commit()
        flash("Your profile is saved.", "success")
        return redirect(url_for("auth.profile"))
    return _profile_page(form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@on_refusal(
    render=lambda message: _form_page("auth/change_password.html", ChangePasswordForm(), message)
)
def change_password() -> tuple[str, int] | Response:
    user: User = current_user  # type: ignore[assignment]
    form = ChangePasswordForm()
    if form.validate_on_submit():
        services.change_password(
            user=user, current=form.current.data or "", new=form.password.data or ""
        )
        db.session.commit()
        _renew_session(user)  # this device stays signed in; every other session ends
        flash("Your password is changed.", "success")
        return redirect(url_for("auth.profile"))
    return _form_page("auth/change_password.html", form)


RESET_SENT = (
    "If an account exists for that address, we have sent it a link to choose a new password. "
    "The link works once, for one hour."
)


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"])
def reset_request() -> tuple[str, int] | Response:
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(form.email.data or "")
        if user is not None and user.is_active:
            token = services.make_reset_token(user=user)
            link = url_for("auth.reset_password", token=token, _external=True)
            send_mail(
                to=user.email,
                subject="Reset your ceu password",
                body=(
                    f"Hello {user.full_name},\n\nTo choose a new password, open this link "
                    f"within one hour:\n\n{link}\n\nIf you did not ask for this, ignore this "
                    "message; your password stays as it is.\n"
                ),
            )
        flash(RESET_SENT, "info")
        return redirect(url_for("auth.login"))
    return _form_page("auth/reset_request.html", form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@on_refusal(
    render=lambda message, token: _form_page(
        "auth/reset_password.html", ResetPasswordForm(), message
    )
)
def reset_password(token: str) -> tuple[str, int] | Response:
    if services.user_for_reset_token(token) is None:
        flash("This reset link is invalid, expired or already used. Ask for a new one.", "error")
        return redirect(url_for("auth.reset_request"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(token=token, new=form.password.data or "")
        db.session.commit()
        flash("Your password is changed. Log in with the new password.", "success")
        return redirect(url_for("auth.login"))
    return _form_page("auth/reset_password.html", form)
