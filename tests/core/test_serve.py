"""`patron serve` as deployed: one waitress process, or gunicorn with several processes."""

import http.client
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import free_port


@pytest.mark.parametrize("processes", [1, 2])
def test_serve_answers_with_one_or_more_processes(tmp_path, processes):
    port = free_port()
    env = os.environ | {"PATRON_HOME": str(tmp_path), "PATRON_ALLOWED_HOSTS": "127.0.0.1"}
    server = subprocess.Popen([sys.executable, "-m", "patron.cli", "serve", "--port", str(port), "--threads", "2",
                               "--processes", str(processes)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        answers = set()
        for _ in range(150):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/api/v1/openapi.json")  # no store needed
                response = connection.getresponse()
                answers.add((response.status, response.getheader("Content-Type")))
                break
            except OSError:
                time.sleep(0.1)
        assert answers == {(200, "application/json")}
        if processes > 1:  # the arbiter forks its workers one by one: the first may answer before the last is born
            children = []
            for _ in range(100):
                children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
                if len(children) >= processes:
                    break
                time.sleep(0.1)
            assert len(children) == processes
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def test_serve_refuses_zero_processes(tmp_path):
    result = subprocess.run([sys.executable, "-m", "patron.cli", "serve", "--processes", "0"], capture_output=True, text=True,
                            env=os.environ | {"PATRON_HOME": str(tmp_path)})
    assert result.returncode != 0 and "--threads and --processes must be at least 1" in result.stderr
