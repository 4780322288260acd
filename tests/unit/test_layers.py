"""Dependencies point inwards (docs/architecture.md, "Layers") and the core has no
import-time side effects."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[2] / "helpline"

#: Libraries that do I/O (or read the environment): never in domain/ or catalog/.
IO_LIBRARIES = {
    "sqlite3", "psycopg", "psycopg2", "psycopg_pool", "httpx", "requests", "urllib",
    "http", "nats", "faststream", "fastapi", "uvicorn", "starlette", "socket", "asyncio",
    "subprocess", "threading", "multiprocessing", "haystack", "pydantic_settings", "os",
    "shutil", "tempfile", "eventsourcing.postgres", "eventsourcing.sqlite",
}


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def imported(path: Path, root: Path = PACKAGE) -> Iterator[tuple[int, str]]:
    """Every absolute module name ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, node.module or ""]).rstrip(".")
            else:
                name = node.module or ""
            yield node.lineno, name
            for alias in node.names:
                yield node.lineno, f"{name}.{alias.name}"


def violations(layer: str, forbidden: set[str]) -> list[str]:
    found = []
    for path in modules(layer):
        for line, name in imported(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    return found


def test_the_layers_exist() -> None:
    for layer in ("domain", "catalog", "application"):
        assert modules(layer), f"no modules under helpline/{layer}"


OUTER = {"helpline.application", "helpline.adapters", "helpline.projections", "helpline.wiring",
         "helpline.bootstrap", "helpline.config", "helpline.cli"}


def test_domain_imports_no_outer_layer_or_io() -> None:
    # Nor the catalog: the applications translate stored events into its messages.
    assert violations("domain", OUTER | IO_LIBRARIES | {"helpline.catalog"}) == []


def test_catalog_imports_no_outer_layer() -> None:
    # The catalog's exporters write folders (EventCatalog, AsyncAPI) when asked, so file
    # I/O is allowed there; depending on the services is not.
    assert violations("catalog", OUTER) == []


def test_application_imports_no_adapter() -> None:
    forbidden = {"helpline.adapters", "helpline.bootstrap", "helpline.wiring", "helpline.cli",
                 "helpline.projections"}
    assert violations("application", forbidden) == []


def test_scanner_sees_relative_and_nested_imports(tmp_path: Path) -> None:
    """The scan itself must be able to fail."""
    sample = PACKAGE / "domain" / "__init__.py"
    names = {n for _, n in imported(sample)}
    assert "helpline.domain.conversation.Conversation" in names
    fake = tmp_path / "helpline" / "domain" / "bad.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    import sqlite3\nfrom ..adapters import nats\n")
    tree_names = {n for _, n in imported(fake, tmp_path / "helpline")}
    assert {"sqlite3", "helpline.adapters", "helpline.adapters.nats"} <= tree_names


ENV_READS = ("environ", "getenv")


@pytest.mark.parametrize("layer", ["domain", "catalog"])
def test_no_environment_reads(layer: str) -> None:
    found = []
    for path in modules(layer):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ENV_READS:
                found.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Name) and node.id in ENV_READS:
                found.append(f"{path.name}:{node.lineno}")
    assert found == []


#: Statements allowed at module level: definitions, imports, constants, docstrings.
_ALLOWED = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
            ast.Assign, ast.AnnAssign, ast.Expr, ast.If)


def _side_effects(tree: ast.Module) -> list[str]:
    found = []
    for stmt in tree.body:
        if not isinstance(stmt, _ALLOWED):
            found.append(f"{type(stmt).__name__} at line {stmt.lineno}")
        elif isinstance(stmt, ast.Expr) and not isinstance(stmt.value, ast.Constant):
            found.append(f"call at line {stmt.lineno}")
        elif isinstance(stmt, ast.If) and ast.unparse(stmt.test) not in (
                "TYPE_CHECKING", "__name__ == '__main__'"):
            found.append(f"if at line {stmt.lineno}")
        elif isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            for call in (n for n in ast.walk(stmt.value) if isinstance(n, ast.Call)):
                name = ast.unparse(call.func)
                if any(word in name for word in ("open", "connect", "Thread", "environ",
                                                 "getenv", "read_text", "mkdir")):
                    found.append(f"{name}() at line {stmt.lineno}")
    return found


@pytest.mark.parametrize("layer", ["domain", "catalog"])
def test_no_module_level_side_effects(layer: str) -> None:
    found = {str(p.name): _side_effects(ast.parse(p.read_text("utf-8"))) for p in modules(layer)}
    assert {k: v for k, v in found.items() if v} == {}


def test_side_effect_scan_can_fail() -> None:
    tree = ast.parse("import os\nprint('hi')\nconn = sqlite3.connect('x')\nfor i in []:\n  pass\n"
                     "if __name__ == '__main__':\n  main()\nif DEBUG:\n  pass\n")
    assert len(_side_effects(tree)) == 4
