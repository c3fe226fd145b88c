"""Module bodies: citations, safety checks, word counts, sections and sanitized HTML.

A module body is rendered once, at import, with Python-Markdown (``extra``, ``sane_lists``,
``toc``) and then cleaned with nh3 using the allowlist below. Before rendering, the source is
scanned so that anything the sanitizer would remove (scripts, event handlers, ``javascript:``
links, images, unknown tags) is reported to the author with its line instead of vanishing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import markdown as md
import nh3

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_CLASSES",
    "ALLOWED_TAGS",
    "URL_SCHEMES",
    "BodyProblem",
    "RenderedBody",
    "Section",
    "count_words",
    "render_body",
    "sanitize_html",
]

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        *("h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "div", "span"),
        *("strong", "em", "b", "i", "code", "pre", "sup", "sub", "abbr", "a"),
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("table", "thead", "tbody", "tr", "th", "td"),
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    **{f"h{level}": {"id"} for level in range(2, 7)},
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "sup": {"id"},
    "li": {"id"},
    "th": {"align"},
    "td": {"align"},
}
ALLOWED_CLASSES: dict[str, set[str]] = {
    "a": {"cite", "footnote-ref", "footnote-backref"},
    "div": {"footnote", "toc"},
}
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"

_DANGEROUS_TAGS = frozenset(
    {
        *("script", "style", "iframe", "frame", "frameset", "object", "embed", "applet"),
        *("form", "input", "button", "textarea", "select", "option", "link", "meta", "base"),
        *("svg", "math", "template", "noscript"),
    }
)
_URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite"}
)
_MARKDOWN_EXTENSIONS = ["extra", "sane_lists", "toc"]
_MARKDOWN_CONFIG: dict[str, dict[str, Any]] = {"extra": {"tables": {"use_align_attribute": True}}}

_CITATION = re.compile(r"\[@([^\]\n]*)\]")
_CITATION_KEYS = re.compile(r"@[a-z0-9_-]+(?:\s*;\s*@[a-z0-9_-]+)*")
_WORD = re.compile(r"[A-Za-z0-9]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_SCRIPT_URL = re.compile(r"\b(java|vb)script\s*:", re.IGNORECASE)
_MD_LINK_URL = re.compile(r"\]\(\s*<?([^)\s>]*)")
_MD_REFERENCE_URL = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)", re.MULTILINE)
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\s*[\(\[]")
_ATTR_LIST_HANDLER = re.compile(r"\{:?[^}\n]*?\b(on[a-z]+)\s*=", re.IGNORECASE)
_ATTR_LIST_URL = re.compile(r"\{:?[^}\n]*?=\s*[\"']?\s*([a-z][a-z0-9+.\-]*:)", re.IGNORECASE)
_AUTOLINK = re.compile(r"<(?:[a-z][a-z0-9+.\-]*:[^<>\s]*|[^<>\s@]+@[^<>\s@]+)>", re.IGNORECASE)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_ATX_H1 = re.compile(r"^#(?!#)")
_SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")


@dataclass(frozen=True)
class Section:
    """A ``##`` heading: its anchor id (as the toc extension makes it) and its text."""

    id: str
    title: str


@dataclass(frozen=True)
class BodyProblem:
    """Something wrong in a body, with the body line (1 = first line after front matter)."""

    line: int | None
    message: str


@dataclass(frozen=True)
class RenderedBody:
    """Everything derived from a module body in one pass."""

    html: str
    sections: tuple[Section, ...]
    word_count: int
    cited_keys: tuple[str, ...]
    problems: tuple[BodyProblem, ...]


@dataclass(frozen=True)
class _Citation:
    start: int
    end: int
    line: int
    keys: tuple[str, ...]


