"""A SOAP API's WSDL as the developer portal serves it: its service addresses are the gateway's,
so a client generated from it calls the API through the gateway, as in WSO2."""

from __future__ import annotations

import html
import re

# One start tag at a time (never past the next '<' or '>'), so the scan stays linear in the size.
_TAG = re.compile(r"<(?:[\w.-]+:)?(address|endpoint)\b[^<>]*>")
# SOAP 1.1/1.2 and HTTP bindings: <soap:address location="...">; WSDL 2.0: <endpoint address="...">.
_ATTRIBUTE = {
    "address": re.compile(r"(\slocation\s*=\s*)(\"[^\"]*\"|'[^']*')"),
    "endpoint": re.compile(r"(\saddress\s*=\s*)(\"[^\"]*\"|'[^']*')"),
}


def through_gateway(wsdl: str, url: str) -> str:
    """``wsdl`` with every service address replaced by ``url``."""
    quoted = '"' + html.escape(url, quote=True) + '"'

    def tag(match: re.Match[str]) -> str:
        return _ATTRIBUTE[match.group(1)].sub(lambda m: m.group(1) + quoted, match.group(0), count=1)

    return _TAG.sub(tag, wsdl)
