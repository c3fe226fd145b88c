"""ceu.domain stays pure: only the standard library and a few parsing libraries."""

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "ceu" / "domain"
ALLOWED_THIRD_PARTY = {"yaml", "markdown", "nh3"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module an import statement in path names, as (line, absolute name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = ["ceu", "domain"][: max(0, 3 - node.level)]
                base = ".".join([*package, node.module or ""]).strip(".")
                found.append((node.lineno, base if node.level == 1 else "<outside domain>"))
            else:
                found.append((node.lineno, node.module or ""))
    return found


def _allowed(name: str) -> bool:
    top = name.split(".")[0]
    if name == "ceu.domain" or name.startswith("ceu.domain."):
        return True
    return top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY


def test_domain_package_has_modules() -> None:
    assert {"content.py", "questions.py"} <= {path.name for path in DOMAIN.glob("*.py")}


@pytest.mark.parametrize("path", sorted(DOMAIN.rglob("*.py")), ids=lambda path: path.name)
def test_domain_imports_only_stdlib_and_parsers(path: Path) -> None:
    bad = [f"{path.name}:{line}: {name}" for line, name in _imports(path) if not _allowed(name)]
    assert bad == [], "ceu/domain must not import flask, sqlalchemy or other ceu packages"


def test_checker_flags_forbidden_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import flask\nfrom sqlalchemy import select\nfrom ceu.auth import models\n"
        "from .. import extensions\nimport json\nfrom ceu.domain import questions\n",
        encoding="utf-8",
    )
    flagged = [name for _, name in _imports(sample) if not _allowed(name)]
    assert flagged == ["flask", "sqlalchemy", "ceu.auth", "<outside domain>"]
