"""API chat's evaluation: scenarios written from the API documentation alone, planner against them.

The scenarios live in ``tests/data/chat_eval/`` (one OpenAPI 3 document and its scenarios per
file). Each scenario carries the part it belongs to, the same for a whole file: ``heldout`` in the
files marked ``heldout: true``, ``tuned`` in the others; the held-out part is never used to tune
the planner. The held-out files are the second set of scenarios, written from the documentation
alone after the planner of 117374e; the first set's held-out third (the ids whose SHA-256 is a
multiple of three) was spent when its failures were read (docs/decisions/0028) and is tuned since.

For each part it prints the share of scenarios whose first call is right (method, path template,
every path value), whose whole sequence is right (every call's method, path and its path and query
values, and no call beyond), the share of the body fields the sentence states that the planned
bodies carry, and how many planned values start or end with punctuation. The previous planner
(``--baseline REF``, the commit before the planner was rewritten) is measured in the same run: its
package is extracted from git into a temporary folder and the same harness runs against it in a
child process. The marketplace assistant's top-1, top-3 and MRR on its question set are printed
for both the same way.

    uv run --frozen python benchmarks/eval_chat.py            # figures, current beside previous
    uv run --frozen python benchmarks/eval_chat.py -v         # and each failure of the tuned part
    uv run --frozen python benchmarks/eval_chat.py --chat-only --part tuned -v   # while tuning
    uv run --frozen python benchmarks/eval_chat.py --chat-only --part heldout --held-out-failures

``--held-out-failures`` lists the held-out part's failures; reading them spends the part (a rule
made after reading them is tuned on it), so it is for judging what the errors have in common once a
planner is final, never while tuning.

``--part tuned`` plays only the tuned part's scenarios (the held-out ones are not even read), so
tuning never sees a held-out figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# One thread for the embedding model: on a shared machine its spinning threads cost 10x.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from apim_devportal.apichat import service as chat_service
from apim_devportal.apichat.planner import Planner, split_steps
from apim_devportal.apichat.schemas import ApiResponse
from apim_devportal.apichat.service import Session, next_call, record
from apim_devportal.apichat.tools import from_openapi
from apim_devportal.assistant.embedder import load_embedder
from apim_devportal.assistant.index import AssistantIndex
from apim_devportal.assistant.llm import ChatModel
from apim_devportal.assistant.retrieval import DEFAULT_MODE, rank
from benchmarks import bench_assistant
from tests.devportal_api.assistant_fixtures.apis import PARAPHRASES, QUESTIONS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "chat_eval"
PARTS = ("heldout", "tuned")
# The planner before the evaluation was used to change it (its last commit).
BASELINE = os.environ.get("APIM_CHAT_EVAL_BASELINE", "0e2840a")
PUNCTUATION = ".,:;!?\"'()[]"
PACKAGE = "services/devportal-api/apim_devportal"


def part_of(raw: dict[str, Any]) -> str:
    """The part of every scenario of one file: held out when the file says so."""
    return "heldout" if raw.get("heldout") is True else "tuned"


@dataclass
class Expected:
    method: str
    path: str
    values: dict[str, Any]
    body: dict[str, Any]
    returns: Any


@dataclass
class Scenario:
    id: str
    part: str
    api: str
    say: str
    calls: list[Expected]


@dataclass
class Api:
    name: str
    definition: str
    scenarios: list[Scenario]
    # The part the file's scenarios belong to (``part_of``).
    part: str = "tuned"


def load(data: Path = DATA, parts: tuple[str, ...] = PARTS) -> list[Api]:
    apis = []
    for file in sorted(data.glob("*.yaml")):
        raw = yaml.safe_load(file.read_text())
        scenarios = []
        for item in raw["scenarios"]:
            if item["part"] not in parts:
                continue
            calls = []
            for call in item["calls"]:
                method, path = call["call"].split(" ", 1)
                calls.append(
                    Expected(
                        method,
                        path,
                        dict(call.get("values") or {}),
                        dict(call.get("body") or {}),
                        call.get("returns"),
                    )
                )
            scenarios.append(Scenario(item["id"], item["part"], file.stem, item["say"], calls))
        apis.append(Api(file.stem, json.dumps(raw["definition"]), scenarios, part_of(raw)))
    return apis


def same(given: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(given, bool):
        return str(given).lower() == str(wanted).lower()
    if isinstance(wanted, int | float):
        try:
            return float(given) == float(wanted)
        except (TypeError, ValueError):
            return False
    return str(given) == str(wanted)


def punctuated(value: Any) -> bool:
    """A text value that starts or ends with punctuation (a hyphen too: ``-KETTLE-01``)."""
    if not isinstance(value, str) or not value:
        return False
    return value[0] in PUNCTUATION + "-" or value[-1] in PUNCTUATION + "-"


def _scalars(inputs: dict[str, Any]) -> Iterable[Any]:
    yield from (inputs.get("parameters") or {}).values()
    body = inputs.get("requestBody")
    if isinstance(body, dict):
        yield from body.values()


@dataclass
class Score:
    scenarios: int = 0
    first: int = 0
    sequence: int = 0
    fields: int = 0
    fields_present: int = 0
    fields_right: int = 0
    values: int = 0
    punctuated: int = 0
    failures: list[str] = field(default_factory=list)
    # Each wrong scenario's first error, by kind (``error_kind``): what the errors have in common,
    # told without reading them (reading a held-out part's failures spends it).
    errors: Counter[str] = field(default_factory=Counter)

    def figures(self) -> dict[str, float | int]:
        n = self.scenarios or 1
        return {
            "scenarios": self.scenarios,
            "first": self.first / n,
            "sequence": self.sequence / n,
            "body_present": self.fields_present / (self.fields or 1),
            "body_right": self.fields_right / (self.fields or 1),
            "punctuated": self.punctuated,
            "errors": dict(self.errors.most_common()),
        }


Plan = Callable[[Session], tuple[Any, dict[str, Any]] | None]


def play(plan: Plan, api: Api, scenario: Scenario, score: Score) -> None:
    tools = from_openapi(api.definition)
    session = Session(scenario.say, tools, split_steps(scenario.say))
    score.scenarios += 1
    all_right = True
    for number, want in enumerate(scenario.calls):
        planned = plan(session)
        score.fields += len(want.body)
        if planned is None:
            if all_right:
                score.errors[f"{_which(number)}: no call"] += 1
            all_right = False
            score.failures.append(f"{scenario.id} {scenario.say!r}: no call for {want.method} {want.path}")
            break
        tool, inputs = planned
        for value in _scalars(inputs):
            score.values += 1
            score.punctuated += punctuated(value)
        given = dict(inputs.get("parameters") or {})
        raw_body = inputs.get("requestBody")
        body: dict[str, Any] = raw_body if isinstance(raw_body, dict) else {}
        right_op = (tool.method, tool.path) == (want.method, want.path)
        path_names = {p.name for p in tool.parameters if p.location == "path"}
        path_right = right_op and all(
            name in want.values and same(given.get(name), want.values[name]) for name in path_names
        )
        values_right = path_right and set(given) == set(want.values)
        values_right = values_right and all(same(given[k], v) for k, v in want.values.items())
        if right_op:
            present = [k for k in want.body if body.get(k) not in (None, "")]
            score.fields_present += len(present)
            score.fields_right += sum(same(body[k], want.body[k]) for k in present)
        if number == 0:
            score.first += path_right
        if not values_right:
            if all_right:
                score.errors[f"{_which(number)}: {error_kind(tool, want, given, path_right)}"] += 1
            all_right = False
            score.failures.append(
                f"{scenario.id} {scenario.say!r}: wanted {want.method} {want.path} {want.values} "
                f"{want.body}, got {tool.method} {tool.path} {given} {body}"
            )
        elif right_op and any(not same(body.get(k), v) for k, v in want.body.items()):
            score.failures.append(f"{scenario.id}: body {body} for {want.body}")
        session.pending = planned
        record(session, ApiResponse(code=200, body=want.returns if want.returns is not None else {}))
    if all_right and plan(session) is not None:
        score.errors["a call beyond the last"] += 1
        all_right = False
        score.failures.append(f"{scenario.id} {scenario.say!r}: a call beyond the last")
    score.sequence += all_right


def _which(number: int) -> str:
    return "first call" if number == 0 else "a later call"


def error_kind(tool: Any, want: Expected, given: dict[str, Any], path_right: bool) -> str:
    """What is wrong with a planned call: its method (a read for a write, or the reverse), the
    operation among those of that method, a path value, or the query values (missing, extra, wrong)."""
    if tool.method != want.method:
        return f"method ({want.method} planned as {tool.method})"
    if tool.path != want.path:
        return "operation"
    if not path_right:
        return "path value"
    extra, missing = set(given) - set(want.values), set(want.values) - set(given)
    if missing and not extra:
        return "query value missing"
    if extra and not missing:
        return "query value extra"
    return "query value wrong"


def evaluate(plan: Plan, apis: list[Api], parts: tuple[str, ...] = PARTS) -> dict[str, Score]:
    scores = {part: Score() for part in parts}
    for api in apis:
        for scenario in api.scenarios:
            play(plan, api, scenario, scores[scenario.part])
    return scores


def planner(previous: bool = False) -> Planner:
    """The planner as the service builds it (``previous``: as the previous service built it)."""
    return Planner(None) if previous else Planner(load_embedder())


def assistant_figures() -> dict[str, dict[str, float]]:
    """The marketplace assistant's default ranking: top-1, top-3 and MRR on its question set and on
    the same needs paraphrased."""
    embedder = load_embedder()
    index = AssistantIndex(embedder)
    rows = bench_assistant.catalog()
    tenant_index = index.tenant_index(bench_assistant.TENANT, rows)
    names = {row.id: row.name for row in rows}
    found: dict[str, dict[str, float]] = {}
    for label, questions in (("questions", QUESTIONS), ("paraphrases", PARAPHRASES)):
        top1 = top3 = mrr = 0.0
        for question, expected in questions:
            vector = embedder.query(question) if embedder is not None else None
            ranked = [names[h.entry.id] for h in rank(tenant_index, question, vector, mode=DEFAULT_MODE)]
            position = ranked.index(expected) + 1 if expected in ranked else None
            top1 += position == 1
            top3 += position is not None and position <= 3
            mrr += 1 / position if position else 0.0
        n = len(questions)
        found[label] = {"n": n, "top1": top1 / n, "top3": top3 / n, "mrr": mrr / n}
    return found


def model_plan(model: Any, offline: Planner, loop: asyncio.AbstractEventLoop) -> Plan:
    """Each step planned as the service plans it with a configured model (else the planner)."""
    chat = chat_service.ApiChat(offline, model=model)
    return lambda session: loop.run_until_complete(chat_service.plan_next(chat, session))


def measure_model(shown: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The figures with the operator's model (APIM_ASSISTANT_LLM_URL ...), when one is set; the
    failures of the ``shown`` parts are listed."""
    url = os.environ.get("APIM_ASSISTANT_LLM_URL")
    if not url:
        return None
    loop = asyncio.new_event_loop()
    key = os.environ.get("APIM_ASSISTANT_LLM_API_KEY")
    model = ChatModel(
        url,
        os.environ.get("APIM_ASSISTANT_LLM_MODEL", "gpt-4o-mini"),
        SecretStr(key) if key else None,
        timeout=float(os.environ.get("APIM_ASSISTANT_LLM_TIMEOUT", "30")),
    )
    try:
        scores = evaluate(model_plan(model, planner(), loop), load())
        loop.run_until_complete(model.aclose())
    finally:
        loop.close()
    for part in shown:
        for failure in scores[part].failures:
            print(f"  model, {part}: {failure}")
    return {part: score.figures() for part, score in scores.items()}


