"""A real HTTP backend for gateway tests: ``python -m tests.support.backend PORT`` (uvicorn).

/echo/...      JSON of the request: method, path, query, headers, body
/json          a fixed 1 KiB JSON body
/big?size=N    N bytes streamed in 64 KiB chunks (chunked transfer encoding)
/slow?s=F      answers after F seconds
/close         answers with Connection: close
/status/N      answers status N
any path ?upload=ID   reads the body as it arrives, counting it where /uploads/ID shows it, and
               answers {bytes, sha256, complete, contentLength, transferEncoding}
any path ?reject=N    answers status N at once, without reading the body
/uploads/ID    how much of upload ID has arrived so far: {bytes, complete}
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

ONE_KIB = b'{"data": "' + b"x" * (1024 - 12) + b'"}'
assert len(ONE_KIB) == 1024


# Uploads in progress or done, by the id the caller gave: {"bytes": n, "complete": bool}.
UPLOADS: dict[str, dict[str, object]] = {}


async def _json(send: Send, status: int, payload: object) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _upload(upload_id: str, scope: Scope, receive: Receive, send: Send) -> None:
    progress: dict[str, object] = {"bytes": 0, "complete": False}
    UPLOADS[upload_id] = progress
    digest = hashlib.sha256()
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return  # the request broke off: the upload stays incomplete
        chunk = message.get("body", b"")
        digest.update(chunk)
        size += len(chunk)
        progress["bytes"] = size
        if not message.get("more_body"):
            break
    progress["complete"] = True
    headers = dict(scope["headers"])
    await _json(
        send,
        200,
        {
            "bytes": size,
            "sha256": digest.hexdigest(),
            "complete": True,
            "contentLength": (headers.get(b"content-length") or b"").decode() or None,
            "transferEncoding": (headers.get(b"transfer-encoding") or b"").decode() or None,
        },
    )


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
    if "reject" in query:
        status = int(query["reject"][0])
        await _json(send, status, {"status": status})
        return
    if "upload" in query:
        await _upload(query["upload"][0], scope, receive, send)
        return
    if path.startswith("/uploads/"):
        progress = UPLOADS.get(path.rsplit("/", 1)[1])
        await _json(send, 200 if progress else 404, progress or {})
        return
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
