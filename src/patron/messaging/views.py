"""The customer's pages behind the links in every message: one-click unsubscribe and the preference centre.

Both are in the customer's language. The unsubscribe URL takes a POST without a CSRF token
(RFC 8058: the mail provider POSTs `List-Unsubscribe=One-Click`); its signed token is the proof.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render as render_page
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from patron.core.errors import InvalidLink
from patron.customers.models import Channel
from patron.messaging import content, services
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
    return customer_page(request, customer.language if customer else "", f"messaging/{template}.html", status, **extra)


def _invalid(request: HttpRequest) -> HttpResponse:
    return _page(request, None, "invalid", status=400)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        customer, channel = services.customer_of_link(token)
    except InvalidLink:
        return _invalid(request)
    if request.method == "POST":
        services.unsubscribe(token)
        return _page(request, customer, "unsubscribed", channel=channel, token=link_token(customer.pk, channel))
    return _page(request, customer, "unsubscribe", channel=channel, token=token)


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        customer, _ = services.customer_of_link(token)
    except InvalidLink:
        return _invalid(request)
    saved = False
    if request.method == "POST":
        customer = services.set_preferences(token, {ch: request.POST.get(ch) == "on" for ch in Channel.values})
        saved = True
    channels = [(ch, customer.consent_for(ch) is True) for ch in Channel.values]
    return _page(request, customer, "preferences", token=token, channels=channels, saved=saved)