def measure(
    *,
    previous: bool = False,
    assistant: bool = True,
    parts: tuple[str, ...] = PARTS,
    shown: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The figures of ``parts``; the failures of the ``shown`` parts among them are listed."""
    apis = load(parts=parts)
    chosen = planner(previous)
    scores = evaluate(lambda session: next_call(chosen, session), apis, parts)
    for part in shown:
        for failure in scores[part].failures if part in scores else ():
            print(f"  {part}: {failure}")
    return {
        "chat": {part: score.figures() for part, score in scores.items()},
        "assistant": assistant_figures() if assistant else None,
    }


def previous(ref: str) -> dict[str, Any] | None:
    """The same measurement with the devportal package as it was at ``ref``."""
    if not ref:
        return None
    git = ["git", "archive", ref, PACKAGE]
    archive = subprocess.run(git, cwd=ROOT, capture_output=True, check=True).stdout  # noqa: S603
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        env = {**os.environ, "PYTHONPATH": str(Path(folder) / "services" / "devportal-api")}
        child = [sys.executable, __file__, "--json", "--previous"]
        out = subprocess.run(child, env=env, capture_output=True, check=True, text=True).stdout  # noqa: S603
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _row(label: str, figures: dict[str, Any]) -> str:
    return (
        f"{label:<24}{figures['scenarios']:>6}{figures['first']:>8.3f}{figures['sequence']:>10.3f}"
        f"{figures['body_present']:>9.3f}{figures['body_right']:>9.3f}{figures['punctuated']:>7}"
    )


def report(now: dict[str, Any], before: dict[str, Any] | None, ref: str) -> None:
    print(f"API chat evaluation: {len(list(DATA.glob('*.yaml')))} APIs, scenarios in tests/data/chat_eval")
    print(f"{'planner, part':<24}{'n':>6}{'first':>8}{'sequence':>10}{'body':>9}{'values':>9}{'punct':>7}")
    for part in now["chat"]:
        if before is not None:
            print(_row(f"previous ({ref[:7]}), {part}", before["chat"][part]))
        print(_row(f"current, {part}", now["chat"][part]))
        if now.get("model"):
            print(_row(f"with the model, {part}", now["model"][part]))
    print("goal on the held-out part: first >= 0.90, sequence >= 0.80, body >= 0.85, punct 0")
    for part, figures in now["chat"].items():
        errors = ", ".join(f"{kind} {count}" for kind, count in figures["errors"].items())
        print(f"current, {part}: wrong scenarios by first error: {errors or 'none'}")
    if now["assistant"] is None:
        return
    print()
    print("marketplace assistant (default ranking)")
    print(f"{'ranking, set':<32}{'n':>4}{'top-1':>8}{'top-3':>8}{'MRR':>8}")
    for label, result in (("previous", before), ("current", now)):
        if result is None:
            continue
        for part, a in result["assistant"].items():
            print(f"{label + ', ' + part:<32}{a['n']:>4}{a['top1']:>8.3f}{a['top3']:>8.3f}{a['mrr']:>8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print this tree's figures as JSON")
    parser.add_argument("--previous", action="store_true", help="build the planner as before")
    parser.add_argument("--baseline", default=BASELINE, help="git ref of the previous planner")
    parser.add_argument("--chat-only", action="store_true", help="API chat's figures, current planner only")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the tuned part's failures")
    parser.add_argument("--part", choices=PARTS, help="play one part only (tuned while tuning)")
    parser.add_argument(
        "--held-out-failures", action="store_true", help="list the held-out part's failures (spends the part)"
    )
    args = parser.parse_args()
    parts = (args.part,) if args.part else PARTS
    shown = ("tuned", "heldout") if args.held_out_failures else ("tuned",) if args.verbose else ()
    if args.json:
        print(json.dumps(measure(previous=args.previous)))
        return
    if args.chat_only:
        report(measure(assistant=False, parts=parts, shown=shown), None, "")
        return
    if args.part:
        parser.error("--part goes with --chat-only")
    now = measure(shown=shown)
    now["model"] = measure_model(shown)
    report(now, previous(args.baseline), args.baseline)


if __name__ == "__main__":
    main()
