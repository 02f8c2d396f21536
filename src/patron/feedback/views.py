"""The survey page behind a survey link, in the customer's language.

A GET with ?score=N is the one click from the email: the score is stored at once and the page
offers a comment. A second click, or the form, updates the same answer.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from patron.core.errors import InvalidLink, PatronError
from patron.feedback import services
from patron.feedback.models import Response
from patron.messaging.views import customer_page


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        customer, kind, ref = services.survey_of_link(token)
    except InvalidLink:
        return customer_page(request, "", "messaging/invalid.html", status=400)
    error, saved = "", False
    score = request.POST.get("score") if request.method == "POST" else request.GET.get("score")
    if score is not None:
        comment = request.POST.get("comment", "") if request.method == "POST" else None
        try:
            services.record_answer(customer, kind, score, ref=ref, source=services.source_of(ref), comment=comment)
            saved = True
        except PatronError as exc:
            # Shown in the customer's language: the page's own words for what went wrong.
            error = "survey_too_long" if exc.details.get("field") == "comment" else "survey_bad_score"
    current = Response.objects.filter(customer=customer, ref=ref).first()
    low, high = services.scale(kind)
    return customer_page(request, customer.language, "feedback/survey.html", status=422 if error else 200,
                         kind=kind, token=token, scores=range(low, high + 1), current=current, saved=saved, error=error)
