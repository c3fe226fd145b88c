"""ceu.domain stays pure: only the standard library and a few parsing libraries, no disk I/O."""

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "ceu" / "domain"
ALLOWED_THIRD_PARTY = {"yaml", "markdown", "nh3"}
DISK_MODULES = {"pathlib", "os", "shutil", "tempfile", "glob", "io", "zipfile"}


def _imports(path: Path, package: tuple[str, ...] = ("ceu", "domain")) -> list[tuple[int, str]]:
    """Every module an import statement in path names, as (line, absolute name).

    package is the dotted package path holds (relative imports resolve against it).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                name = ".".join([*base, node.module or ""]).strip(".")
                inside = len(base) >= 2 and base[:2] == ("ceu", "domain")
                found.append((node.lineno, name if inside else "<outside domain>"))
            else:
                found.append((node.lineno, node.module or ""))
    return found


def _package(path: Path) -> tuple[str, ...]:
    return ("ceu", "domain", *path.parent.relative_to(DOMAIN).parts)


def _opens_files(path: Path) -> list[int]:
    """Lines that call the builtin open() (disk I/O belongs in ceu/files.py)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open"
    ]


def _allowed(name: str) -> bool:
    top = name.split(".")[0]
    if name == "ceu.domain" or name.startswith("ceu.domain."):
        return True
    return top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY


def test_domain_package_has_modules() -> None:
    found = {path.relative_to(DOMAIN).as_posix() for path in DOMAIN.rglob("*.py")}
    assert {"content/model.py", "content/parse.py", "content/write.py", "questions.py"} <= found


SOURCES = sorted(DOMAIN.rglob("*.py"))


def _id(path: Path) -> str:
    return path.relative_to(DOMAIN).as_posix()


@pytest.mark.parametrize("path", SOURCES, ids=_id)
def test_domain_imports_only_stdlib_and_parsers(path: Path) -> None:
    imports = _imports(path, _package(path))
    bad = [f"{_id(path)}:{line}: {name}" for line, name in imports if not _allowed(name)]
    assert bad == [], "ceu/domain must not import flask, sqlalchemy or other ceu packages"


@pytest.mark.parametrize("path", SOURCES, ids=_id)
def test_domain_does_no_disk_io(path: Path) -> None:
    imports = _imports(path, _package(path))
    bad = [f"{_id(path)}:{line}: {name}" for line, name in imports if name in DISK_MODULES]
    bad += [f"{_id(path)}:{line}: open()" for line in _opens_files(path)]
    assert bad == [], "ceu/domain is pure: reading and writing files belongs in ceu/files.py"


def test_checker_flags_forbidden_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import flask\nfrom sqlalchemy import select\nfrom ceu.auth import models\n"
        "from .. import extensions\nimport json\nfrom ceu.domain import questions\n",
        encoding="utf-8",
    )
    flagged = [name for _, name in _imports(sample) if not _allowed(name)]
    assert flagged == ["flask", "sqlalchemy", "ceu.auth", "<outside domain>"]


def test_checker_resolves_relative_imports_inside_a_subpackage(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from .model import Course\nfrom ..questions import QUESTION_TYPES\n"
        "from ... import extensions\n",
        encoding="utf-8",
    )
    names = [name for _, name in _imports(sample, ("ceu", "domain", "content"))]
    assert names == ["ceu.domain.content.model", "ceu.domain.questions", "<outside domain>"]


def test_checker_flags_disk_io(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import pathlib\nwith open('x') as f:\n    pass\n", encoding="utf-8")
    assert [name for _, name in _imports(sample)] == ["pathlib"]
    assert _opens_files(sample) == [2]
