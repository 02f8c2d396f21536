"""The endpoints a store's webhooks call: /hooks/woocommerce/<id> and /hooks/shopify/<id>. The signature is checked on the raw body
before anything is parsed (a bad or missing one is 401 and nothing is kept); a good delivery is stored and
answered at once, and the worker processes it (stores retry slow hooks and give up on failing ones)."""

import base64
import hashlib
import hmac
import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from patron.connectors import live, secrets
from patron.connectors.models import Connection

MAX_BODY = 5 << 20


def signature(secret: str, body: bytes) -> str:
    """WooCommerce's X-WC-Webhook-Signature and Shopify's X-Shopify-Hmac-Sha256 alike: base64 of HMAC-SHA256 of
    the raw body, under the webhook's secret (WooCommerce) or the app's API secret key (Shopify)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _refuse(status: int, why: str) -> JsonResponse:
    return JsonResponse({"code": "webhook_refused", "message": why, "details": {}}, status=status)


def _checked(request: HttpRequest, connection_id: int, kind: str, header: str) -> Connection | JsonResponse:
    """The connection whose secret signed this body, or the refusal to answer with."""
    connection = Connection.objects.filter(pk=connection_id, kind=kind).first()
    if connection is None:
        return _refuse(404, "no such connection")
    if len(request.body) > MAX_BODY:
        return _refuse(413, "the delivery is too large")
    try:
        secret = secrets.unseal(connection.credentials).get("webhook_secret", "")
    except secrets.CredentialsUnreadable:
        return _refuse(401, "this connection's secret cannot be read; connect the shop again")
    given = request.headers.get(header, "")
    if not secret or not given or not hmac.compare_digest(given, signature(secret, request.body)):
        return _refuse(401, "the signature does not match")
    return connection


def _keep(connection: Connection, body: bytes, topic: str, delivery_id: str) -> JsonResponse:
    try:
        payload = json.loads(body)
    except ValueError:
        return _refuse(400, "the body is not JSON")
    if not isinstance(payload, dict):
        return _refuse(400, "the body is not a JSON object")
    live.receive(connection, topic, delivery_id, payload)
    return JsonResponse({"ok": True})


@csrf_exempt
@require_POST
def woocommerce(request: HttpRequest, connection_id: int) -> JsonResponse:
    connection = _checked(request, connection_id, Connection.Kind.WOOCOMMERCE, "X-WC-Webhook-Signature")
    if isinstance(connection, JsonResponse):
        return connection
    topic = request.headers.get("X-WC-Webhook-Topic", "")
    if not topic:  # the ping WooCommerce sends when a webhook is made: "webhook_id=N", form-encoded
        return JsonResponse({"ok": True})
    return _keep(connection, request.body, topic, request.headers.get("X-WC-Webhook-Delivery-ID", ""))


@csrf_exempt
@require_POST
def shopify(request: HttpRequest, connection_id: int) -> JsonResponse:
    connection = _checked(request, connection_id, Connection.Kind.SHOPIFY, "X-Shopify-Hmac-Sha256")
    if isinstance(connection, JsonResponse):
        return connection
    topic = request.headers.get("X-Shopify-Topic", "")
    if not topic:
        return _refuse(400, "no X-Shopify-Topic")
    return _keep(connection, request.body, topic, request.headers.get("X-Shopify-Webhook-Id", ""))
