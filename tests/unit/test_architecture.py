"""The layering of docs/architecture.md holds: the import contracts, and no CLI stack on import.

The contracts live in pyproject.toml (``[tool.importlinter]``). Besides running them on the
real code, these tests prove they bite: a copy of the package with one forbidden import added
breaks the contract that names it.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.helpers import REPO_ROOT

SRC = REPO_ROOT / "src" / "supersetctl"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CLI_STACK = ("typer", "rich", "click")

PACKAGES = sorted(p.parent.name for p in SRC.glob("*/__init__.py"))
SHARED = sorted(p.stem for p in SRC.glob("*.py") if p.name != "__init__.py")
CONTRACTS = {
    c["id"]: c
    for c in tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]["contracts"]
}


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_contracts_name_every_room() -> None:
    """A new package or shared module must be placed in the contracts (and the doc)."""
    rooms = {f"supersetctl.{n}" for n in PACKAGES + SHARED}
    packages = {f"supersetctl.{n}" for n in PACKAGES}
    assert set(CONTRACTS["no-cli-stack"]["source_modules"]) == rooms - {"supersetctl.cli"}
    assert set(CONTRACTS["shared-modules"]["source_modules"]) == rooms - packages
    assert set(CONTRACTS["shared-modules"]["forbidden_modules"]) == packages
    assert set(CONTRACTS["superset-client"]["forbidden_modules"]) == packages - {
        "supersetctl.superset"
    }
    architecture = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert [n for n in PACKAGES + SHARED if f"`{n}`" not in architecture] == []


# (module to edit, line to add, contracts it must break)
VIOLATIONS = [
    (
        "superset/client.py",
        "from supersetctl.cli import _app",  # and through it typer
        {"no-cli", "no-cli-stack", "superset-client", "layers"},
    ),
    ("db/model.py", "import rich", {"no-cli-stack"}),
    ("provision/planner.py", "import typer", {"no-cli-stack"}),
    ("superset/bundle.py", "from supersetctl import provision", {"superset-client", "layers"}),
    ("yamlio.py", "from supersetctl.contract import models", {"shared-modules", "layers"}),
    ("pg.py", "from supersetctl.db import model", {"shared-modules", "layers"}),
    (
        "redact.py",
        "from supersetctl.secrets import engine",  # superset imports redact
        {"shared-modules", "superset-client", "layers"},
    ),
    ("db/access.py", "from supersetctl.deploy import spec", {"layers"}),
    ("contract/loader.py", "from supersetctl.db import model", {"layers"}),
    ("newroom.py", "", {"layers"}),  # a module no layer names
    ("paths.py", "import bench", {"no-bench"}),
    ("paths.py", "import tests.support", {"no-tests"}),
]


@pytest.mark.parametrize(
    ("module", "line", "broken"), VIOLATIONS, ids=[f"{m}:{line}" for m, line, _ in VIOLATIONS]
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, broken: set[str]
) -> None:
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(SRC, tmp_path / "supersetctl", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    (tmp_path / "tests" / "support.py").write_text("")
    target = tmp_path / "supersetctl" / module
    text = target.read_text(encoding="utf-8") if target.exists() else ""
    target.write_text(text + f"\n{line}\n", encoding="utf-8")

    result = _lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    names = {cid: c["name"] for cid, c in CONTRACTS.items()}
    found = {cid for cid, name in names.items() if f"{name} BROKEN" in result.stdout}
    assert found == broken, result.stdout


# httpx's own __init__ imports its command line (httpx._main: click, rich, pygments) whenever
# they are installed, as they are here (typer needs them); supersetctl's __init__ keeps it out
# (httpx falls back to a stub), so the probe needs no help.
_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {stack!r})))
"""


@pytest.mark.parametrize(
    "module", ["supersetctl", *(f"supersetctl.{n}" for n in PACKAGES + SHARED)]
)
def test_importing_the_library_loads_no_cli_stack(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(stack=set(CLI_STACK)), module],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    if module == "supersetctl.cli":  # the probe sees it where it is expected
        assert "typer" in loaded
    else:
        assert loaded == [], f"importing {module} loads {loaded}"


def test_bench_imports_only_the_support_package_from_tests() -> None:
    wrong = []
    for script in sorted((REPO_ROOT / "bench").glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            for name in names:
                if name.split(".")[0] == "tests" and not name.startswith("tests.support"):
                    wrong.append(f"{script.name}: {name}")
    assert wrong == []
