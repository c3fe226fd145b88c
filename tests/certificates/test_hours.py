"""Dashboard, transcript page, transcript PDF and CSV always show the same hours: issue,
correct (supersede) and revoke, and check all four after each step."""

from __future__ import annotations

import csv
import io
import re

from pypdf import PdfReader

from ceu.certificates import services
from ceu.extensions import db
from tests.conftest import log_in


def shown_totals(client) -> dict[str, float]:
    dashboard = client.get("/dashboard").get_data(as_text=True)
    page = client.get("/certificates").get_data(as_text=True)
    transcript = client.get("/certificates/transcript.pdf").data
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(transcript)).pages)
    rows = list(csv.reader(io.StringIO(client.get("/certificates/transcript.csv").data.decode())))
    totals = {"dashboard": float(re.search(r"<strong>([\d.]+)</strong> in total", dashboard)[1])}
    match = re.search(r"Total: ([\d.]+) hours", page)
    totals["page"] = float(match[1]) if match else 0.0  # no certificates: no total shown
    totals["pdf"] = float(re.search(r"Total, all years\s+([\d.]+)", text)[1])
    assert rows[-1][5] == "Total contact hours"
    totals["csv"] = float(rows[-1][7])
    return totals


def test_all_four_show_the_same_total_through_issue_correction_and_revocation(
    client, make_user, finish, provider
):
    learner = make_user(full_name="Ana Hours")
    admin = make_user("admin")
    enrollment = finish(learner, evaluate=True)
    log_in(client, learner)
    assert set(shown_totals(client).values()) == {0.0}

    certificate = services.issue_for_enrollment(
        enrollment=enrollment, actor=admin, verify_base="http://localhost/"
    )
    db.session.commit()
    assert set(shown_totals(client).values()) == {0.25}

    replacement = services.correct_name(
        certificate=certificate,
        actor=admin,
        new_name="Ana María Hours",
        reason="spelling",
        verify_base="http://localhost/",
    )
    db.session.commit()
    assert set(shown_totals(client).values()) == {0.25}  # counted once, through the correction

    services.revoke_certificate(certificate=replacement, actor=admin, reason="audit finding")
    db.session.commit()
    assert set(shown_totals(client).values()) == {0.0}


def test_transcript_csv_names_the_learner_and_license_and_opens_in_excel(
    client, make_user, finish, provider
):
    learner = make_user(full_name="Zoë Ångström-Núñez")
    enrollment = finish(learner, evaluate=True)
    certificate = services.issue_for_enrollment(
        enrollment=enrollment, actor=None, verify_base="http://localhost/"
    )
    db.session.commit()
    log_in(client, learner)
    data = client.get("/certificates/transcript.csv").data
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["learner_name"] == "Zoë Ångström-Núñez"
    assert rows[0]["license_number"] == learner.license_number
    assert rows[0]["license_state"] == "Ohio"
    assert rows[0]["certificate_number"] == certificate.number
    assert rows[0]["counts_toward_total"] == "yes"
