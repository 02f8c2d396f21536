"""The survey page behind a survey link, in the customer's language.

A GET with ?score=N is the one click from the email: the score is stored at once and the page
offers a comment. A second click, or the form, updates the same answer.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render as render_page
from django.views.decorators.http import require_http_methods

from patron.core.errors import InvalidLink, PatronError
from patron.customers.models import Customer
from patron.feedback import services, tokens
from patron.feedback.models import CSAT_SCALE, NPS_SCALE, Response
from patron.messaging import content


def _page(request: HttpRequest, language: str, template: str, status: int = 200, **extra) -> HttpResponse:
    language = content.page_language(language)
    strings = content.page_strings(language)
    text = {name: content.fill(value, {"shop": settings.PATRON_SHOP_NAME, "channel": ""}) for name, value in strings.items()}
    response = render_page(request, template, {"lang": language, "t": text, **extra}, status=status)
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to other sites
    return response


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        customer_id, kind, ref = tokens.read(token)
        customer = Customer.objects.filter(pk=customer_id, erased_at__isnull=True).first()
        if customer is None or kind not in ("nps", "csat"):
            raise InvalidLink("this survey link is not valid")
    except InvalidLink:
        return _page(request, "", "messaging/invalid.html", status=400)
    source = Response.Source.EMAIL if ref.startswith("m:") else Response.Source.LINK
    error, saved = "", False
    score = request.POST.get("score") if request.method == "POST" else request.GET.get("score")
    if score is not None:
        comment = request.POST.get("comment", "") if request.method == "POST" else None
        try:
            services.record_answer(customer, kind, score, ref=ref, source=source, comment=comment)
            saved = True
        except PatronError as exc:
            error = exc.message
    current = Response.objects.filter(customer=customer, ref=ref).first()
    low, high = NPS_SCALE if kind == "nps" else CSAT_SCALE
    return _page(request, customer.language, "feedback/survey.html", status=422 if error else 200,
                 kind=kind, token=token, scores=range(low, high + 1), current=current, saved=saved, error=error)
