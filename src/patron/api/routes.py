"""The REST API for systems, /api/v1: thin routes over the services. OpenAPI at /api/v1/openapi.json.

Authentication: `Authorization: Bearer KEY` (keys from `patron apikey create`), each route needing
a scope. Every POST honours an `Idempotency-Key` header. Errors are JSON {code, message, details}
with the status of the error's class; validation errors are 422 and name the field.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal

from django.db import InterfaceError, OperationalError, transaction
from django.http import Http404, HttpRequest, JsonResponse
from ninja import Field, NinjaAPI, Query
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from patron.api import services as api_services
from patron.api.schemas import (AMOUNT_PATTERN, COUNTRY, CURRENCIES, EMAIL, ID_PATTERN, LANGUAGE, PHONE, TIMEZONE,
                                 Amount, In, PositiveAmount, an_id, fits)
from patron.commerce import services as commerce
from patron.commerce import storefront
from patron.commerce.services import QUANTITY_LIMIT
from patron.commerce.models import Category, Order, Product, Refund
from patron.core.errors import InvalidInput, PatronError
from patron.customers import services as customers
from patron.customers import shop_tokens
from patron.customers.models import Customer
from patron.feedback import services as feedback
from patron.feedback.models import Response as SurveyResponse, SurveyKind
from patron.feedback.tokens import API_PREFIX
from patron.loyalty import earning, programme, queries as loyalty_queries, services as loyalty
from patron.loyalty.models import Coupon
from patron.service import services as desk
from patron.service.models import Priority, Ticket, TicketEvent


logger = logging.getLogger(__name__)


class Forbidden(PatronError):
    code = "forbidden"
    status = 403


class KeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        key = api_services.check_key(token)
        if key is not None:
            request.api_key = key
        return key


ERROR_BODY = {
    "type": "object", "required": ["code", "message", "details"],
    "properties": {"code": {"type": "string", "description": "stable: unauthorised, forbidden, invalid_input, "
                                                          "customer_not_found, insufficient_points, ..."},
                   "message": {"type": "string"}, "details": {"type": "object"}},
}
ERRORS = {"400": "the request as a whole cannot be taken", "401": "no valid API key", "403": "the key lacks the scope",
          "404": "no such customer, order, reward, coupon or ticket", "409": "a conflict with the stored state",
          "422": "a field is invalid; details name it",
          "500": "a fault of Patron's, logged (code internal_error)",
          "503": "the store cannot be reached just now; nothing was done: retry after Retry-After seconds"}


class PatronApi(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """The schema, with the one error body every operation may answer with, under each error status."""
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_BODY
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, meaning in ERRORS.items():
                    operation["responses"].setdefault(status, {
                        "description": meaning, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
        return schema


# No docs page: django-ninja's loads Swagger UI from a third-party CDN at run time. The schema is at openapi.json.
api = PatronApi(title="Patron", version="1", urls_namespace="api-v1", auth=KeyAuth(), docs_url=None)


def _error(request, status: int, code: str, message: str, details: dict | None = None):
    return JsonResponse({"code": code, "message": message, "details": details or {}}, status=status)


@api.exception_handler(PatronError)
def patron_error(request, exc: PatronError):
    response = JsonResponse(exc.body(), status=exc.status)
    if "retry_after" in exc.details:
        response["Retry-After"] = str(exc.details["retry_after"])
    return response


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    fields = [".".join(str(p) for p in e.get("loc", ())[1:] if p != "payload") or "body" for e in exc.errors]
    message = "; ".join(f"{f}: {e.get('msg', 'invalid')}" for f, e in zip(fields, exc.errors))
    return _error(request, 422, "invalid_input", message, {"fields": fields})


@api.exception_handler(AuthenticationError)
def unauthorised(request, exc):
    return _error(request, 401, "unauthorised", "send a valid API key as Authorization: Bearer KEY")


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    """What ninja itself refuses (a body that is not JSON, an unknown route): the same error body."""
    if exc.status_code == 400:
        return _error(request, 400, "invalid_json", f"the body is not valid JSON ({exc.message})")
    return _error(request, exc.status_code, "http_error", exc.message)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "not_found", "no such resource")


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def store_unavailable(request, exc):
    """The database cannot be reached (a restart): nothing was done; try again shortly."""
    logger.warning("API request %s %s: the database cannot be reached: %s", request.method, request.path, exc)
    response = _error(request, 503, "unavailable", "the store cannot be reached just now; nothing was done, try again")
    response["Retry-After"] = "5"
    return response


@api.exception_handler(Exception)
def internal_error(request, exc):
    """A fault of Patron's: logged with its traceback, answered in the one error body, never as a page."""
    logger.exception("API request %s %s failed", request.method, request.path)
    return _error(request, 500, "internal_error", "Patron could not answer this request; the fault is logged")


