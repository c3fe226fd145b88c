"""Certificates per second on one core: pure rendering, no app, no database.

Run: .venv/bin/python bench/pdf_bench.py [seconds]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import date, timedelta

from ceu.certificates.pdf import render_certificate_pdf
from ceu.domain.certificates import ApprovalStatement, CertificateRecord

NAMES = (
    "Jordan Example",
    "Zoë Ångström-Núñez",
    "María José García López",
    "Łukasz Żółć",
    "Nguyễn Thị Minh Khai",
    "Aaliyah Washington-Brooks",
    "François Lefèvre",
    "Siobhán Ní Bhriain",
)
TITLES = (
    "Ethics and Boundaries in Telehealth Counseling",
    "Suicide Risk Assessment and Safety Planning",
    "Trauma-Informed Care for Adolescents and Families in Community Settings",
    "Motivational Interviewing: Foundations",
)
APPROVALS = (
    ApprovalStatement(
        "NBCC",
        "7012",
        "Example Provider has been approved by NBCC as an Approved Continuing Education "
        "Provider, ACEP No. 7012. Programs that do not qualify for NBCC credit are clearly "
        "identified. Example Provider is solely responsible for all aspects of the programs.",
    ),
    ApprovalStatement(
        "Texas Behavioral Health Executive Council",
        "CE-2291",
        "This course is accepted by the Texas State Board of Examiners of Professional "
        "Counselors for continuing education credit.",
    ),
)


def make_record(i: int) -> CertificateRecord:
    """A distinct, realistic certificate: every number, code, URL and date differs."""
    code = f"{i:022d}"[-22:]
    completed = date(2026, 1, 1) + timedelta(days=i % 365)
    return CertificateRecord(
        certificate_number=f"2026-{i:06d}",
        verification_code=code,
        verify_url=f"https://ce.example.org/verify/{code}",
        learner_name=NAMES[i % len(NAMES)],
        credential=("LPC", "LMHC", "LPCC", "LCPC")[i % 4],
        license_number=f"LIC-{100000 + i}",
        license_state=("TX", "NY", "CA", "IL", "FL")[i % 5],
        course_title=TITLES[i % len(TITLES)],
        course_slug="bench",
        course_version="1.0",
        contact_hours=(1.0, 1.5, 2.25, 3.0)[i % 4],
        completion_date=completed,
        issue_date=completed + timedelta(days=1),
        provider_name="Example CE Provider",
        approval_statements=APPROVALS,
        signatory_name="Jordan Example, PhD, LPC-S",
        signatory_title="Continuing Education Director",
        supersedes_number="" if i % 10 else f"2026-{i - 1:06d}",
    )


def bench_pdf(seconds: float = 3.0) -> dict:
    """Render distinct certificates for `seconds` of CPU time in this one process/thread.

    CPU time (not wall time) is the measure, so other load on the machine does not count;
    wall time is reported too. The first render (font parsing, caches) is timed apart.
    """
    started = time.perf_counter()
    first = render_certificate_pdf(make_record(0))
    warmup_s = time.perf_counter() - started

    timings: list[float] = []
    sizes: list[int] = []
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    i = 1
    while time.process_time() - cpu_start < seconds:
        t0 = time.process_time()
        sizes.append(len(render_certificate_pdf(make_record(i))))
        timings.append(time.process_time() - t0)
        i += 1
    cpu = time.process_time() - cpu_start
    wall = time.perf_counter() - wall_start
    timings.sort()
    return {
        "pdfs": len(timings),
        "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(wall, 3),
        "pdfs_per_second": round(len(timings) / cpu, 1),
        "pdfs_per_second_wall": round(len(timings) / wall, 1),
        "mean_ms": round(statistics.fmean(timings) * 1000, 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1] * 1000, 2),
        "first_render_ms": round(warmup_s * 1000, 1),
        "mean_bytes": int(statistics.fmean(sizes)) if sizes else len(first),
    }


if __name__ == "__main__":
    print(json.dumps(bench_pdf(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0), indent=2))
