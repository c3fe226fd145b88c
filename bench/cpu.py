"""Who used the CPU during a load run: the server, the database, the load generator, others.

The machine has two cores and may be shared; a benchmark that does not say how much CPU
other processes took cannot be read. Linux /proc only; elsewhere the figures are absent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_busy() -> tuple[float, float]:
    """(busy seconds, total seconds) summed over all cores since boot."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields[:8]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICK, sum(values) / TICK


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of one process, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = raw.rsplit(")", 1)[1].split()
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / TICK


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _ours(server_pid: int, database: str) -> dict[int, tuple[str, float]]:
    """pid -> ("server" | "database", CPU seconds): gunicorn and the bench's DB sessions."""
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        stat = _stat(pid)
        if stat is None:
            continue
        parent, seconds = stat
        if pid == server_pid or parent == server_pid:
            found[pid] = ("server", seconds)
        elif database and f" {database} " in _cmdline(pid):
            found[pid] = ("database", seconds)  # "postgres: user ceu_bench 127.0.0.1(...)"
    return found


@dataclass
class CpuShare:
    """CPU seconds used over `wall` seconds, by who used them."""

    wall: float
    server: float
    database: float
    loadgen: float
    others: float
    cores: int

    def cores_used(self) -> dict[str, float]:
        return {
            "server": self.server / self.wall,
            "database": self.database / self.wall,
            "loadgen": self.loadgen / self.wall,
            "others": self.others / self.wall,
        }

    def describe(self) -> str:
        used = self.cores_used()
        if not self.database:
            used.pop("database")
        parts = ", ".join(f"{k} {v:.2f}" for k, v in used.items())
        return f"CPU in cores (of {self.cores}): {parts}"


class CpuMeter:
    """Sample at start() and stop(); attribute the machine's busy time in between."""

    def __init__(self, server_pid: int, database: str = "") -> None:
        self.server_pid = server_pid
        self.database = database
        self.available = Path("/proc/stat").exists() and Path(f"/proc/{server_pid}").exists()
        self.start()

    def start(self) -> None:
        if self.available:
            self.busy0, self.total0 = _machine_busy()
            self.ours0 = _ours(self.server_pid, self.database)

    def stop(self, loadgen_cpu: float) -> CpuShare | None:
        """`loadgen_cpu`: CPU seconds the load generator used over the same interval."""
        if not self.available:
            return None
        busy1, total1 = _machine_busy()
        ours1 = _ours(self.server_pid, self.database)
        cores = os.cpu_count() or 1
        used = {"server": 0.0, "database": 0.0}
        for pid, (kind, seconds) in ours1.items():
            used[kind] += seconds - self.ours0.get(pid, (kind, 0.0))[1]
        others = (busy1 - self.busy0) - used["server"] - used["database"] - loadgen_cpu
        return CpuShare(
            wall=max((total1 - self.total0) / cores, 1e-9),
            server=used["server"],
            database=used["database"],
            loadgen=loadgen_cpu,
            others=max(0.0, others),
            cores=cores,
        )
