"""Module bodies: sections, citations, word counts, safety scan and the sanitizer."""

import pytest

from ceu.domain.markdown import Section, count_words, render_body, sanitize_html

LABELS = {"roybyrne2015": "Roy-Byrne, 2015", "bokma2019": "Bokma et al., 2019", "z": "Z & Q"}


def _messages(body: str) -> list[tuple[int | None, str]]:
    return [(problem.line, problem.message) for problem in render_body(body, LABELS).problems]


def test_section_ids_are_toc_slugs() -> None:
    rendered = render_body('## What "refractory" means\n\ntext\n\n### Detail\n', LABELS)
    assert rendered.sections == (Section("what-refractory-means", 'What "refractory" means'),)
    assert '<h2 id="what-refractory-means">' in rendered.html
    assert '<h3 id="detail">' in rendered.html


def test_repeated_headings_get_toc_suffixes() -> None:
    rendered = render_body("## Notes\n\na\n\n## Notes\n\nb\n", LABELS)
    assert [section.id for section in rendered.sections] == ["notes", "notes_1"]


def test_citations_become_links_in_parentheses() -> None:
    rendered = render_body("Text [@bokma2019; @roybyrne2015] and [@z].\n", LABELS)
    assert (
        '(<a class="cite" href="#ref-bokma2019" rel="noopener noreferrer">Bokma et al., 2019</a>; '
        '<a class="cite" href="#ref-roybyrne2015" rel="noopener noreferrer">Roy-Byrne, 2015</a>)'
    ) in rendered.html
    assert ">Z &amp; Q</a>)" in rendered.html
    assert rendered.cited_keys == ("bokma2019", "roybyrne2015", "z")
    assert rendered.problems == ()


def test_unknown_citation_is_reported_with_its_line() -> None:
    assert _messages("ok\n\nsee [@nobody2020]\n") == [
        (
            3,
            "citation [@nobody2020] does not match any reference key in course.yaml — add a "
            "reference with key: nobody2020 or fix the key",
        )
    ]


def test_citations_are_not_checked_when_references_are_unknown() -> None:
    assert render_body("see [@nobody2020]\n", None).problems == ()


def test_word_count_skips_citations_and_counts_letter_digit_runs() -> None:
    assert count_words("## Two words\n\nIt's 2 [@bokma2019; @roybyrne2015] a-b.\n") == 7
    assert render_body("Three little words [@z]\n", LABELS).word_count == 3


def test_links_get_rel_noopener_and_script_urls_are_dropped_by_the_sanitizer() -> None:
    cleaned = sanitize_html(
        '<a href="https://example.org">x</a><a href="javascript:alert(1)">y</a>'
    )
    assert cleaned == (
        '<a href="https://example.org" rel="noopener noreferrer">x</a>'
        '<a rel="noopener noreferrer">y</a>'
    )


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<script>alert(1)</script><p>ok</p>", "<p>ok</p>"),
        ('<p onclick="x()">ok</p>', "<p>ok</p>"),
        ('<img src="https://evil.example/x.png">', ""),
        ("<h1>Title</h1>", "Title"),
        ('<h2 id="keep">Kept</h2>', '<h2 id="keep">Kept</h2>'),
        ('<div class="footnote evil">x</div>', '<div class="footnote">x</div>'),
        ("<style>p{}</style>text", "text"),
        ("<iframe src='https://x.org'></iframe>", ""),
    ],
)
def test_sanitizer_allowlist(dirty: str, clean: str) -> None:
    assert sanitize_html(dirty) == clean


def test_tables_footnotes_and_lists_survive_sanitizing() -> None:
    body = "| a | b |\n|:--|--:|\n| 1 | 2 |\n\nNote[^1].\n\n1. one\n2. two\n\n[^1]: Foot.\n"
    html = render_body(body, LABELS).html
    for fragment in ('<th align="left">a</th>', '<td align="right">2</td>', "<ol>", 'id="fn:1"'):
        assert fragment in html


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("a\n\n<script>x()</script>\n", 3, "<script> tags are not allowed"),
        ('a\n<p onmouseover="x()">b</p>\n', 2, "event handler attribute onmouseover on <p>"),
        ("[a](javascript:alert(1))\n", 1, "javascript: URLs are not allowed"),
        ("[a](JaVaScRiPt:alert(1))\n", 1, "javascript: URLs are not allowed"),
        ('x\n\n<a href="data:text/html,hi">a</a>\n', 3, "data: URLs are not allowed"),
        ("[ref]: data:text/html,hi\n\n[a][ref]\n", 1, "data: URLs are not allowed"),
        ('## Heading {: onclick="x()" }\n', 1, "event handler attribute onclick"),
        ("text\n\n<form action='/x'></form>\n", 3, "<form> tags are not allowed"),
        ("<object data='x'></object>\n", 1, "<object> tags are not allowed"),
        ("<embed src='x'>\n", 1, "<embed> tags are not allowed"),
        ("<style>p{}</style>\n", 1, "<style> tags are not allowed"),
        ('<img src="x.png">\n', 1, "images are not supported"),
        ("![alt](x.png)\n", 1, "images are not supported"),
        ("<marquee>x</marquee>\n", 1, "HTML tag <marquee> is not allowed"),
        ('<span style="color:red">x</span>\n', 1, "attribute style on <span> is not allowed"),
        ("# Title\n", 1, "'#' (h1) headings are not allowed"),
        ("intro\n\nTitle\n=====\n", 3, "'#' (h1) headings are not allowed"),
        ("<h1>Title</h1>\n", 1, "HTML tag <h1> is not allowed"),
        ("see [@Bad Key]\n", 1, "malformed citation"),
        ("## Evidence [@z]\n", 1, "citations are not allowed in headings"),
    ],
)
def test_unsafe_or_unsupported_markup_is_an_error_with_its_line(
    body: str, line: int, fragment: str
) -> None:
    found = _messages(body)
    assert any(at == line and fragment in message for at, message in found), found


@pytest.mark.parametrize(
    "body",
    [
        "Use `<script>` tags? No.\n",
        "```html\n<script>alert(1)</script>\n# not a heading\n```\n",
        "Visit <https://www.counseling.org> or <help@example.org>.\n",
        "[ACA](https://www.counseling.org) and [mail](mailto:a@b.org) and [local](#section)\n",
        "A <strong>bold</strong> word and a <br> break.\n",
        "## Section\n\n### Sub\n\nPlain *text*.\n",
        '<div markdown="1">\n**inside**\n</div>\n',
        "Data: the numbers.\n",
    ],
)
def test_safe_markup_passes(body: str) -> None:
    assert _messages(body) == []


def test_code_is_rendered_escaped() -> None:
    html = render_body("Use `<script>` here.\n", LABELS).html
    assert "<code>&lt;script&gt;</code>" in html
