"""Every install path speaks the five languages: a wheel built from the repository carries the compiled catalogs,
and Patron installed from it into a fresh venv serves a Lithuanian page to a Lithuanian browser."""

import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("en", "lt", "lv", "et", "ka")

pytestmark = pytest.mark.slow


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done


def test_a_wheel_installed_in_a_fresh_venv_serves_lithuanian(tmp_path):
    # The repository as a fresh clone has it: no compiled catalogs (`make install` writes them, git ignores them).
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        "*.mo", ".git", ".venv", "build", "*.egg-info", "test-artifacts", "out", "__pycache__", ".patron"))
    assert not list(source.rglob("*.mo"))
    # Built as pip builds it for `pip install .`: in an isolated environment from the build requirements.
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path / "dist"), str(source))
    [wheel] = (tmp_path / "dist").glob("patron-*.whl")
    names = run(sys.executable, "-m", "zipfile", "-l", str(wheel)).stdout
    for language in LANGUAGES:
        assert f"patron/locale/{language}/LC_MESSAGES/django.mo" in names, language

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", str(venv))
    python = venv / "bin" / "python"
    site = Path(run(str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip())
    # The dependencies come from this environment's site-packages (read as a plain path, so its editable Patron is
    # not loaded); Patron itself only from the wheel.
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run(str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel))
    page = run(str(python), "-c", textwrap.dedent("""
        import os, django
        os.environ["DJANGO_SETTINGS_MODULE"] = "patron.settings"
        django.setup()
        import patron
        from django.core.management import call_command
        from django.test import Client
        call_command("migrate", verbosity=0)
        print(patron.__file__)
        print(Client(HTTP_HOST="localhost").get("/login/", HTTP_ACCEPT_LANGUAGE="lt").content.decode())
    """), env={"PATRON_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}, cwd=str(tmp_path)).stdout
    installed, html = page.split("\n", 1)
    assert installed.startswith(str(site))  # the wheel's Patron, not the repository's
    assert '<html lang="lt"' in html and "Prisijungti" in html
