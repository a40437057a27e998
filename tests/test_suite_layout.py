"""The test suite's own rule: a test module never imports another test module (shared
builders live in tests/factories.py, shared fixtures in conftest.py files)."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_test_module_imports_another_test_module():
    modules = sorted(TESTS.rglob("*.py"))
    assert len(modules) > 20
    offending = {
        str(path.relative_to(TESTS)): name
        for path in modules
        for name in imported_modules(path)
        if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_")
    }
    assert offending == {}