def need(request, scope: str) -> None:
    if "\x00" in request.path:
        raise InvalidInput("the path must not contain NUL characters", field="path")
    if scope not in request.api_key.scopes:
        raise Forbidden(f"this key lacks the scope {scope}", scope=scope)


def answer(request, handle, status: int = 200):
    """Run a POST once per Idempotency-Key; returns the JSON response."""
    code, body = api_services.once(request.api_key, request.headers.get("Idempotency-Key"), request.method, request.path,
                                   request.body, lambda: (status, handle()))
    return JsonResponse(body, status=code, safe=False)


# -- customers ------------------------------------------------------------------------------------
class CustomerIn(In):
    external_id: str = an_id(Customer, "external_id")
    email: str | None = EMAIL
    phone: str | None = PHONE
    first_name: str | None = fits(Customer, "first_name", None)
    last_name: str | None = fits(Customer, "last_name", None)
    language: str | None = LANGUAGE
    country: str | None = COUNTRY
    timezone: str | None = TIMEZONE
    birth_date: dt.date | None = None
    email_consent: bool | None = None
    sms_consent: bool | None = None
    referral_code: str | None = Field(None, description="the code of the friend who referred this new customer")


def customer_out(customer) -> dict:
    fields = ("external_id", "email", "phone", "first_name", "last_name", "language", "country", "timezone")
    out = {f: getattr(customer, f) for f in fields}
    out.update(birth_date=customer.birth_date.isoformat() if customer.birth_date else None,
               email_consent=customer.email_consent, sms_consent=customer.sms_consent,
               created_at=customer.created_at.isoformat())
    return out


@api.post("/customers", summary="Create or update a customer by external_id")
def upsert_customer(request, payload: CustomerIn):
    need(request, "customers:write")

    def handle():
        fields = {k: v for k, v in payload.dict().items() if k not in ("external_id", "referral_code") and v is not None}
        with transaction.atomic():  # a refused referral leaves the customer as it was
            customer, created = customers.upsert_customer(payload.external_id, **fields)
            if payload.referral_code:
                programme.refer_by_code(customer, payload.referral_code)
        return {"created": created, "customer": customer_out(customer)}

    return answer(request, handle)


@api.get("/customers/{external_id}", summary="One customer")
def get_customer(request, external_id: str):
    need(request, "customers:read")
    return customer_out(customers.get_customer(external_id))


# -- orders ---------------------------------------------------------------------------------------
class LineIn(In):
    sku: str = an_id(Product, "sku")
    category: str = fits(Category, "name", "")
    quantity: int = Field(1, ge=1, le=QUANTITY_LIMIT)
    unit_price: Amount


class OrderIn(In):
    external_id: str = an_id(Order, "external_id")
    customer_external_id: str = an_id(Customer, "external_id")
    placed_at: dt.datetime
    total: Amount
    currency: Literal[CURRENCIES] | None = Field(None, description="ISO 4217; the shop's currency when left out")
    status: Literal[tuple(Order.Status.values)] = Order.Status.COMPLETED.value
    lines: list[LineIn] | None = None


class RefundIn(In):
    amount: PositiveAmount | None = None  # the whole remainder when left out
    external_id: str | None = fits(Refund, "external_id", None)
    reason: str = fits(Refund, "reason", "")


@api.post("/orders", summary="Create or update an order by external_id; answers with the points earned")
def upsert_order(request, payload: OrderIn):
    need(request, "orders:write")

    def handle():
        customer = customers.get_customer(payload.customer_external_id)
        lines = [line.dict() for line in payload.lines] if payload.lines is not None else None
        with transaction.atomic():  # the order and its points: one commit, all or nothing
            order, created = commerce.record_order(customer, payload.external_id, placed_at=payload.placed_at, total=payload.total,
                                                   currency=payload.currency, status=payload.status, lines=lines)
            points = order.effects.get("points_earned", 0)  # earned through loyalty's hook on recorded orders
        return {"created": created, "order": {"external_id": order.external_id, "total": str(order.total),
                                               "currency": order.currency, "status": order.status},
                "points_earned": points}

    return answer(request, handle)


