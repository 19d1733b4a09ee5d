"""Files a control-plane API hands out (an exported project, a document...)."""

from __future__ import annotations

from urllib.parse import quote


def attachment(filename: str) -> dict[str, str]:
    """The ``Content-Disposition`` header that offers ``filename`` for download, whatever it holds.

    Header values are Latin-1, so a name in another script (``ピザ_1.0.0.zip``) cannot go in
    ``filename`` as it is: that one gets an ASCII stand-in, and ``filename*`` carries the name
    itself in UTF-8 (RFC 6266), which browsers and curl prefer.
    """
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename)
    encoded = quote(filename.encode("utf-8", "replace"), safe="")
    return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"}
