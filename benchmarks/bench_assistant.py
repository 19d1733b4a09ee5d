"""The marketplace assistant's quality set and API chat's scenarios, measured in-process.

Loads the fixture catalog (tests/devportal_api/assistant_fixtures) into the assistant's index and
asks every question, printing top-1, top-3 and MRR for BM25 alone and for both hybrid fusions
(reciprocal-rank and weighted), with the time to embed one query; then plays the API chat
scenarios against the offline planner, feeding each step the recorded response, and prints the
share of steps that picked the right operation and the right parameters.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apim_devportal.apichat.planner import Planner, split_steps
from apim_devportal.apichat.schemas import ApiResponse
from apim_devportal.apichat.service import Session, next_call, record
from apim_devportal.apichat.tools import from_openapi
from apim_devportal.assistant.embedder import load_embedder
from apim_devportal.assistant.index import AssistantIndex
from apim_devportal.assistant.retrieval import DEFAULT_MODE, Mode, rank
from apim_devportal.catalog.models import CatalogApi
from tests.devportal_api.assistant_fixtures.api_chat import DEFINITIONS, SCENARIOS
from tests.devportal_api.assistant_fixtures.apis import APIS, QUESTIONS

TENANT = "carbon.super"
LABELS = {Mode.BM25: "BM25 alone", Mode.RRF: "hybrid, reciprocal-rank", Mode.WEIGHTED: "hybrid, weighted"}


def catalog() -> list[CatalogApi]:
    now = datetime.now(UTC)
    rows = []
    for i, (name, description, tags, operations) in enumerate(APIS):
        ops = [{"verb": v, "target": t, "summary": s} for v, t, s in operations]
        rows.append(
            CatalogApi(
                id=f"api-{i}",
                tenant=TENANT,
                kind="API",
                name=name,
                version="1.0.0",
                context=f"/{name.lower()}",
                provider="admin",
                lifecycle_status="PUBLISHED",
                visibility="PUBLIC",
                visible_roles=[],
                description=description,
                tags=tags,
                policies=["Unlimited"],
                data={"name": name, "description": description, "tags": tags, "operations": ops},
                deployments=[],
                created_at=now,
                updated_at=now,
            )
        )
    return rows


def measure(
    index: AssistantIndex, rows: list[CatalogApi], mode: Mode, vectors: dict[str, Any]
) -> tuple[float, ...]:
    tenant_index = index.tenant_index(TENANT, rows)
    names = {row.id: row.name for row in rows}
    top1 = top3 = mrr = 0.0
    for question, expected in QUESTIONS:
        hits = rank(tenant_index, question, vectors.get(question), mode=mode)
        found = [names[h.entry.id] for h in hits]
        position = found.index(expected) + 1 if expected in found else None
        top1 += position == 1
        top3 += position is not None and position <= 3
        mrr += 1 / position if position else 0.0
    n = len(QUESTIONS)
    return top1 / n, top3 / n, mrr / n


def retrieval() -> None:
    rows = catalog()
    embedder = load_embedder()
    index = AssistantIndex(embedder)
    started = time.perf_counter()
    index.tenant_index(TENANT, rows)
    build = time.perf_counter() - started
    vectors: dict[str, Any] = {}
    timings = []
    if embedder is not None:
        embedder.query("warm up")
        for question, _ in QUESTIONS:
            started = time.perf_counter()
            vectors[question] = embedder.query(question)
            timings.append((time.perf_counter() - started) * 1000)
    print(
        f"quality set: {len(rows)} APIs, {len(QUESTIONS)} questions; index built in {build:.2f} s "
        f"({index.embedded} passages embedded)"
    )
    print(f"{'retrieval':<28}{'top-1':>8}{'top-3':>8}{'MRR':>8}")
    modes = [Mode.BM25] + ([Mode.RRF, Mode.WEIGHTED] if embedder is not None else [])
    for mode in modes:
        label = LABELS[mode]
        if mode is DEFAULT_MODE:
            label += " *"
        top1, top3, mrr = measure(index, rows, mode, vectors)
        print(f"{label:<28}{top1:>8.3f}{top3:>8.3f}{mrr:>8.3f}")
    if timings:
        print(
            f"query embedding: median {statistics.median(timings):.1f} ms, "
            f"p90 {sorted(timings)[int(len(timings) * 0.9)]:.1f} ms per query (* = the default fusion)"
        )
    else:
        print("the embedding model is not installed: BM25 alone")


def _matches(inputs: dict[str, Any], expected: dict[str, Any]) -> bool:
    given = {**inputs.get("parameters", {}), **(inputs.get("requestBody") or {})}
    return all(str(given.get(name)) == str(value) for name, value in expected.items())


def play(planner: Planner, verbose: bool = False) -> tuple[int, int, int, int]:
    """Steps, right operations, right operations with right parameters, scenarios all right."""
    steps = operations = parameters = scenarios = 0
    for api, command, expected in SCENARIOS:
        session = Session(command, from_openapi(DEFINITIONS[api]), split_steps(command))
        all_right = True
        for want, values, body in expected:
            steps += 1
            planned = next_call(planner, session)
            if planned is None:
                all_right = False
                if verbose:
                    print(f"  {command!r}: no call for {want}")
                break
            tool, inputs = planned
            right_op = f"{tool.method} {tool.path}" == want
            right_values = right_op and _matches(inputs, values)
            operations += right_op
            parameters += right_values
            all_right = all_right and right_values
            if verbose and not right_values:
                print(f"  {command!r}: wanted {want} {values}, got {tool.method} {tool.path} {inputs}")
            session.pending = planned
            record(session, ApiResponse(code=200, body=body))
        all_right = all_right and next_call(planner, session) is None
        scenarios += all_right
    return steps, operations, parameters, scenarios


def api_chat(verbose: bool) -> None:
    print(f"API chat: {len(SCENARIOS)} scenarios over {len(DEFINITIONS)} APIs")
    print(f"{'planner':<28}{'operation':>10}{'op+params':>10}{'scenarios':>10}")
    embedder = load_embedder()
    for label, planner in (
        ("words + verbs", Planner(None)),
        ("embeddings + words + verbs", Planner(embedder)),
    ):
        if planner.embedder is None and label.startswith("embeddings"):
            continue
        steps, operations, parameters, scenarios = play(planner, verbose)
        print(
            f"{label:<28}{operations / steps:>10.3f}{parameters / steps:>10.3f}"
            f"{scenarios / len(SCENARIOS):>10.3f}   ({steps} steps)"
        )


if __name__ == "__main__":
    retrieval()
    print()
    api_chat("-v" in sys.argv)
