"""The gateway's error answers: WSO2's numeric codes in ``{"code", "message", "description"}``."""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.types import Send

NO_MATCHING_RESOURCE = ("900906", "No matching resource found for given API Request")


async def send_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    description: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    body = json.dumps({"code": code, "message": message, "description": description}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
