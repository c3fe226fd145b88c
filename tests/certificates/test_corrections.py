"""A name correction copies the frozen record and changes only the name: a licence or
provider text changed since issue stays as certified, and the audit log says exactly
which field changed, from what to what."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from ceu.audit.models import AuditEvent
from ceu.certificates import services
from ceu.extensions import db


def test_name_correction_changes_only_the_name(app, make_user, finish, provider):
    learner = make_user(full_name="Jon Smtih")
    admin = make_user("admin")
    enrollment = finish(learner, evaluate=True)
    original = services.issue_for_enrollment(
        enrollment=enrollment, actor=admin, verify_base="http://localhost/"
    )
    db.session.commit()
    before = original.frozen
    learner.license_number, learner.license_state = "NEW-1", "Texas"
    services.update_provider_settings(
        actor=admin,
        provider_name="Renamed Provider",
        signatory_name="Someone Else",
        signatory_title="New Title",
        approval_statements=[],
    )
    db.session.commit()

    replacement = services.correct_name(
        certificate=original,
        actor=admin,
        new_name="Jon Smith",
        reason="typo in the surname",
        verify_base="http://localhost/",
    )
    db.session.commit()
    after = replacement.frozen
    identity = ("certificate_number", "verification_code", "verify_url")
    changed = {
        f.name
        for f in dataclasses.fields(before)
        if getattr(before, f.name) != getattr(after, f.name)
    }
    # the issue date moves too when the correction is made on a later day
    assert changed - {"issue_date"} == {
        "learner_name",
        "supersedes_number",
        "learner_email_hash",
        *identity,
    }
    assert after.license_number == before.license_number != "NEW-1"
    assert after.provider_name == before.provider_name != "Renamed Provider"
    assert after.supersedes_number == original.number
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "certificate.correct_name")
    ).one()
    assert event.details["changed"] == {"learner_name": {"old": "Jon Smtih", "new": "Jon Smith"}}
    assert event.details["replacement"] == replacement.number
