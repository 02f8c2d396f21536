"""The layers of docs/architecture.md hold (lint-imports, as `make test` runs it), and a wrong import breaks them."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(cwd: Path, src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_layers_hold():
    result = lint(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_a_fact_that_imports_the_domain_breaks_the_layers(tmp_path):
    shutil.copytree(ROOT / "src" / "patron", tmp_path / "src" / "patron", ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    # A function-level import counts as much as one at the top.
    (tmp_path / "src" / "patron" / "customers" / "shortcut.py").write_text(
        "def points(customer):\n    from patron.loyalty.queries import balance\n\n    return balance(customer)\n")
    result = lint(tmp_path, tmp_path / "src")
    assert result.returncode == 1
    assert "Contexts import only from the layers below them BROKEN" in result.stdout
    assert "patron.customers.shortcut -> patron.loyalty.queries" in result.stdout


def test_analytics_stays_pure(tmp_path):
    shutil.copytree(ROOT / "src" / "patron", tmp_path / "src" / "patron", ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "src" / "patron" / "analytics" / "leak.py").write_text("from django.conf import settings\n")
    result = lint(tmp_path, tmp_path / "src")
    assert result.returncode == 1 and "analytics and culture are pure libraries: no Django BROKEN" in result.stdout
