"""The Grafana dashboard (deploy/grafana/apim-gateway.json) reads only series a gateway exposes:
every panel's PromQL is parsed, and each metric it selects is in a scrape of a gateway that has
answered, refused and throttled requests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from apim_common.events.topics import Topic
from tests.gateway.conftest import Harness, count_limit

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "apim-gateway.json"

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>\d+(?:\.\d+)?(?:e[+-]?\d+)?)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<range>\[[0-9smhdwy:$_a-z]+\])
    | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
    | (?P<op>=~|!~|!=|==|>=|<=|[-+*/%^<>=(){},])
    )""",
    re.VERBOSE,
)
AGGREGATIONS = {
    "sum", "avg", "min", "max", "count", "group", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values",
}  # fmt: skip
BINARY = {"+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=", "and", "or", "unless"}


def tokens(expr: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(expr.rstrip()):
        match = _TOKEN.match(expr, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot read {expr[position:]!r}")
        kind = match.lastgroup
        assert kind is not None
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class PromQL:
    """A recursive-descent reader of the PromQL the dashboard uses (selectors, ranges, functions,
    aggregations with by/without, binary operators); it collects the metric names selected."""

    def __init__(self, expr: str) -> None:
        self.tokens = tokens(expr)
        self.at = 0
        self.metrics: list[str] = []
        self.expression()
        if self.at != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.at][1]!r} in {expr!r}")

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise ValueError("the expression ends too early")
        token = self.tokens[self.at]
        if expected is not None and token[1] != expected:
            raise ValueError(f"expected {expected!r}, found {token[1]!r}")
        self.at += 1
        return token

    def expression(self) -> None:
        self.unary()
        while self.peek() in BINARY:
            self.take()
            if self.peek() == "bool":
                self.take()
            if self.peek() in ("on", "ignoring"):
                self.take()
                self.labels()
                if self.peek() in ("group_left", "group_right"):
                    self.take()
                    if self.peek() == "(":
                        self.labels()
            self.unary()

    def unary(self) -> None:
        if self.peek() in ("-", "+"):
            self.take()
        self.primary()

    def labels(self) -> None:
        self.take("(")
        while self.peek() not in (")", None):
            kind, _ = self.take()
            if kind != "ident":
                raise ValueError("a label list holds label names")
            if self.peek() == ",":
                self.take()
        self.take(")")

    def arguments(self) -> None:
        self.take("(")
        while self.peek() not in (")", None):
            if self.tokens[self.at][0] == "string":
                self.take()
            else:
                self.expression()
            if self.peek() == ",":
                self.take()
        self.take(")")

    def matchers(self) -> None:
        self.take("{")
        while self.peek() not in ("}", None):
            kind, _ = self.take()
            if kind != "ident":
                raise ValueError("a matcher starts with a label name")
            if self.take()[1] not in ("=", "!=", "=~", "!~"):
                raise ValueError("a matcher needs =, !=, =~ or !~")
            if self.take()[0] != "string":
                raise ValueError("a matcher's value is a string")
            if self.peek() == ",":
                self.take()
        self.take("}")

    def primary(self) -> None:
        kind, value = self.take()
        if kind == "number":
            return
        if value == "(":
            self.expression()
            self.take(")")
        elif kind == "ident" and value in AGGREGATIONS:
            if self.peek() in ("by", "without"):
                self.take()
                self.labels()
            self.arguments()
            if self.peek() in ("by", "without"):
                self.take()
                self.labels()
        elif kind == "ident" and self.peek() == "(":
            self.arguments()
        elif kind == "ident" or value == "{":
            if kind == "ident":
                self.metrics.append(value)
                if self.peek() == "{":
                    self.matchers()
            else:
                self.at -= 1
                self.matchers()
            if self.at < len(self.tokens) and self.tokens[self.at][0] == "range":
                self.take()
        else:
            raise ValueError(f"unexpected {value!r}")


def dashboard_expressions() -> list[str]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_the_reader_rejects_what_is_not_promql() -> None:
    assert PromQL('sum by (le) (rate(x_bucket{a="b"}[5m]))').metrics == ["x_bucket"]
    for broken in ("sum(rate(x[5m])", "x{a=}", "rate(x[5m]) +"):
        with pytest.raises(ValueError):
            PromQL(broken)


@pytest.mark.parametrize("settings_overrides", [{"metrics_port": 0}])
async def test_every_dashboard_metric_is_in_a_gateway_scrape(harness: Harness) -> None:
    await harness.publish(
        Topic.THROTTLE_POLICIES,
        "throttle-policy.created",
        {
            "policyType": "subscription",
            "policy": {"policyName": "Gold", "defaultLimit": count_limit(2), "stopOnQuotaReach": True},
        },
    )
    token = harness.bearer()
    statuses = [(await harness.client.get("/pets/1.0.0/echo/1", headers=token)).status_code for _ in range(3)]
    statuses.append((await harness.client.get("/pets/1.0.0/echo/1")).status_code)
    assert statuses == [200, 200, 429, 401]
    async with httpx.AsyncClient() as scraper:
        scrape = (await scraper.get(f"http://127.0.0.1:{harness.gateway.metrics_port}/metrics")).text
    exposed = {line.split("{")[0].split(" ")[0] for line in scrape.splitlines() if line and line[0] != "#"}
    expressions = dashboard_expressions()
    assert len(expressions) >= 10
    used = {name for expr in expressions for name in PromQL(expr).metrics}
    assert {
        "apim_gateway_requests_total",
        "apim_gateway_request_duration_seconds_bucket",
        "apim_gateway_upstream_duration_seconds_bucket",
        "apim_gateway_overhead_duration_seconds_bucket",
        "apim_gateway_bandwidth_bytes_total",
        "apim_gateway_throttled_total",
        "apim_gateway_analytics_dropped_total",
    } <= used
    assert sorted(used - exposed) == []
