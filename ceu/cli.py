"""The `ceu` console script: a Flask CLI group over create_app."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from ceu import create_app
from ceu.auth import queries as auth_queries
from ceu.auth import services as auth_services
from ceu.auth.models import Role, User
from ceu.catalog import queries as catalog_queries
from ceu.catalog import services as catalog_services
from ceu.certificates import queries as cert_queries
from ceu.certificates import services as cert_services
from ceu.domain import content as dc
from ceu.domain.content.write import course_files
from ceu.domain.item_lint import lint_course
from ceu.domain.publication import publication_warnings
from ceu.extensions import db, utcnow
from ceu.files import find_course_dirs, format_course, load_course, write_course

ROLE_CHOICE = click.Choice([r.value for r in Role])

DEMO_ACCOUNTS = (
    ("admin@example.org", "Ada Admin (demo)", (Role.ADMIN,)),
    ("instructor@example.org", "Ivan Instructor (demo)", (Role.INSTRUCTOR,)),
    ("learner@example.org", "Lena Learner (demo)", ()),
)


@click.group(cls=FlaskGroup, create_app=lambda: create_app())
def cli() -> None:
    """ceu continuing-education platform."""


@cli.group()
def users() -> None:
    """Manage accounts and roles."""


def _user_or_exit(email: str) -> User:
    user = auth_services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with e-mail {email!r}.")
    return user


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True, help="Full name as on certificates.")
@click.option("--role", "roles", type=ROLE_CHOICE, multiple=True, default=["learner"])
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted when omitted (never put real passwords on a command line).",
)
@with_appcontext
def users_create(email: str, full_name: str, roles: tuple[str, ...], password: str) -> None:
    """Create an account with the given roles."""
    try:
        user = auth_services.create_user(
            email=email,
            full_name=full_name,
            password=password,
            roles=tuple(Role(r) for r in roles),
        )
    except auth_services.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.email} with roles {', '.join(sorted(user.role_set))}.")


def _change_role(user: User, role: Role, *, grant: bool) -> bool:
    """The admin page's service, with the command line as the (system) actor."""
    try:
        changed = auth_services.change_role(actor=None, user=user, role=role, grant=grant)
    except auth_services.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    return changed


@users.command("grant")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
@with_appcontext
def users_grant(email: str, role: str) -> None:
    """Give ROLE to the account EMAIL (audited, as on the admin page)."""
    user = _user_or_exit(email)
    changed = _change_role(user, Role(role), grant=True)
    click.echo(f"{user.email}: {'granted' if changed else 'already has'} {role}.")


@users.command("revoke")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
@with_appcontext
def users_revoke(email: str, role: str) -> None:
    """Remove ROLE from the account EMAIL (audited; the last admin stays an admin)."""
    user = _user_or_exit(email)
    changed = _change_role(user, Role(role), grant=False)
    click.echo(f"{user.email}: {'removed' if changed else 'did not have'} {role}.")


def _set_active(email: str, *, active: bool) -> None:
    user = _user_or_exit(email)
    changed = auth_services.set_active(user=user, active=active)
    db.session.commit()
    done, unchanged = (
        ("activated", "already active") if active else ("deactivated", "already inactive")
    )
    click.echo(f"{user.email}: {done if changed else unchanged}.")


@users.command("deactivate")
@click.argument("email")
@with_appcontext
def users_deactivate(email: str) -> None:
    """Disable the account EMAIL: it cannot log in and every session of it ends now."""
    _set_active(email, active=False)


@users.command("activate")
@click.argument("email")
@with_appcontext
def users_activate(email: str) -> None:
    """Enable the account EMAIL again (it logs in with its password as before)."""
    _set_active(email, active=True)


@users.command("list")
@with_appcontext
def users_list() -> None:
    """List accounts and their roles."""
    for user in auth_queries.all_users():
        click.echo(f"{user.email}\t{user.full_name}\t{','.join(sorted(user.role_set))}")


@cli.command("demo-accounts")
@with_appcontext
def demo_accounts() -> None:
    """Create the demo admin, instructor and learner once, printing their passwords once."""
    created = []
    for email, name, roles in DEMO_ACCOUNTS:
        if auth_services.find_user_by_email(email) is not None:
            continue
        password = secrets.token_urlsafe(12)
        auth_services.create_user(email=email, full_name=name, password=password, roles=roles)
        created.append((email, password, roles))
    db.session.commit()
    if not created:
        click.echo("Demo accounts already exist; their passwords were printed when they were made.")
        return
    click.echo("\nDemo accounts (shown once — note them now):")
    for email, password, roles in created:
        role = roles[0].value if roles else "learner"
        click.echo(f"  {role:<10} {email:<26} password: {password}")
    click.echo("")


