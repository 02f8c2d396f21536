"""Docs that tests enforce: every setting and every Patron command is in the README."""

import re
from pathlib import Path

from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_environment_variable_is_documented():
    source = (ROOT / "src/patron/settings.py").read_text()
    names = set(re.findall(r'env(?:_[a-z_]+)?\("([A-Z_]+)"', source))
    assert names, "settings.py reads no variables?"
    missing = sorted(n for n in names if f"`{n}`" not in README)
    assert not missing, f"undocumented settings: {missing}"


def test_every_patron_command_is_documented():
    ours = sorted(name for name, app in get_commands().items() if app.startswith("patron"))
    assert {"import", "customer", "demo", "serve"} <= set(ours)
    missing = [name for name in ours if f"`patron {name}" not in README]
    assert not missing, f"undocumented commands: {missing}"
