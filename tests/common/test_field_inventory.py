"""Nothing accepted is ignored: every field a client may send to the control plane is listed in
``field_inventory.yaml`` as enforced (by a named test), control-plane only (with the reason) or
refused (by a named test showing the 400).

The fields are walked from the request models themselves, nested models included, so a field
added to a model shows up here until someone says what it does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args, get_type_hints, is_typeddict

import yaml
from pydantic import BaseModel

from apim_admin.deny_policies.schemas import BlockingCondition
from apim_admin.throttling.schemas import (
    AdvancedThrottlePolicy,
    ApplicationThrottlePolicy,
    CustomRule,
    SubscriptionThrottlePolicy,
)
from apim_common.policy_specs import PolicySpec
from apim_publisher.apis.schemas import APIBody
from apim_publisher.products.schemas import APIProductBody

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = Path(__file__).with_name("field_inventory.yaml")
KINDS = ("enforced", "control-plane only", "refused")
TEST_REFERENCE = re.compile(r"^(tests/[\w/]+\.py)::(\w+)$")

SECTIONS: dict[str, Any] = {
    "api": APIBody,
    "api product": APIProductBody,
    "subscription tier": SubscriptionThrottlePolicy,
    "application tier": ApplicationThrottlePolicy,
    "advanced throttling policy": AdvancedThrottlePolicy,
    "custom throttling rule": CustomRule,
    "deny policy": BlockingCondition,
    "operation policy spec": PolicySpec,
}


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and (issubclass(annotation, BaseModel) or is_typeddict(annotation))


def _models_in(annotation: Any) -> list[Any]:
    """The models an annotation holds: ``X``, ``X | None``, ``list[X]``, ``dict[str, X]``..."""
    if _is_model(annotation):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _annotations(model: Any) -> dict[str, Any]:
    if is_typeddict(model):
        return get_type_hints(model)
    return {name: info.annotation for name, info in model.model_fields.items()}


def request_fields(model: Any, prefix: str = "", outer: tuple[Any, ...] = ()) -> list[str]:
    """Dotted paths of every field, list items under their list's name (``operations.verb``)."""
    paths: list[str] = []
    for name, annotation in _annotations(model).items():
        path = f"{prefix}{name}"
        paths.append(path)
        for nested in _models_in(annotation):
            if nested not in outer:
                paths.extend(request_fields(nested, f"{path}.", (*outer, model)))
    return list(dict.fromkeys(paths))


def _pattern(key: str) -> re.Pattern[str]:
    """An inventory key; ``*`` stands for one segment (``apiPolicies.*.policyName``)."""
    return re.compile("\\.".join("[^.]+" if part == "*" else re.escape(part) for part in key.split(".")))


def _inventory() -> dict[str, dict[str, dict[str, Any]]]:
    loaded: dict[str, dict[str, dict[str, Any]]] = yaml.safe_load(INVENTORY.read_text())
    return loaded


def _entries() -> list[tuple[str, str, dict[str, Any]]]:
    return [(section, key, entry) for section, keys in _inventory().items() for key, entry in keys.items()]


def _named_tests(entry: dict[str, Any]) -> list[str]:
    named: list[str] = []
    for kind in ("enforced", "refused"):
        value = entry.get(kind)
        if value is not None:
            named.extend([value] if isinstance(value, str) else value)
    return named


def test_the_inventory_has_one_section_per_request_model() -> None:
    assert sorted(_inventory()) == sorted(SECTIONS)


def test_every_request_field_is_accounted_for() -> None:
    inventory = _inventory()
    missing: list[str] = []
    ambiguous: list[str] = []
    for section, model in SECTIONS.items():
        patterns = [_pattern(key) for key in inventory.get(section) or {}]
        for path in request_fields(model):
            matches = sum(1 for p in patterns if p.fullmatch(path))
            if matches == 0:
                missing.append(f"{section}: {path}")
            elif matches > 1:
                ambiguous.append(f"{section}: {path}")
    assert not missing, (
        "These request fields are in no part of tests/common/field_inventory.yaml. A field a "
        "client can send must change what the gateway or another service does (name the test "
        "showing it under `enforced:`), have no runtime meaning (say why under "
        "`control-plane only:`), or be refused with a 400 naming it (name that test under "
        "`refused:`):\n  " + "\n  ".join(missing)
    )
    assert not ambiguous, f"Fields matched by more than one inventory key: {ambiguous}"


def test_inventory_names_only_existing_fields() -> None:
    stale: list[str] = []
    for section, key, _ in _entries():
        model = SECTIONS.get(section)
        paths = request_fields(model) if model is not None else []
        if not any(_pattern(key).fullmatch(path) for path in paths):
            stale.append(f"{section}: {key}")
    assert not stale, f"field_inventory.yaml names fields the request models no longer have: {stale}"


def test_every_entry_says_exactly_one_thing() -> None:
    malformed: list[str] = []
    for section, key, entry in _entries():
        kinds = [kind for kind in KINDS if kind in (entry or {})]
        unknown = set(entry or {}) - set(KINDS)
        reason = (entry or {}).get("control-plane only")
        if len(kinds) != 1 or unknown or (kinds == ["control-plane only"] and not str(reason or "").strip()):
            malformed.append(f"{section}: {key} -> {entry}")
    assert not malformed, (
        "Each field takes exactly one of `enforced: <test>`, `control-plane only: <reason>` or "
        f"`refused: <test>`: {malformed}"
    )


def test_every_named_test_exists() -> None:
    missing: list[str] = []
    for section, key, entry in _entries():
        for reference in _named_tests(entry or {}):
            found = TEST_REFERENCE.match(reference)
            if found is None:
                missing.append(f"{section}: {key} -> {reference!r} is not tests/<path>.py::<test_name>")
                continue
            path, name = found.groups()
            file = ROOT / path
            if not file.is_file() or not re.search(rf"def {name}\b", file.read_text()):
                missing.append(f"{section}: {key} -> {reference}")
    assert not missing, "field_inventory.yaml names tests that do not exist:\n  " + "\n  ".join(missing)
