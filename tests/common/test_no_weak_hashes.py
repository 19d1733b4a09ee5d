"""No built-in hash escapes FIPS mode: the code (libs, services, cli) never calls ``hashlib.new(``,
and calls MD5 or SHA-1 only with ``usedforsecurity=False`` (a digest, never a security control).

Read from the syntax tree, not by grep, so comments, strings and names that merely contain
``md5`` neither hide nor raise a finding. In FIPS mode ``hashlib.md5()`` raises, while
``hashlib.new("md5")`` may fall back to a built-in MD5 (python/cpython#116800): both are findings.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("libs", "services", "cli")
WEAK = frozenset({"md5", "sha1"})
# Where the weak hashes are reached from: hashlib itself, and cryptography's hash classes.
_WEAK_CLASSES = frozenset({"MD5", "SHA1"})


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _is_false(call: ast.Call, keyword: str) -> bool:
    return any(
        k.arg == keyword and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in call.keywords
    )


def _weak_imports(tree: ast.Module) -> dict[str, str]:
    """Local names bound to a weak hash: ``from hashlib import md5`` (as ``x``)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "hashlib":
            for alias in node.names:
                if alias.name in WEAK:
                    names[alias.asname or alias.name] = alias.name
    return names


def findings_in(source: str, filename: str) -> list[str]:
    tree = ast.parse(source, filename)
    imported = _weak_imports(tree)
    modules = {"hashlib"} | {
        alias.asname
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name == "hashlib" and alias.asname
    }
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        head, _, rest = name.partition(".")
        if head in modules and rest:
            name = f"hashlib.{rest}"
        where = f"{filename}:{node.lineno}"
        if name in ("hashlib.new", "new") and (name == "hashlib.new" or "new" in imported):
            found.append(f"{where}: hashlib.new( (may fall back to a built-in hash in FIPS mode)")
            continue
        last = name.rsplit(".", 1)[-1]
        weak = (name.startswith("hashlib.") and last in WEAK) or name in imported
        if weak and not _is_false(node, "usedforsecurity"):
            found.append(f"{where}: {name}( without usedforsecurity=False")
        elif last in _WEAK_CLASSES and name.startswith(("hashes.", "cryptography.")):
            found.append(f"{where}: {name}( (a weak hash through cryptography)")
        elif name == "hmac.new" and len(node.args) >= 3 and _dotted(node.args[2]).rsplit(".", 1)[-1] in WEAK:
            found.append(f"{where}: hmac.new( with {_dotted(node.args[2])}")
    return found


def test_the_scanner_finds_each_kind_of_escape() -> None:
    source = (
        "import hashlib, hmac\n"
        "import hashlib as h\n"
        "from hashlib import md5 as m\n"
        "from cryptography.hazmat.primitives import hashes\n"
        "hashlib.new('sha256')\n"
        "hashlib.md5(b'x')\n"
        "hashlib.sha1(b'x', usedforsecurity=True)\n"
        "m(b'x')\n"
        "hashes.SHA1()\n"
        "hmac.new(b'k', b'm', hashlib.sha1)\n"
        "hashlib.md5(b'x', usedforsecurity=False)\n"
        "hashlib.sha256(b'x')\n"
        "'hashlib.md5(' # a string and a comment: hashlib.new(\n"
        "h.sha1(b'x')\n"
    )
    lines = [finding.split(":")[1] for finding in findings_in(source, "example.py")]
    assert lines == ["5", "6", "7", "8", "9", "10", "14"]


def test_no_weak_hash_or_hashlib_new_in_the_code() -> None:
    found: list[str] = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if ".venv" in path.parts or "node_modules" in path.parts:
                continue
            source = path.read_text()
            # Only a module naming hashlib, hmac or cryptography's hashes can reach a hash: the
            # others need no parsing.
            if any(word in source for word in ("hashlib", "hashes", "hmac")):
                found.extend(findings_in(source, str(path.relative_to(ROOT))))
    assert not found, "weak hashes FIPS mode refuses:\n" + "\n".join(found)
