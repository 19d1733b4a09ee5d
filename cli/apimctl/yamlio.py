"""YAML in and out with ruamel.yaml, which keeps comments and key order when a file is written back."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from apimctl.errors import UsageError


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def loads(text: str, where: str = "<text>") -> Any:
    """The document (comments kept); a clear UsageError naming the file and line when it is broken."""
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise UsageError(f"{where}:{line}: {exc.problem or exc.context}") from exc
    except YAMLError as exc:
        raise UsageError(f"{where}: not valid YAML: {exc}") from exc


def load_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"Cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text") from exc
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise UsageError(f"{path}: not valid JSON: {exc}") from exc
    return loads(text, str(path))


def dumps(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def dump_file(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(data), encoding="utf-8")


def plain(value: Any) -> Any:
    """Plain dicts, lists and scalars, for comparing and sending as JSON."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
