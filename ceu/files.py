"""The disk edge of the course format: read course folders into text, write them back out.

ceu.domain.content is pure (text in, model out); everything that touches the file system
for courses lives here, so the CLI, the importer and the tests share one reader.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from ceu.domain.content import (
    COURSE_FILE,
    MAX_FILE_BYTES,
    ContentError,
    Course,
    CourseInvalid,
    parse_course,
)
from ceu.domain.content.write import course_files


def find_course_dirs(path: Path) -> list[Path]:
    """Resolve a CLI PATH: one course folder (has course.yaml) or a folder of course folders."""
    if (path / COURSE_FILE).is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(
        child
        for child in path.iterdir()
        if child.is_dir() and not child.name.startswith(".") and (child / COURSE_FILE).is_file()
    )


def load_course(path: Path) -> Course:
    """Read and validate one course folder; raise CourseInvalid listing every problem."""
    files, errors = read_folder(path)
    if not path.is_dir():
        raise CourseInvalid(errors)
    return parse_course(path.name, files, errors)


def write_course(course_files: Iterable[tuple[str, str]] | Mapping[str, str], dest: Path) -> None:
    """Export: write the files byte for byte into dest (the course folder), which must be empty."""
    items = course_files.items() if isinstance(course_files, Mapping) else course_files
    pairs = list(items)
    for relative, _ in pairs:
        _check_relative_path(relative)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(f"{dest} exists and is not an empty folder")
    for relative, text in pairs:
        target = dest.joinpath(*PurePosixPath(relative).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))


def format_course(path: Path, *, check: bool = False) -> list[str]:
    """Rewrite a valid course folder in the writer's canonical layout; the files it changed.

    The content is untouched: the folder is parsed, written back from the model and only
    files whose text differs are replaced. With check, nothing is written (a CI gate).
    Raises CourseInvalid (and writes nothing) when the folder does not validate.
    """
    course = load_course(path)
    current = dict(course.files)
    changed = [name for name, text in course_files(course).items() if current.get(name) != text]
    if not check:
        canonical = course_files(course)
        for name in changed:
            _check_relative_path(name)
            path.joinpath(*PurePosixPath(name).parts).write_bytes(canonical[name].encode("utf-8"))
    return changed


def _check_relative_path(relative: str) -> None:
    pure = PurePosixPath(relative)
    if (
        not relative
        or "\\" in relative
        or pure.is_absolute()
        or any(part in {"", ".", ".."} for part in relative.split("/"))
    ):
        raise ValueError(f"unsafe path in course files: {relative!r}")


def read_folder(path: Path) -> tuple[dict[str, str], list[ContentError]]:
    """A course folder as relative path -> text, with the problems met reading it."""
    root = path.name
    errors: list[ContentError] = []
    files: dict[str, str] = {}
    if not path.is_dir():
        message = f"{path} is not a folder — pass a course folder (one that holds course.yaml)"
        return files, [ContentError(root, None, message)]
    for entry in sorted(path.rglob("*")):
        relative = entry.relative_to(path).as_posix()
        label = f"{root}/{relative}"
        if entry.is_symlink():
            errors.append(
                ContentError(label, None, "symbolic links are not allowed — copy the file in")
            )
        elif entry.is_dir():
            if not any(entry.iterdir()):
                errors.append(ContentError(label, None, "empty folder — remove it"))
        else:
            text, error = _read_text(entry, label)
            if error is not None:
                errors.append(error)
            files[relative] = text if text is not None else ""
    return files, errors


def _read_text(entry: Path, label: str) -> tuple[str | None, ContentError | None]:
    if entry.stat().st_size > MAX_FILE_BYTES:
        message = f"file is larger than {MAX_FILE_BYTES:,} bytes — split or shorten it"
        return None, ContentError(label, None, message)
    data = entry.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"not valid UTF-8 (byte 0x{data[exc.start]:02x}) — save the file as UTF-8"
        return None, ContentError(label, line, message)
    if text.startswith("\ufeff"):
        message = "file starts with a byte-order mark — save it as UTF-8 without BOM"
        return None, ContentError(label, 1, message)
    return text, None