@cli.group()
def courses() -> None:
    """Validate, import and export course folders."""


def _load_all(path: Path) -> tuple[list[dc.Course], list[str]]:
    """Parse every course under PATH; (courses, error lines)."""
    try:
        folders = find_course_dirs(path)
    except dc.CourseInvalid as exc:
        return [], [str(e) for e in exc.errors]
    parsed: list[dc.Course] = []
    errors: list[str] = []
    for folder in folders:
        try:
            parsed.append(load_course(folder))
        except dc.CourseInvalid as exc:
            errors.extend(str(e) for e in exc.errors)
    return parsed, errors


def _echo_publication_warnings(course: dc.Course) -> None:
    """Accreditation details still missing: printed, never fatal (the provider adds them)."""
    for line in publication_warnings(course, utcnow().date()):
        click.echo(f"warning (before publishing): {line}", err=True)


@courses.command("validate")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--strict", is_flag=True, help="Treat item-writing warnings as errors (exit status 1)."
)
def courses_validate(path: Path, strict: bool) -> None:
    """Check every course under PATH; print each problem as file:line: message."""
    parsed, errors = _load_all(path)
    for line in errors:
        click.echo(line, err=True)
    if errors:
        click.echo(f"{len(errors)} problem(s) found; nothing was imported.", err=True)
        sys.exit(1)
    warned = 0
    for course in parsed:
        warnings = lint_course(course)
        for warning in warnings:
            click.echo(f"{'error' if strict else 'warning'}: {warning}", err=True)
        warned += len(warnings)
        _echo_publication_warnings(course)
        questions = len(course.questions)
        state = "FAIL" if strict and warnings else "ok  "
        click.echo(
            f"{state}{course.slug}: {len(course.modules)} modules, {questions} questions, "
            f"{course.contact_hours.hours:g} contact hours, {len(warnings)} item warning(s)"
        )
    if strict and warned:
        click.echo(f"{warned} item-writing problem(s) found (--strict).", err=True)
        sys.exit(1)
    if not parsed:
        click.echo("No course folders found (a course folder has a course.yaml).")


@courses.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@with_appcontext
def courses_import(path: Path) -> None:
    """Validate, then store every course under PATH as a new version when it changed."""
    parsed, errors = _load_all(path)
    if errors:
        for line in errors:
            click.echo(line, err=True)
        click.echo(f"{len(errors)} problem(s) found; nothing was imported.", err=True)
        sys.exit(1)
    for course in parsed:
        _echo_publication_warnings(course)
    results = [catalog_services.import_course(parsed=course) for course in parsed]
    db.session.commit()
    for result in results:
        state = "imported as" if result.created else "unchanged, still"
        click.echo(f"{result.course.slug}: {state} version {result.version.number}")
    if not results:
        click.echo("No course folders found (a course folder has a course.yaml).")


@courses.command("export")
@click.argument("slug")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--version", "number", type=int, default=None, help="Default: the current one.")
@click.option(
    "--as-imported",
    is_flag=True,
    help="Write the files exactly as they were imported instead of in the canonical layout.",
)
@with_appcontext
def courses_export(slug: str, dest: Path, number: int | None, as_imported: bool) -> None:
    """Write the course to DEST/SLUG/ in the folder format (canonical layout, same content)."""
    course = catalog_queries.course_by_slug(slug)
    if course is None:
        raise click.ClickException(f"No course with slug {slug!r}.")
    versions = {v.number: v for v in course.versions}
    version = versions.get(number) if number else course.current_version
    if version is None:
        raise click.ClickException(f"Course {slug!r} has no version {number}.")
    target = dest / slug
    if target.exists() and any(target.iterdir()):
        raise click.ClickException(f"{target} exists and is not empty; choose another DEST.")
    files = dict(catalog_queries.version_files(version))
    if not as_imported:
        try:
            files = course_files(dc.parse_course(slug, files))
        except dc.CourseInvalid as exc:
            problems = "\n".join(str(error) for error in exc.errors)
            raise click.ClickException(
                f"Version {version.number} no longer validates, so it cannot be rewritten:\n"
                f"{problems}\nUse --as-imported to write its files unchanged."
            ) from exc
    write_course(files, target)
    click.echo(f"Wrote {slug} version {version.number} to {target}")


