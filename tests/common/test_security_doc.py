"""docs/security.md stays true: every test it names as holding a promise exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
REFERENCE = re.compile(r"`(tests/[\w/*]+\.py)(?:::(\w+))?`")


def test_every_test_the_security_document_names_exists() -> None:
    references = REFERENCE.findall(DOC.read_text())
    assert len(references) > 30
    missing: list[str] = []
    for path, name in references:
        files = sorted(ROOT.glob(path))
        if not files:
            missing.append(path)
        elif name and not any(re.search(rf"def {name}\b", f.read_text()) for f in files):
            missing.append(f"{path}::{name}")
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"