@api.post("/orders/{external_id}/refunds", summary="Refund an order in full or in part; its points are taken back in proportion")
def refund(request, external_id: str, payload: RefundIn):
    need(request, "orders:write")

    def handle():
        order = commerce.get_order(external_id)
        made = commerce.refund_order(order, payload.amount, reason=payload.reason, external_id=payload.external_id)
        order.refresh_from_db()
        return {"refund": {"amount": str(made.amount), "refunded_at": made.refunded_at.isoformat()},
                "points_taken_back": earning.reverse_refunds_everywhere(order)}

    return answer(request, handle)


# -- loyalty --------------------------------------------------------------------------------------
@api.get("/customers/{external_id}/loyalty", summary="Balance, lifetime points, points expiring soon and recent movements")
def loyalty_status(request, external_id: str, days: int = Query(30, ge=1, le=3650, description="points expiring within this many days")):
    need(request, "loyalty:read")
    return {"customer": external_id, "programs": loyalty_queries.status(customers.get_customer(external_id), days)}


class RedemptionIn(In):
    reward: int


class CouponUseIn(In):
    reference: str = fits(Coupon, "used_reference", "")


@api.get("/rewards", summary="The rewards that can be redeemed now")
def rewards(request):
    need(request, "loyalty:read")
    return [{"id": r.pk, "program": r.program.name, "name": r.name, "kind": r.kind, "value": str(r.value), "sku": r.sku,
             "cost": r.cost, "stock": r.stock} for r in loyalty_queries.available_rewards()]


@api.post("/customers/{external_id}/redemptions", summary="Redeem a reward: answers with the coupon code, points spent and the new balance")
def redeem(request, external_id: str, payload: RedemptionIn):
    need(request, "loyalty:write")

    def handle():
        customer = customers.get_customer(external_id)
        reward = loyalty.get_reward(payload.reward)
        coupon = loyalty.redeem_reward(customer, reward)
        return {"coupon": coupon.code, "reward": reward.name, "points_spent": reward.cost,
                "balance": loyalty.balance(reward.program, customer)}

    return answer(request, handle)


@api.post("/coupons/{code}/use", summary="Mark a coupon used, once")
def use_coupon(request, code: str, payload: CouponUseIn):
    need(request, "loyalty:write")

    def handle():
        coupon = loyalty.use_coupon(code, reference=payload.reference)
        return {"coupon": coupon.code, "reward": coupon.reward.name, "used_at": coupon.used_at.isoformat()}

    return answer(request, handle)


# -- tickets --------------------------------------------------------------------------------------
class TicketIn(In):
    subject: str = an_id(Ticket, "subject")
    body: str = Field("", max_length=desk.BODY_LIMIT)
    customer_external_id: str | None = an_id(Customer, "external_id", None)
    email: str | None = EMAIL  # who wrote, when the shop does not know the customer
    kind: Literal[tuple(Ticket.Kind.values)] | None = None
    priority: Literal[tuple(Priority.values)] | None = None  # raised for detractors, high CLV, at risk
    external_ref: str | None = fits(Ticket, "external_ref", None)  # the shop's id for it: sending it twice makes one ticket


class TicketMessageIn(In):
    body: str = Field(max_length=desk.BODY_LIMIT, pattern=ID_PATTERN)


def ticket_out(ticket, with_messages: bool = False) -> dict:
    def when(value):
        return value.isoformat() if value else None

    out = {"id": ticket.pk, "subject": ticket.subject, "kind": ticket.kind, "status": ticket.status,
           "priority": ticket.priority, "priority_reason": ticket.priority_reason,
           "customer_external_id": ticket.customer.external_id if ticket.customer else None,
           "created_at": when(ticket.created_at), "first_response_due": when(ticket.first_response_due),
           "resolution_due": when(ticket.resolution_due), "first_response_at": when(ticket.first_response_at),
           "resolved_at": when(ticket.resolved_at)}
    if with_messages:  # what the customer sees: their messages and the replies, never internal notes
        out["messages"] = [{"from": "customer" if e.kind == TicketEvent.Kind.CUSTOMER else "staff", "body": e.body, "at": when(e.at)}
                           for e in ticket.events.filter(kind__in=[TicketEvent.Kind.CUSTOMER, TicketEvent.Kind.REPLY])]
    return out


@api.post("/tickets", response={201: dict},
          summary="Open a ticket for a customer (or an email address); priority is raised for upset and valuable customers")
def open_ticket(request, payload: TicketIn):
    need(request, "tickets:write")

    def handle():
        customer = customers.get_customer(payload.customer_external_id) if payload.customer_external_id else None
        ticket = desk.open_ticket(subject=payload.subject, body=payload.body, customer=customer, channel="api",
                                  requester_email=(payload.email or "").strip().lower(), kind=payload.kind,
                                  priority=payload.priority, external_ref=payload.external_ref or "")
        return ticket_out(ticket)

    return answer(request, handle, status=201)


