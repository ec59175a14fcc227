"""The core never imports Qt: every core module and the CLI load without PySide6."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import labeler


def core_modules() -> list[str]:
    names = []
    for module in pkgutil.walk_packages(labeler.__path__, "labeler."):
        if not module.name.startswith("labeler.gui"):
            names.append(module.name)
    return names


def test_core_and_cli_never_load_qt() -> None:
    modules = core_modules()
    assert "labeler.cli" in modules and "labeler.workspace" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('PySide6')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_help_does_not_load_qt() -> None:
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom labeler.cli import cli\n"
        "r = CliRunner().invoke(cli, ['--help'])\nassert r.exit_code == 0\n"
        "print(any(m.startswith('PySide6') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sql_runs_only_in_the_store_package() -> None:
    """No module outside labeler/store calls execute/executemany/query/scalar."""
    import ast
    from pathlib import Path

    root = Path(labeler.__path__[0])
    offenders = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if parts[0] == "store":
            continue
        if parts[:2] == ("triage", "engines"):
            # The sampling engines query capture-event files with DuckDB or Spark: SQL, but
            # never on the workspace (they do not import labeler.store; checked below).
            source = path.read_text()
            assert "labeler.store" not in source, path
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            calls_sql = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "executemany", "executescript", "query", "scalar")
            )
            if calls_sql:
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []


def test_layer_contracts_hold() -> None:
    """import-linter's contracts (.importlinter): the layers, and Qt only in labeler.gui."""
    from pathlib import Path

    root = Path(labeler.__path__[0]).parent
    lint_imports = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run(
        [str(lint_imports), "--config", str(root / ".importlinter")],
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 kept, 0 broken" in out.stdout


def test_no_private_names_imported_across_packages() -> None:
    """``from labeler.x.y import _name`` only within the package ``labeler.x``."""
    import ast
    from pathlib import Path

    root = Path(labeler.__path__[0])
    offenders = []
    for path in root.rglob("*.py"):
        package = ".".join(("labeler", *path.relative_to(root).parts[:-1]))
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith(
                "labeler"
            ):
                continue
            source_package = node.module.rsplit(".", 1)[0] if node.module else ""
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and source_package != package and node.module != package:
                    offenders.append(f"{path.relative_to(root)}: {node.module}.{alias.name}")
    assert offenders == []
