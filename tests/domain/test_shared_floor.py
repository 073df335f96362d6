"""The shared base is the ground floor: it imports no feature."""

from __future__ import annotations

import ast
from pathlib import Path

import domain.shared

FEATURES = (
    "domain.access",
    "domain.consent",
    "domain.directory",
    "domain.incidents",
    "domain.staff_cases",
)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_shared_module_imports_a_feature():
    shared = Path(domain.shared.__file__).parent
    offending = {
        f"{path.name}: {module}"
        for path in shared.glob("*.py")
        for module in _imports(path)
        if module.startswith(FEATURES)
    }
    assert offending == set()
