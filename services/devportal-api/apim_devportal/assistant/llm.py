"""An optional OpenAI-compatible chat endpoint (``/chat/completions``) for a larger model.

Both the marketplace assistant and API chat use it when ``APIM_ASSISTANT_LLM_URL`` is set, and
fall back to their offline answers when it fails. The API key is sent as a bearer token and never
logged or put in an error message.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

log = logging.getLogger(__name__)

Message = dict[str, str]


class ModelUnavailable(Exception):
    """The endpoint did not answer with a usable completion."""


@dataclass(frozen=True)
class ToolCall:
    """A function the model asked to call, with its arguments as it wrote them."""

    name: str
    arguments: dict[str, Any]


class ChatModel:
    def __init__(
        self,
        url: str,
        model: str,
        api_key: SecretStr | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.model = model
        self._endpoint = url.rstrip("/") + "/chat/completions"
        headers = {"Authorization": f"Bearer {api_key.get_secret_value()}"} if api_key else {}
        self._client = httpx.AsyncClient(headers=headers, timeout=timeout, transport=transport)

    async def complete(self, messages: list[Message], *, json_reply: bool = False) -> str:
        """The model's reply to ``messages``; ``json_reply`` asks for a JSON object."""
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": 0}
        if json_reply:
            body["response_format"] = {"type": "json_object"}
        message = await self._message(body)
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise ModelUnavailable("an empty completion")
        return content.strip()

    async def call_tool(self, messages: list[Message], tools: list[dict[str, Any]]) -> ToolCall | str:
        """The function the model calls among ``tools`` (OpenAI's tool shape), or its text reply."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "tools": tools,
            "tool_choice": "auto",
        }
        message = await self._message(body)
        calls = message.get("tool_calls")
        if isinstance(calls, list) and calls:
            function = (calls[0] or {}).get("function") or {}
            try:
                arguments = json.loads(function.get("arguments") or "{}")
            except (TypeError, ValueError) as exc:
                raise ModelUnavailable("tool arguments that are not JSON") from exc
            if not isinstance(arguments, dict) or not isinstance(function.get("name"), str):
                raise ModelUnavailable("a tool call without a name or an arguments object")
            return ToolCall(function["name"], arguments)
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise ModelUnavailable("neither a tool call nor a reply")
        return content.strip()

    async def _message(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._client.post(self._endpoint, json=body)
        except httpx.HTTPError as exc:
            log.warning("the assistant's model endpoint failed: %s", type(exc).__name__)
            raise ModelUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            log.warning("the assistant's model endpoint answered %s", response.status_code)
            raise ModelUnavailable(f"status {response.status_code}")
        try:
            message = response.json()["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ModelUnavailable("no completion in the reply") from exc
        if not isinstance(message, dict):
            raise ModelUnavailable("no message in the reply")
        return message

    async def aclose(self) -> None:
        await self._client.aclose()
