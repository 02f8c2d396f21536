"""PostgreSQL restarted under a running worker and under API load: both recover by themselves, every
message goes out, every order the API accepted is kept with its points, and the ledger verifies.

The test runs its own PostgreSQL (the repository's scripts/pg-ephemeral, as root, as CI is), since it
restarts it; the suite's own store is untouched. It needs the PostgreSQL server binaries, which
pg-ephemeral installs from Debian's packages when they are missing.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "pg-ephemeral"
N_MESSAGES = 300

if os.geteuid() != 0 or shutil.which("su") is None:  # pragma: no cover - CI and this machine run as root
    pytest.skip("runs its own PostgreSQL through scripts/pg-ephemeral, which needs root", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pg_bin() -> Path:
    return sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]


@pytest.fixture
def private_pg(tmp_path):
    directory, port = Path("/tmp") / f"patron-fault-pg-{os.getpid()}", free_port()
    out = subprocess.run([str(SCRIPT), "start", str(directory), str(port)], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    url = out.stdout.strip().split("=", 1)[1]

    def restart():
        subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c",
                        f"{pg_bin()}/pg_ctl -D {directory}/data -m fast -w -t 60 restart -l {directory}/server.log "
                        f"-o '-p {port} -k {directory} -c listen_addresses=127.0.0.1' >/dev/null"], check=True, timeout=90)

    yield url, restart
    subprocess.run([str(SCRIPT), "stop", str(directory)], capture_output=True, timeout=60)


def patron(env, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "patron.cli", *args], env=env, capture_output=True, text=True, **kwargs)


SEED = f"""
import django, json, sys
django.setup()
from django.utils import timezone
from patron.api.services import create_key
from patron.customers.models import Customer
from patron.loyalty.models import Program
from patron.messaging.models import Message
Program.objects.create(name="Stars", currency="EUR", points_per_unit=1)
people = Customer.objects.bulk_create([Customer(external_id=f"r{{i}}", email=f"r{{i}}@example.com", email_consent=True)
                                       for i in range({N_MESSAGES})])
now = timezone.now()
Message.objects.bulk_create([Message(customer=c, template="tier_upgrade", channel="email", purpose="transactional",
                                     context={{"tier": "Gold"}}, created_at=now, due_at=now) for c in people])
print(create_key("shop", ["orders:write"])[1])
"""


def test_the_worker_and_the_api_outlive_a_database_restart(private_pg, smtp_server, tmp_path):
    url, restart = private_pg
    env = {**os.environ, "DATABASE_URL": url, "PATRON_HOME": str(tmp_path), "PATRON_SMTP_HOST": "127.0.0.1",
           "PATRON_SMTP_PORT": str(smtp_server.port), "PATRON_QUIET_HOURS": "", "DJANGO_SETTINGS_MODULE": "patron.settings"}
    assert patron(env, "migrate", "--no-input", timeout=300).returncode == 0
    seeded = subprocess.run([sys.executable, "-c", SEED], env=env, capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    key = seeded.stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "patron.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # The worker sends slowly enough (one message at a time) that the restart lands in the middle of it.
    worker = subprocess.Popen([sys.executable, "-m", "patron.cli", "worker", "--batch", "1", "--interval", "1", "--no-daily"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    accepted, answers, stop = [], [], threading.Event()

    def orders():
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                              headers={"Authorization": f"Bearer {key}"})
        i = 0
        while not stop.is_set():
            i += 1
            body = {"external_id": f"o{i}", "customer_external_id": f"r{i % N_MESSAGES}", "placed_at": "2026-06-01T10:00:00Z",
                    "total": "10.00", "currency": "EUR"}
            try:
                response = client.post("/api/v1/orders", json=body)
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            answers.append(response.status_code)
            if response.status_code == 200:
                accepted.append(body["external_id"])
            else:
                assert response.headers["content-type"].startswith("application/json"), response.text[:300]
            time.sleep(0.02)

    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/dashboard/login/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        load = threading.Thread(target=orders)
        load.start()
        while len(smtp_server.messages) < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert 0 < len(smtp_server.messages) < N_MESSAGES, "the restart must come while the worker is sending"
        restart()
        time.sleep(3)
        deadline = time.monotonic() + 180
        while len({m["To"] for m in smtp_server.messages}) < N_MESSAGES and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stderr.read().decode()[-3000:]
            time.sleep(0.2)
        stop.set()
        load.join(timeout=60)
        assert worker.poll() is None and server.poll() is None  # both outlived the restart
    finally:
        stop.set()
        for process in (worker, server):
            process.terminate()
            process.wait(timeout=30)
    assert len({m["To"] for m in smtp_server.messages}) == N_MESSAGES  # every message went out
    assert set(answers) <= {200, 503}, sorted(set(answers))  # while it was down: 503 with Retry-After, never a page
    assert answers[-1] == 200  # the API answers again after the restart
    kept = subprocess.run([sys.executable, "-c", "import django, json; django.setup(); "
                           "from patron.commerce.models import Order; "
                           "print(json.dumps(list(Order.objects.values_list('external_id', flat=True))))"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert set(accepted) <= set(json.loads(kept.stdout))  # every order the API accepted is kept
    verify = patron(env, "ledger", "verify", timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