def sanitize_html(fragment: str) -> str:
    """Clean rendered HTML with the module allowlist so nothing executable reaches a page."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        allowed_classes={tag: set(names) for tag, names in ALLOWED_CLASSES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def count_words(body: str) -> int:
    """Count runs of letters or digits, skipping ``[@key]`` markers: the contact-hour basis."""
    return len(_WORD.findall(_CITATION.sub(" ", body)))


def render_body(body: str, short_labels: Mapping[str, str] | None) -> RenderedBody:
    """Check, measure and render a module body; ``short_labels`` maps reference keys to labels.

    Pass ``None`` when the references could not be read: citations are then not checked.
    """
    masked = _mask_code(body)
    problems: list[BodyProblem] = []
    citations = _find_citations(masked, problems)
    if short_labels is not None:
        problems.extend(_unknown_citations(citations, short_labels))
    problems.extend(_unsafe_markup(masked))
    problems.extend(BodyProblem(line, _H1_MESSAGE) for line in _h1_lines(masked))
    source = _replace_citations(body, citations, short_labels or {})
    converter = md.Markdown(
        extensions=_MARKDOWN_EXTENSIONS, extension_configs=_MARKDOWN_CONFIG, output_format="html"
    )
    rendered = converter.convert(source)
    tokens: list[dict[str, Any]] = getattr(converter, "toc_tokens", [])
    if any(token["level"] == 1 for token in _walk(tokens)) and not any(
        problem.message == _H1_MESSAGE for problem in problems
    ):
        problems.append(BodyProblem(None, _H1_MESSAGE))
    sections = tuple(
        Section(id=token["id"], title=html.unescape(token["name"]))
        for token in _walk(tokens)
        if token["level"] == 2
    )
    cited = tuple(dict.fromkeys(key for citation in citations for key in citation.keys))
    return RenderedBody(
        html=sanitize_html(rendered),
        sections=sections,
        word_count=_count_words_outside(body, citations),
        cited_keys=cited,
        problems=tuple(_dedupe(problems)),
    )


_H1_MESSAGE = (
    "'#' (h1) headings are not allowed in the body; the title comes from the front matter — "
    "use '##' for sections"
)


def _walk(tokens: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for token in tokens:
        yield token
        yield from _walk(token.get("children", []))


def _dedupe(problems: list[BodyProblem]) -> list[BodyProblem]:
    seen: set[tuple[int | None, str]] = set()
    unique: list[BodyProblem] = []
    for problem in problems:
        marker = (problem.line, problem.message)
        if marker not in seen:
            seen.add(marker)
            unique.append(problem)
    return sorted(unique, key=lambda problem: problem.line or 0)


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _mask_code(body: str) -> str:
    """Blank out fenced code, code spans and autolinks so they are not taken for markup."""
    lines = body.split("\n")
    fence: str | None = None
    for index, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            lines[index] = _blank(line)
        elif fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            lines[index] = _blank(line)
    masked = "\n".join(lines)
    masked = _CODE_SPAN.sub(lambda match: _blank(match.group(0)), masked)
    return _AUTOLINK.sub(lambda match: _check_autolink(match), masked)


def _check_autolink(match: re.Match[str]) -> str:
    # Keep script URLs visible to the later scan; blank everything else.
    return match.group(0) if _SCRIPT_URL.search(match.group(0)) else _blank(match.group(0))


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _find_citations(masked: str, problems: list[BodyProblem]) -> list[_Citation]:
    citations: list[_Citation] = []
    for match in _CITATION.finditer(masked):
        inner = "@" + match.group(1)
        line = _line_at(masked, match.start())
        if not _CITATION_KEYS.fullmatch(inner.strip()):
            problems.append(
                BodyProblem(
                    line,
                    f"malformed citation {match.group(0)!r} — write [@key] or [@key1; @key2] "
                    f"with lower-case keys from course.yaml references",
                )
            )
            continue
        if masked.split("\n")[line - 1].lstrip().startswith("#"):
            problems.append(
                BodyProblem(
                    line,
                    "citations are not allowed in headings (they would change the section id) "
                    "— cite in the text below the heading",
                )
            )
            continue
        keys = tuple(part.strip().lstrip("@") for part in inner.split(";"))
        citations.append(_Citation(match.start(), match.end(), line, keys))
    return citations


def _unknown_citations(
    citations: list[_Citation], short_labels: Mapping[str, str]
) -> Iterator[BodyProblem]:
    for citation in citations:
        for key in citation.keys:
            if key not in short_labels:
                yield BodyProblem(
                    citation.line,
                    f"citation [@{key}] does not match any reference key in course.yaml — "
                    f"add a reference with key: {key} or fix the key",
                )


def _replace_citations(
    body: str, citations: list[_Citation], short_labels: Mapping[str, str]
) -> str:
    pieces: list[str] = []
    position = 0
    for citation in citations:
        links = "; ".join(
            f'<a class="cite" href="#ref-{key}">{html.escape(short_labels.get(key, key))}</a>'
            for key in citation.keys
        )
        pieces.append(body[position : citation.start])
        pieces.append(f"({links})")
        position = citation.end
    pieces.append(body[position:])
    return "".join(pieces)


def _count_words_outside(body: str, citations: list[_Citation]) -> int:
    text = body
    for citation in reversed(citations):
        text = text[: citation.start] + " " + text[citation.end :]
    return len(_WORD.findall(text))


def _scheme_problem(url: str) -> str | None:
    cleaned = re.sub(r"[\x00-\x20]", "", html.unescape(url)).lower()
    match = _SCHEME.match(cleaned)
    if match is None or match.group(1) in URL_SCHEMES:
        return None
    scheme = match.group(1)
    if scheme in {"javascript", "vbscript"}:
        return f"{scheme}: URLs are not allowed — link to an http(s) address instead"
    return (
        f"{scheme}: URLs are not allowed (only http, https and mailto) — "
        f"link to an http(s) address instead"
    )


class _TagScanner(HTMLParser):
    """Collect raw HTML tags and attributes the sanitizer would drop, with their lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[BodyProblem] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag == "img":
            self.problems.append(BodyProblem(line, _IMAGE_MESSAGE))
        elif tag in _DANGEROUS_TAGS:
            self.problems.append(
                BodyProblem(line, f"<{tag}> tags are not allowed in module text — remove it")
            )
        elif tag not in ALLOWED_TAGS:
            self.problems.append(
                BodyProblem(
                    line,
                    f"HTML tag <{tag}> is not allowed in module text — remove it or use "
                    f"Markdown instead",
                )
            )
        for name, value in attrs:
            self._check_attribute(line, tag, name, value or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def _check_attribute(self, line: int, tag: str, name: str, value: str) -> None:
        if name.startswith("on"):
            self.problems.append(
                BodyProblem(
                    line,
                    f"event handler attribute {name} on <{tag}> is not allowed — remove it",
                )
            )
            return
        if name in _URL_ATTRIBUTES:
            problem = _scheme_problem(value)
            if problem:
                self.problems.append(BodyProblem(line, problem))
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | {"class", "markdown"}
        if tag in ALLOWED_TAGS and name not in allowed and name not in _URL_ATTRIBUTES:
            self.problems.append(
                BodyProblem(
                    line, f"attribute {name} on <{tag}> is not allowed — remove the attribute"
                )
            )


_IMAGE_MESSAGE = "images are not supported in module text — describe the content in words"


def _unsafe_markup(masked: str) -> list[BodyProblem]:
    scanner = _TagScanner()
    scanner.feed(masked)
    scanner.close()
    problems = list(scanner.problems)
    for match in _SCRIPT_URL.finditer(masked):
        scheme = match.group(1).lower() + "script"
        problems.append(
            BodyProblem(
                _line_at(masked, match.start()),
                f"{scheme}: URLs are not allowed — link to an http(s) address instead",
            )
        )
    for pattern in (_MD_LINK_URL, _MD_REFERENCE_URL, _ATTR_LIST_URL):
        for match in pattern.finditer(masked):
            problem = _scheme_problem(match.group(1))
            if problem:
                problems.append(BodyProblem(_line_at(masked, match.start()), problem))
    for match in _MD_IMAGE.finditer(masked):
        problems.append(BodyProblem(_line_at(masked, match.start()), _IMAGE_MESSAGE))
    for match in _ATTR_LIST_HANDLER.finditer(masked):
        problems.append(
            BodyProblem(
                _line_at(masked, match.start()),
                f"event handler attribute {match.group(1)} is not allowed — remove it",
            )
        )
    return problems


def _h1_lines(masked: str) -> list[int]:
    lines = masked.split("\n")
    found: list[int] = []
    for index, line in enumerate(lines):
        if _ATX_H1.match(line):
            found.append(index + 1)
        elif index > 0 and _SETEXT_H1.match(line) and lines[index - 1].strip():
            found.append(index)
    return found
