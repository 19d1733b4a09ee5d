"""API documents are markdown from publishers: rendered on the server and sanitised."""

from __future__ import annotations

from apim_portals.markdown import render_markdown


def test_markdown_tables_and_code_are_rendered() -> None:
    html = render_markdown("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n`GET /menu`")
    assert "<h1>Title</h1>" in html
    assert "<td>1</td>" in html
    assert "<code>GET /menu</code>" in html


def test_raw_html_and_script_urls_do_not_survive() -> None:
    html = render_markdown(
        '<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror="alert(1)">'
    )
    assert "<script" not in html
    assert 'href="javascript:' not in html
    assert "<img" not in html


def test_links_get_a_safe_rel() -> None:
    assert 'rel="noopener noreferrer nofollow"' in render_markdown("[docs](https://example.com/docs)")
