"""kill -9 of an import half-way: nothing of it is in the store, no rejects list is left, and running the
same command again completes."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from patron.customers.models import Customer
from tests.faults.test_worker_kill import worker_env

pytestmark = pytest.mark.django_db(transaction=True)  # the import is another process: it sees committed rows only
N = 200_000


def test_a_killed_import_leaves_nothing_and_the_rerun_completes(tmp_path):
    source = tmp_path / "customers.csv"
    with open(source, "w") as out:
        out.write("external_id,email,first_name,language\n")
        for i in range(N):
            email = f"k{i}@example.com" if i % 1000 else "not an email"
            out.write(f"k{i},{email},Ona,lt\n")
    env = worker_env(1)
    command = [sys.executable, "-m", "patron.cli", "import", "customers", str(source)]
    running = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2.0)  # well into reading and staging (the whole import takes several seconds)
    assert running.poll() is None, "the import ended before it could be killed: make the file bigger"
    os.kill(running.pid, signal.SIGKILL)
    running.wait()
    connection.close()
    assert Customer.objects.count() == 0
    assert not (tmp_path / "customers.csv.rejects.csv").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no half-written rejects list
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert Customer.objects.count() == N - N // 1000
    assert (tmp_path / "customers.csv.rejects.csv").read_text().count("\n") == N // 1000 + 1
