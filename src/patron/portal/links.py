"""The customer's pages behind the links in every message: one-click unsubscribe, the preference
centre and the survey page, each in the customer's language.

The unsubscribe URL takes a POST without a CSRF token (RFC 8058: the mail provider POSTs
`List-Unsubscribe=One-Click`); its signed token is the proof. On the survey page a GET with ?score=N
is the one click from the email: the score is stored at once and the page offers a comment. A second
click, or the form, updates the same answer.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render as render_page
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from patron.core.errors import InvalidLink, PatronError
from patron.customers.models import Channel
from patron.feedback import services as feedback
from patron.feedback.models import Response
from patron.messaging import clicks, content, services as messaging
from patron.messaging.render import link_token


def customer_page(request: HttpRequest, language: str, template: str, status: int = 200, channel: str = "",
                  **extra) -> HttpResponse:
    """One of the customer's pages behind a message link, in their language, never cached."""
    language = content.page_language(language)
    strings = content.page_strings(language)
    context = {"shop": settings.PATRON_SHOP_NAME, "channel": strings.get(channel, channel)}
    text = {name: content.fill(value, context) for name, value in strings.items()}
    response = render_page(request, template, {"lang": language, "t": text, **extra}, status=status)
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the link's token must not leak to other sites
    return response


def _page(request: HttpRequest, customer, template: str, status: int = 200, **extra) -> HttpResponse:
    return customer_page(request, customer.language if customer else "", f"portal/links/{template}.html", status, **extra)


def _invalid(request: HttpRequest) -> HttpResponse:
    return _page(request, None, "invalid", status=400)


@require_http_methods(["GET", "HEAD"])
def click(request: HttpRequest, token: str) -> HttpResponse:
    """A shop link of a message: the click recorded, and on to the address the message carried."""
    target = clicks.follow(token) if request.method == "GET" else None  # a link checker's HEAD is not a click
    if target is None and request.method == "GET":
        return _invalid(request)
    response = HttpResponseRedirect(target or settings.PATRON_SHOP_URL or "/")
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_http_methods(["GET", "HEAD"])
def pixel(request: HttpRequest, token: str) -> HttpResponse:
    """The image of an email with opens tracked (PATRON_TRACK_OPENS): the open recorded, the image always given (a
    broken image in the reader's mail would say more than the count is worth)."""
    if request.method == "GET" and settings.PATRON_TRACK_OPENS:
        clicks.opened(token)
    response = HttpResponse(clicks.PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        customer, channel = messaging.customer_of_link(token)
    except InvalidLink:
        return _invalid(request)
    if request.method == "POST":
        messaging.unsubscribe(token)
        return _page(request, customer, "unsubscribed", channel=channel, token=link_token(customer.pk, channel))
    return _page(request, customer, "unsubscribe", channel=channel, token=token)


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        customer, _ = messaging.customer_of_link(token)
    except InvalidLink:
        return _invalid(request)
    saved = False
    if request.method == "POST":
        customer = messaging.set_preferences(token, {ch: request.POST.get(ch) == "on" for ch in Channel.values})
        saved = True
    channels = [(ch, customer.consent_for(ch) is True) for ch in Channel.values]
    return _page(request, customer, "preferences", token=token, channels=channels, saved=saved)


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        customer, kind, ref = feedback.survey_of_link(token)
    except InvalidLink:
        return _invalid(request)
    error, saved = "", False
    score = request.POST.get("score") if request.method == "POST" else request.GET.get("score")
    if score is not None:
        comment = request.POST.get("comment", "") if request.method == "POST" else None
        try:
            feedback.record_answer(customer, kind, score, ref=ref, source=feedback.source_of(ref), comment=comment)
            saved = True
        except PatronError as exc:
            # Shown in the customer's language: the page's own words for what went wrong.
            error = "survey_too_long" if exc.details.get("field") == "comment" else "survey_bad_score"
    current = Response.objects.filter(customer=customer, ref=ref).first()
    low, high = feedback.scale(kind)
    return _page(request, customer, "survey", status=422 if error else 200,
                 kind=kind, token=token, scores=range(low, high + 1), current=current, saved=saved, error=error)
