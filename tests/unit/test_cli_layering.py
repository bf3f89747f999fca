"""The command line is thin: it parses, builds a context, calls a service and renders. It
reaches the store, imports, analysis and report definitions only through
:mod:`mineaction.services`."""

from __future__ import annotations

import ast
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "src" / "mineaction" / "cli"

#: Modules ``cli/`` may not import: the work goes through a service.
FORBIDDEN = ("mineaction.store", "mineaction.io", "mineaction.analysis", "mineaction.release",
             "mineaction.reports",
             "mineaction.records", "mineaction.demo")
#: Modules under those that the command line itself must use, and why.
ALLOWED = {
    "mineaction.io.readers": "reading a file is the command line's step before a service: "
                             "services take rows, never a path",
    "mineaction.io.victims_register": "reads a register CSV with its mapping's encoding and "
                                      "delimiter (reading, before the service)",
}


def imported(tree: ast.Module) -> list[tuple[int, str]]:
    """Every module ``tree`` imports, at any depth (imports inside functions included)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
            out.append((node.lineno, node.module))
    return out


def violations(tree: ast.Module) -> list[tuple[int, str]]:
    found = []
    for line, name in imported(tree):
        if any(name == a or name.startswith(a + ".") for a in ALLOWED):
            continue
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
            found.append((line, name))
    return found


def test_the_command_line_goes_through_services() -> None:
    files = sorted(CLI.glob("*.py"))
    assert len(files) >= 9
    found = {p.name: v for p in files if (v := violations(ast.parse(p.read_text())))}
    assert not found, f"cli/ imports the core directly: {found}"


def test_the_scan_sees_imports_at_any_depth() -> None:
    tree = ast.parse("def f():\n    from mineaction.release.queries import timeline\n"
                     "import mineaction.store.base\nfrom mineaction.io.readers import read_file\n"
                     "from mineaction.reports.definitions import REPORTS\n")
    assert {name for _, name in violations(tree)} == {
        "mineaction.release.queries.timeline", "mineaction.release.queries",
        "mineaction.store.base", "mineaction.reports.definitions.REPORTS",
        "mineaction.reports.definitions"}


def test_every_command_module_builds_its_context_from_the_global_options() -> None:
    """No command opens a store itself: each one that uses a store goes through
    ``cli.app.context`` (store of --db, actor of --as, language of --lang)."""
    for p in sorted(CLI.glob("*.py")):
        text = p.read_text()
        assert "open_store(" not in text or p.name == "app.py", p.name
