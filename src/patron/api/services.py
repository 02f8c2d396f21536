"""Creating and checking API keys, and answering retried POSTs from what was stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from patron.api.models import ApiKey, IdempotentRequest
from patron.core import audit, sql
from patron.core.errors import Conflict, InvalidInput, NotFound, PatronError


IDEMPOTENCY_WAIT_SECONDS = 10  # a retry waits this long for the first request with its key
IDEMPOTENCY_RETRY_AFTER = 2


class RequestInProgress(Conflict):
    code = "request_in_progress"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def create_key(name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A new key; the full key is returned once and only its hash is kept."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("an API key needs a name", field="name")
    unknown = [s for s in scopes if s not in ApiKey.SCOPES]
    if unknown or not scopes:
        raise InvalidInput(f"unknown scope {', '.join(unknown) or '(none given)'}; the scopes are {', '.join(ApiKey.SCOPES)}", field="scopes")
    if ApiKey.PUBLISHABLE in scopes and set(scopes) != {ApiKey.PUBLISHABLE}:
        raise InvalidInput(f"{ApiKey.PUBLISHABLE} is a publishable key's only scope (it goes into the shop's pages, "
                           "where anyone can read it): make it a key of its own", field="scopes")
    prefix = secrets.token_hex(4)
    key = f"pat_{prefix}_{secrets.token_urlsafe(32)}"
    return ApiKey.objects.create(name=name, prefix=prefix, key_hash=_digest(key), scopes=sorted(set(scopes))), key


def keys() -> list[ApiKey]:
    """Every key, newest first, revoked ones included (they stay as a record)."""
    return list(ApiKey.objects.order_by("-created_at", "-pk"))


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"


def revoke_key(prefix: str, *, actor=None) -> ApiKey:
    """Revoke a key at once (the next request with it is refused 401); the revocation is audited."""
    prefix = (prefix or "").strip().removeprefix("pat_").split("_")[0].removesuffix("...")
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().filter(prefix=prefix).first()
        if key is None:
            raise ApiKeyNotFound(f"no API key {prefix!r}; `patron apikey list` shows them", field="prefix")
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit.record(actor, audit.KEY_REVOKED, f"apikey:{key.prefix}", name=key.name)
    return key


def check_key(key: str) -> ApiKey | None:
    parts = (key or "").split("_")
    if len(parts) < 3 or parts[0] != "pat":
        return None
    found = sql.first(ApiKey, "id", "key_hash", "scopes", "last_used_at", prefix=parts[1], revoked_at=None, memo=True)  # every request
    if found is None or not hmac.compare_digest(found.key_hash, _digest(key)):
        return None
    now = timezone.now()
    if found.last_used_at is None or now - found.last_used_at > dt.timedelta(minutes=1):
        ApiKey.objects.filter(pk=found.pk).update(last_used_at=now)  # at most once a minute: not a write per request
    return found


def once(api_key: ApiKey, idempotency_key: str | None, method: str, path: str, body: bytes,
         handle: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
    """Run `handle` (status, body), or give the stored answer to a retry with the same key and request.

    The first request with a key holds a lock on it until its transaction ends, and its answer is
    stored in that transaction with its effects, whether it succeeded or was refused (409
    insufficient_points...). A retry racing it waits for the lock, then gets that stored answer: never
    a second effect, never a different business answer. A retry that waits longer than
    IDEMPOTENCY_WAIT_SECONDS gets 409 request_in_progress with Retry-After.
    """
    if not idempotency_key:
        return handle()
    if len(idempotency_key) > 200:
        raise InvalidInput("the Idempotency-Key header is longer than 200 characters", field="Idempotency-Key")
    request_hash = _digest(f"{method} {path} " + body.decode("utf-8", "replace"))

    def stored() -> tuple[int, dict] | None:
        previous = IdempotentRequest.objects.filter(api_key=api_key, key=idempotency_key).first()
        if previous is None:
            return None
        if previous.request_hash != request_hash:
            raise IdempotencyKeyReused("this Idempotency-Key was used with a different request")
        return previous.status, previous.body

    def keep(status: int, payload) -> None:
        IdempotentRequest.objects.create(api_key=api_key, key=idempotency_key, request_hash=request_hash,
                                         status=status, body=json.loads(json.dumps(payload, default=str)))

    if (answer := stored()) is not None:
        return answer
    try:
        with transaction.atomic():
            try:
                sql.lock(f"idempotency:{api_key.pk}:{idempotency_key}", wait_seconds=IDEMPOTENCY_WAIT_SECONDS)
            except OperationalError:
                raise RequestInProgress("a request with this Idempotency-Key is still running; retry shortly",
                                        retry_after=IDEMPOTENCY_RETRY_AFTER) from None
            if (answer := stored()) is not None:
                return answer
            try:
                with transaction.atomic():
                    status, payload = handle()
            except PatronError as refused:
                if refused.status >= 500 or isinstance(refused, InvalidInput):
                    raise  # a malformed request never ran: the client fixes it and may send it again
                keep(refused.status, refused.body())
                return refused.status, refused.body()
            if status < 500:
                keep(status, payload)
            return status, payload
    except IntegrityError:
        answer = stored()
        if answer is None:
            raise
        return answer
    try:
        with transaction.atomic():
            status, payload = handle()
            if status < 500:
                IdempotentRequest.objects.create(api_key=api_key, key=idempotency_key, request_hash=request_hash,
                                                 status=status, body=json.loads(json.dumps(payload, default=str)))
            return status, payload
    except IntegrityError:
        answer = stored()
        if answer is None:
            raise
        return answer
