"""Answers written from the retrieved APIs: offline from a template, or as a model's prompt."""

from __future__ import annotations

import json

from apim_devportal.assistant.llm import Message
from apim_devportal.assistant.retrieval import Hit
from apim_devportal.assistant.schemas import ChatMessage

GREETING = (
    "Hi! Tell me what you want to do (for example “send a text message” or “track a parcel”) "
    "and I will point you to the APIs on this portal that can do it."
)
# How much of the conversation a model sees.
HISTORY_TURNS = 6


def nothing_found(query: str) -> str:
    return (
        f"I could not find an API on this portal for “{query}”. "
        "Try describing what you want to do in other words."
    )


def compose(query: str, hits: list[Hit]) -> str:
    """The offline answer: the APIs, their purpose and the operations that fit the question."""
    if not hits:
        return nothing_found(query)
    lead = "This API can help" if len(hits) == 1 else "These APIs can help"
    lines = [f"{lead} with “{query}”:", ""]
    for number, hit in enumerate(hits, start=1):
        entry = hit.entry
        about = f": {entry.description}" if entry.description else ""
        lines.append(f"{number}. **{entry.name}** {entry.version}{about}")
        for op in hit.operations:
            lines.append(f"   - `{op.verb} {op.target}`" + (f": {op.summary}" if op.summary else ""))
    lines += ["", "Open an API to subscribe, get keys and try it."]
    return "\n".join(lines)


def prompt(query: str, history: list[ChatMessage], hits: list[Hit]) -> list[Message]:
    """A model's messages: the retrieved APIs as the only facts it may use, then the conversation."""
    catalog = [
        {
            "name": hit.entry.name,
            "version": hit.entry.version,
            "description": hit.entry.description,
            "tags": list(hit.entry.tags),
            "operations": [f"{op.verb} {op.target} {op.summary}".strip() for op in hit.entry.operations],
        }
        for hit in hits
    ]
    system = (
        "You are the marketplace assistant of an API developer portal. Answer the user's question "
        "using only the APIs listed below; never mention any other API, product or website. If none "
        "of them fits, say that no API on this portal does it. Be brief; name the APIs and the "
        "operations to call.\n\nAPIs:\n" + json.dumps(catalog, indent=1)
    )
    messages: list[Message] = [{"role": "system", "content": system}]
    for turn in history[-HISTORY_TURNS:]:
        if turn.role in ("user", "assistant"):
            messages.append({"role": turn.role, "content": turn.content})
    messages.append({"role": "user", "content": query})
    return messages
