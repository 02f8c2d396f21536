"""The endpoints a store's webhooks call: /hooks/woocommerce/<id>. The signature is checked on the raw body
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
    """WooCommerce's X-WC-Webhook-Signature: base64 of HMAC-SHA256 of the raw body under the webhook's secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _refuse(status: int, why: str) -> JsonResponse:
    return JsonResponse({"code": "webhook_refused", "message": why, "details": {}}, status=status)


@csrf_exempt
@require_POST
def woocommerce(request: HttpRequest, connection_id: int) -> JsonResponse:
    connection = Connection.objects.filter(pk=connection_id, kind=Connection.Kind.WOOCOMMERCE).first()
    if connection is None:
        return _refuse(404, "no such connection")
    body = request.body
    if len(body) > MAX_BODY:
        return _refuse(413, "the delivery is too large")
    try:
        secret = secrets.unseal(connection.credentials).get("webhook_secret", "")
    except secrets.CredentialsUnreadable:
        return _refuse(401, "this connection's secret cannot be read; connect the shop again")
    given = request.headers.get("X-WC-Webhook-Signature", "")
    if not secret or not given or not hmac.compare_digest(given, signature(secret, body)):
        return _refuse(401, "the signature does not match")
    topic = request.headers.get("X-WC-Webhook-Topic", "")
    if not topic:  # the ping WooCommerce sends when a webhook is made: "webhook_id=N", form-encoded
        return JsonResponse({"ok": True})
    try:
        payload = json.loads(body)
    except ValueError:
        return _refuse(400, "the body is not JSON")
    if not isinstance(payload, dict):
        return _refuse(400, "the body is not a JSON object")
    live.receive(connection, topic, request.headers.get("X-WC-Webhook-Delivery-ID", ""), payload)
    return JsonResponse({"ok": True})
