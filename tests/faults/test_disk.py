"""A full or read-only disk: every command ends with one line and exit 2, nothing is half-written, and the
same command completes once there is room again.

The disks are small tmpfs mounts (root, as CI runs). PATRON_HOME on them holds a SQLite store; an import
file on them gets its rejects list written beside it."""

import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root (CI runs as root)")


@pytest.fixture
def small_disk():
    """mount(size) -> a fresh tmpfs of that size; remount(path, 'ro'|'rw')."""
    mounted = []

    def mount(size: str) -> Path:
        where = Path("/tmp") / f"patron-disk-{uuid.uuid4().hex[:8]}"
        where.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True)
        if done.returncode:
            where.rmdir()
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(where)
        return where

    def remount(where: Path, mode: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{mode}", str(where)], check=True)

    yield mount, remount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)
        shutil.rmtree(where, ignore_errors=True)


def patron(home: Path, *args):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PATRON_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "patron.cli", *args], env=env, capture_output=True, text=True, timeout=300)


def customers_in(home: Path) -> int:
    with sqlite3.connect(home / "patron.sqlite3") as store:
        return store.execute("SELECT COUNT(*) FROM customers_customer").fetchone()[0]


def write_customers(path: Path, n: int, bad_every: int = 0) -> None:
    with open(path, "w") as out:
        out.write("external_id,email,first_name\n")
        for i in range(n):
            email = "not-an-email" if bad_every and i % bad_every == 0 else f"c{i}@example.com"
            out.write(f"c{i},{email},{'Ona' * 20}\n")


def test_a_full_disk_under_the_store_stops_the_import_whole_and_the_rerun_completes(small_disk, tmp_path):
    mount, _ = small_disk
    home = mount("64m")
    assert patron(home, "migrate", "--no-input").returncode == 0
    big = tmp_path / "customers.csv"
    write_customers(big, 40_000)
    # Fill the rest of the disk, so the import's writes cannot fit.
    filler = home / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
    failed = patron(home, "import", "customers", str(big))
    assert failed.returncode == 2, failed.stdout + failed.stderr
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and "bytes free" in lines[0] and "nothing of this run was kept" in lines[0], failed.stderr
    filler.unlink()
    assert customers_in(home) == 0  # nothing half-written
    done = patron(home, "import", "customers", str(big))
    assert done.returncode == 0, done.stderr
    assert customers_in(home) == 40_000


def test_a_full_disk_for_the_rejects_list_keeps_nothing_of_the_import(small_disk, tmp_path):
    mount, _ = small_disk
    files = mount("1m")
    source = files / "customers.csv"
    write_customers(source, 2_000, bad_every=2)  # 1,000 rejects: a list bigger than the room left
    subprocess.run(["dd", "if=/dev/zero", f"of={files / 'filler'}", "bs=4k"], capture_output=True)
    home = tmp_path / "home"
    assert patron(home, "migrate", "--no-input").returncode == 0
    failed = patron(home, "import", "customers", str(source))
    assert failed.returncode == 2
    assert "cannot write the rejects file" in failed.stderr and "No space left on device" in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    assert customers_in(home) == 0
    assert sorted(p.name for p in files.iterdir()) == ["customers.csv", "filler"]  # no half-written list
    (files / "filler").unlink()
    done = patron(home, "import", "customers", str(source))
    assert done.returncode == 0 and customers_in(home) == 1_000
    assert (files / "customers.csv.rejects.csv").read_text().count("\n") == 1_001


def test_a_read_only_home_is_named_in_one_line(small_disk, tmp_path):
    mount, remount = small_disk
    home = mount("64m")
    assert patron(home, "migrate", "--no-input").returncode == 0
    source = tmp_path / "customers.csv"
    write_customers(source, 100)
    remount(home, "ro")
    failed = patron(home, "import", "customers", str(source))
    assert failed.returncode == 2
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and ("read-only" in lines[0] or "readonly" in lines[0]), failed.stderr
    remount(home, "rw")
    assert patron(home, "import", "customers", str(source)).returncode == 0 and customers_in(home) == 100
