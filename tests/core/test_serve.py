"""`patron serve` as deployed: one waitress process, or uWSGI with several processes."""

import http.client
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import free_port


def answer(port: int) -> tuple[int, str]:
    """GET the API's schema once the server listens: its status and content type; then once more on the same connection."""
    for _ in range(150):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/openapi.json")  # no store needed
            response = connection.getresponse()
            response.read()
            break
        except OSError:
            time.sleep(0.1)
    connection.request("GET", "/api/v1/openapi.json")  # again on the same connection: HTTP/1.1 keep-alive
    again = connection.getresponse()
    assert again.status == 200 and b'"openapi"' in again.read()
    return response.status, response.getheader("Content-Type")


def workers(server: subprocess.Popen, count: int, besides: list[str] = ()) -> list[str]:
    """The server's worker processes other than `besides`, once there are `count` (they are forked one by one)."""
    children = []
    for _ in range(100):
        children = [pid for pid in subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
                    if pid not in besides]
        if len(children) >= count:
            break
        time.sleep(0.1)
    return children


@pytest.mark.parametrize("processes", [1, 2])
def test_serve_answers_with_one_or_more_processes(tmp_path, processes):
    port = free_port()
    env = os.environ | {"PATRON_HOME": str(tmp_path), "PATRON_ALLOWED_HOSTS": "127.0.0.1"}
    server = subprocess.Popen([sys.executable, "-m", "patron.cli", "serve", "--port", str(port), "--threads", "2",
                               "--processes", str(processes)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        assert answer(port) == (200, "application/json")
        if processes > 1:
            first = workers(server, processes)
            assert len(first) == processes
            os.kill(server.pid, signal.SIGHUP)  # reload: new workers, the same master and socket
            assert len(workers(server, processes, besides=first)) == processes
            assert answer(port) == (200, "application/json")
    finally:
        os.kill(server.pid, signal.SIGTERM)  # to the server alone, as a service manager stops it: it stops, not reloads
        try:
            server.wait(timeout=20)
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
    left = subprocess.run(["pgrep", "-g", str(server.pid)], capture_output=True, text=True).stdout.split()
    assert left == []  # no worker outlives the server


def test_serve_refuses_zero_processes(tmp_path):
    result = subprocess.run([sys.executable, "-m", "patron.cli", "serve", "--processes", "0"], capture_output=True, text=True,
                            env=os.environ | {"PATRON_HOME": str(tmp_path)})
    assert result.returncode != 0 and "--threads and --processes must be at least 1" in result.stderr