@courses.command("format")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="Only list the files that are not canonical.")
def courses_format(path: Path, check: bool) -> None:
    """Rewrite every course under PATH in the canonical layout (the content never changes)."""
    folders = find_course_dirs(path)
    if not folders:
        raise click.ClickException("No course folders found (a course folder has a course.yaml).")
    failed = False
    for folder in folders:
        try:
            changed = format_course(folder, check=check)
        except dc.CourseInvalid as exc:
            for error in exc.errors:
                click.echo(str(error), err=True)
            click.echo(f"{folder.name}: not valid, left unchanged.", err=True)
            failed = True
            continue
        for name in changed:
            click.echo(f"{'not canonical' if check else 'rewrote'}: {folder.name}/{name}")
        failed = failed or (check and bool(changed))
        if not changed:
            click.echo(f"ok  {folder.name}: already canonical")
    if failed:
        sys.exit(1)


@cli.group()
def certificates() -> None:
    """Provider settings, issue, list and revoke certificates."""


def _base_url() -> str:
    from flask import current_app

    return current_app.config.get("BASE_URL") or "http://127.0.0.1:5000/"


@certificates.command("provider")
@click.option("--name", "provider_name", required=True, help="Provider name on certificates.")
@click.option("--signatory", required=True, help="Signatory's name.")
@click.option("--title", "signatory_title", required=True, help="Signatory's title.")
@click.option(
    "--approval",
    "approvals",
    multiple=True,
    help='Approval as "BOARD|NUMBER|STATEMENT", e.g. "NBCC|6000|…" (repeat per board).',
)
@with_appcontext
def certificates_provider(
    provider_name: str, signatory: str, signatory_title: str, approvals: tuple[str, ...]
) -> None:
    """Set what certificates print about the provider (applies to new certificates)."""
    statements = []
    for raw in approvals:
        parts = raw.split("|", 2)
        if len(parts) != 3:
            raise click.ClickException(f"--approval {raw!r}: use BOARD|NUMBER|STATEMENT")
        statements.append(dict(zip(("board", "number", "statement"), parts, strict=True)))
    cert_services.update_provider_settings(
        actor=None,
        provider_name=provider_name,
        signatory_name=signatory,
        signatory_title=signatory_title,
        approval_statements=statements,
    )
    db.session.commit()
    click.echo(f"Provider settings saved ({len(statements)} approval statement(s)).")


@certificates.command("list")
@click.option("--search", default="", help="Name, e-mail or certificate number.")
@with_appcontext
def certificates_list(search: str) -> None:
    """List issued certificates, newest first."""
    for certificate, user in cert_queries.certificates(search):
        record = certificate.frozen
        click.echo(
            f"{certificate.number}\t{certificate.status}\t{user.email}\t"
            f"{record.learner_name}\t{record.course_title}\t{record.completion_date}"
        )


@certificates.command("issue")
@click.option("--email", required=True)
@click.option("--course", "slug", required=True, help="Course slug.")
@click.option("--completed", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--reason", required=True, help="Why it is issued outside the site.")
@with_appcontext
def certificates_issue(email: str, slug: str, completed: Any, reason: str) -> None:
    """Issue a certificate manually (for example for a live session); audited."""
    user = _user_or_exit(email)
    course = catalog_queries.course_by_slug(slug)
    if course is None:
        raise click.ClickException(f"No course with slug {slug!r}.")
    try:
        certificate = cert_services.issue_manually(
            user=user,
            course=course,
            actor=None,
            completed_on=completed.date(),
            reason=reason,
            verify_base=_base_url(),
        )
    except cert_services.CertificateError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Issued {certificate.number}: {certificate.frozen.verify_url}")


@certificates.command("revoke")
@click.argument("number")
@click.option("--reason", required=True)
@with_appcontext
def certificates_revoke(number: str, reason: str) -> None:
    """Revoke certificate NUMBER with a reason; audited."""
    from ceu.certificates.models import Certificate

    certificate = db.session.scalar(select(Certificate).where(Certificate.number == number))
    if certificate is None:
        raise click.ClickException(f"No certificate {number!r}.")
    try:
        cert_services.revoke_certificate(certificate=certificate, actor=None, reason=reason)
    except cert_services.CertificateError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Revoked {number}.")


def main() -> None:
    cli.main(prog_name="ceu", args=sys.argv[1:])
