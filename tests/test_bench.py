"""The bench's own arithmetic: slices of a page merge into one phase, rounds are reported."""

from __future__ import annotations

import pytest

from bench.load import Phase
from bench.report import BackendResult, Figures, rounds_lines


def _slice(latencies, started, finished, cpu, wall, server, others_cores):
    phase = Phase("catalog", list(latencies))
    phase.started_at, phase.finished_at, phase.cpu = started, finished, cpu
    phase.share = {
        "wall": wall,
        "server": server,
        "database": 0.0,
        "cores_server": server / wall,
        "cores_database": 0.0,
        "cores_loadgen": 0.1,
        "cores_others": others_cores,
    }
    return phase


def test_slices_of_a_page_add_up_to_one_phase():
    first = _slice([0.01, 0.02], 10.0, 12.0, 0.5, 2.0, 1.5, 0.0)
    second = _slice([0.03], 50.0, 51.0, 0.25, 1.0, 0.9, 0.3)
    second.errors, second.error_samples = 1, ["GET /courses: HTTP 500"]
    merged = first.merge(second)
    assert merged.latencies == [0.01, 0.02, 0.03]
    assert merged.errors == 1
    assert merged.error_samples == ["GET /courses: HTTP 500"]
    as_json = merged.as_json()
    assert as_json["elapsed"] == pytest.approx(3.0)  # measured time only, not the gap
    assert as_json["client_cpu"] == pytest.approx(0.75)
    assert merged.share is not None
    assert merged.share["server"] == pytest.approx(2.4)
    assert merged.share["cores_others"] == pytest.approx(0.1)  # weighted by wall time
    fig = Figures.of(as_json)
    assert fig.rps == pytest.approx(1.0)


def test_each_round_is_reported_against_its_own_healthz():
    result = BackendResult(backend="SQLite", url="sqlite://")
    result.rounds = [
        {"healthz": 1000.0, "catalog": 500.0, "module": 400.0},
        {"healthz": 800.0, "catalog": 480.0, "module": 400.0},
    ]
    assert rounds_lines(result) == [
        "round 1: /healthz 1000 req/s; x healthz: catalog 0.50, module 0.40",
        "round 2: /healthz 800 req/s; x healthz: catalog 0.60, module 0.50",
    ]
