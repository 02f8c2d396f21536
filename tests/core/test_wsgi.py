"""patron.wsgi: API requests pass through the API's middleware, pages through all of it."""

import io
import json
import sys

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from patron.api.services import create_key
from patron.customers.services import upsert_customer
from patron.loyalty.models import Program
from patron.wsgi import application


def call(method: str, path: str, body: bytes = b"", **headers) -> tuple[str, dict, bytes]:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "", "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
               "wsgi.errors": sys.stderr, "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json", "REMOTE_ADDR": "127.0.0.1"}
    environ |= {f"HTTP_{name.upper()}": value for name, value in headers.items()}
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"], started["headers"] = status, response_headers

    # As Django's test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    headers: dict[str, list[str]] = {}
    for name, value in started["headers"]:
        headers.setdefault(name.lower(), []).append(value)
    return started["status"], headers, content


@pytest.mark.django_db
def test_api_requests_skip_the_pages_middleware_and_pages_keep_it():
    Program.objects.create(name="Stars", currency="EUR", points_per_unit=1)
    key = create_key("shop", ["orders:write"])[1]
    order = json.dumps({"external_id": "o1", "customer_external_id": "c1", "placed_at": "2025-06-01T10:00:00Z",
                        "total": "12.00", "currency": "EUR"}).encode()
    upsert_customer("c1")
    status, headers, content = call("POST", "/api/v1/orders", order, authorization=f"Bearer {key}")
    assert status.startswith("200") and json.loads(content)["points_earned"] == 12
    assert headers["x-content-type-options"] == ["nosniff"]  # security headers still apply
    assert "content-security-policy" not in headers and "set-cookie" not in headers and "vary" not in headers

    status, headers, _ = call("GET", "/login/")
    assert status.startswith("200")
    assert "content-security-policy" in headers and any("csrftoken" in c for c in headers["set-cookie"])
