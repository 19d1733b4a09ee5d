"""A real HTTP backend for gateway tests: ``python -m tests.support.backend PORT`` (uvicorn).

/echo/...      JSON of the request: method, path, query, headers, body
/json          a fixed 1 KiB JSON body
/big?size=N    N bytes streamed in 64 KiB chunks (chunked transfer encoding)
/slow?s=F      answers after F seconds
/close         answers with Connection: close
/status/N      answers status N
"""

from __future__ import annotations

import asyncio
import json
import sys
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

ONE_KIB = b'{"data": "' + b"x" * (1024 - 12) + b'"}'
assert len(ONE_KIB) == 1024


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    path: str = scope["path"]
    query = parse_qs(scope["query_string"].decode())
    body = await _body(receive)
    headers: list[tuple[bytes, bytes]] = [(b"content-type", b"application/json")]
    status = 200
    if path == "/json":
        payload = ONE_KIB
    elif path == "/big":
        size = int(query.get("size", ["1048576"])[0])
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/octet-stream")],
            }
        )
        sent = 0
        while sent < size:
            n = min(65536, size - sent)
            await send({"type": "http.response.body", "body": b"x" * n, "more_body": True})
            sent += n
        await send({"type": "http.response.body", "body": b""})
        return
    elif path == "/slow":
        await asyncio.sleep(float(query.get("s", ["1"])[0]))
        payload = b'{"slow": true}'
    elif path.startswith("/status/"):
        status = int(path.rsplit("/", 1)[1])
        payload = json.dumps({"status": status}).encode()
    else:
        if path == "/close":
            headers.append((b"connection", b"close"))
        payload = json.dumps(
            {
                "method": scope["method"],
                "path": path,
                "query": scope["query_string"].decode(),
                "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
                "body": body.decode(errors="replace"),
            }
        ).encode()
    headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