@api.get("/tickets/{ticket_id}", summary="A ticket with its messages (internal notes are never shown)")
def get_ticket(request, ticket_id: int):
    need(request, "tickets:read")
    return ticket_out(desk.get_ticket(ticket_id), with_messages=True)


@api.post("/tickets/{ticket_id}/messages", summary="The customer wrote again: the SLA clock runs again if it waited on them")
def ticket_message(request, ticket_id: int, payload: TicketMessageIn):
    need(request, "tickets:write")

    def handle():
        ticket = desk.get_ticket(ticket_id)
        desk.customer_wrote(ticket, payload.body)
        return ticket_out(desk.get_ticket(ticket_id), with_messages=True)

    return answer(request, handle)


# -- survey answers -------------------------------------------------------------------------------
class SurveyAnswerIn(In):
    kind: Literal[tuple(SurveyKind.values)]
    score: int = Field(ge=0, le=10, description="nps 0-10, csat 1-5")
    comment: str | None = Field(None, max_length=feedback.COMMENT_LIMIT)
    ref: str | None = Field(None, max_length=SurveyResponse._meta.get_field("ref").max_length - len(API_PREFIX))  # what was asked (e.g. the shop's survey id): answering the same ref again updates
    answered_at: dt.datetime | None = None


@api.post("/customers/{external_id}/survey-responses", response={201: dict},
          summary="Record a customer's NPS or CSAT answer given in the shop")
def survey_answer(request, external_id: str, payload: SurveyAnswerIn):
    need(request, "feedback:write")

    def handle():
        customer = customers.get_customer(external_id)
        ref = API_PREFIX + (payload.ref or f"{payload.kind}:{(payload.answered_at or dt.datetime.now(dt.UTC)).isoformat()}")
        answer_ = feedback.record_answer(customer, payload.kind, payload.score, ref=ref[:80], source=SurveyResponse.Source.API,
                                         comment=payload.comment, at=payload.answered_at)
        return {"id": answer_.pk, "kind": answer_.kind, "score": answer_.score, "detractor": answer_.is_detractor}

    return answer(request, handle, status=201)


# -- storefront events (the storefront script, /static/patron.js) ---------------------------------
class EventItemIn(In):
    sku: str = an_id(Product, "sku")
    quantity: int = Field(1, ge=1, le=10_000)
    price: str | None = Field(None, pattern=AMOUNT_PATTERN)
    name: str | None = Field(None, max_length=200)
    url: str | None = Field(None, max_length=500, pattern=r"^https?://[^\x00]*$")
    image_url: str | None = Field(None, max_length=500, pattern=r"^https?://[^\x00]*$")


class EventIn(In):
    key: str = Field(max_length=100, description="the shop's publishable key (scope events:write)")
    customer: str = an_id(Customer, "external_id")
    expires: int = Field(description="the shop's token: unix time it expires (at most an hour ahead)")
    signature: str = Field(max_length=64, pattern=r"^[0-9a-fA-F]{64}$",
                           description='hex HMAC-SHA256 of "<customer>:<expires>" under the shop secret')
    kind: Literal[storefront.KINDS]
    items: list[EventItemIn] = Field(min_length=1, max_length=storefront.MAX_ITEMS)
    checkout: str = Field("", max_length=100, description="the checkout's token (checkout_started)")
    checkout_url: str = Field("", max_length=500, pattern=r"^(https?://[^\x00]*)?$")
    currency: str = Field("", max_length=3)


@api.post("/events", auth=None, response={202: dict},
          summary="A known customer's storefront event (a product viewed, added to the cart, a checkout started)",
          description="Sent by /static/patron.js from the shop's pages, as text/plain (a simple request, no CORS "
                      "preflight). The key in the body is a publishable key, which can write events and nothing else; "
                      "the customer is the one the shop signed in (the portal's shop token).")
def storefront_event(request, payload: EventIn):
    key = api_services.check_key(payload.key)
    if key is None or key.scopes != ["events:write"]:
        raise AuthenticationError()
    customer, _signature, _expires = shop_tokens.read(
        {"customer": payload.customer, "expires": payload.expires, "signature": payload.signature})
    _event, new = storefront.record(customer, payload.kind, items=[i.dict() for i in payload.items],
                                    checkout=payload.checkout, checkout_url=payload.checkout_url, currency=payload.currency)
    return JsonResponse({"recorded": new}, status=202)
