"""API documents: markdown rendered on the server, then sanitised (documents come from publishers)."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")
_TAGS = {
    *nh3.ALLOWED_TAGS,
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "pre",
    "code",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "del",
    "img",
}


def render_markdown(text: str | None) -> Markup:
    html = _md.render(text or "")
    return Markup(nh3.clean(html, tags=_TAGS, link_rel="noopener noreferrer nofollow"))  # noqa: S704
