"""The lock files pin, with hashes, every dependency pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pinned(lock: Path) -> dict[str, str]:
    text = lock.read_text(encoding="utf-8")
    pins = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+) \\$", text, flags=re.M))
    blocks = re.split(r"\n(?=[a-z0-9])", text)
    for block in blocks:
        if "==" in block.split("\n", 1)[0]:
            assert "--hash=sha256:" in block, f"{lock.name}: no hash for {block.split()[0]}"
    return {name.lower().replace("_", "-"): version for name, version in pins.items()}


def test_every_declared_dependency_is_pinned_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    main = _pinned(ROOT / "requirements" / "main.txt")
    dev = _pinned(ROOT / "requirements" / "dev.txt")
    missing_main = {_name(r) for r in project["dependencies"]} - set(main)
    missing_dev = {_name(r) for r in project["optional-dependencies"]["dev"]} - set(dev)
    assert not missing_main, f"run `make lock`: not in requirements/main.txt: {missing_main}"
    assert not missing_dev, f"run `make lock`: not in requirements/dev.txt: {missing_dev}"
    assert all(dev.get(name) == version for name, version in main.items()), (
        "requirements/main.txt and dev.txt pin different versions: run `make lock`"
    )
