"""The journey designer's pages: a new journey or an existing one as fields (trigger, audience with its live
count, steps, measuring), saved through campaigns.design."""

from decimal import Decimal

from django.contrib import messages
from django.http import JsonResponse
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.campaigns import design
from patron.campaigns import services as journeys
from patron.campaigns.models import Journey
from patron.core.errors import PatronError
from patron.dashboard.journey_forms import (ConditionForm, ConditionFormSet, KIND_OPERATORS, JourneyForm, StepForm,
                                            StepFormSet)
from patron.dashboard.roles import action, page
from patron.messaging.render import preview_subject
from patron.segments.rules import FIELDS


def _templates() -> list[tuple[str, str]]:
    language = get_language() or "en"
    shown = []
    for key in design.templates():
        subject = preview_subject(key, language)
        shown.append((key, f"{subject} ({key})" if subject else key))
    return shown


def _forms(request, journey: Journey | None):
    """The journey form, its conditions and its steps, bound to the POST or filled from the journey."""
    found = design.design_of(journey) if journey is not None else None
    config = found.trigger_config if found else {}
    step_kwargs = {"templates": _templates(), "rewards": design.rewards()}
    if request.method == "POST":
        return (JourneyForm(request.POST, config=config), ConditionFormSet(request.POST, prefix="audience"),
                StepFormSet(request.POST, prefix="steps", form_kwargs=step_kwargs), found)
    conditions, nested = [], False
    if found and found.audience:
        combiner = next(iter(found.audience))
        for rule in found.audience.get(combiner, []) if combiner in ("all", "any") else [found.audience]:
            shown = ConditionForm.initial_of(rule)
            nested = nested or shown is None
            if shown is not None:
                conditions.append(shown)
    # A new journey starts with the step nearly every journey has: a message.
    shown = found.steps if found else [("send", {})]
    steps = [dict(StepForm.initial_of(a, c), ORDER=i + 1) for i, (a, c) in enumerate(shown)]
    initial = JourneyForm.initial_of(found) if found else None
    if initial:
        initial["name"] = journey.name_in(get_language() or "en")  # as the list shows it; saved so, it is no rename
        initial["description"] = journey.description_in(get_language() or "en")
    form = JourneyForm(initial=initial, config=config)
    form.nested = nested
    return (form, ConditionFormSet(initial=conditions, prefix="audience"),
            StepFormSet(initial=steps, prefix="steps", form_kwargs=step_kwargs), found)


def _audience(form: JourneyForm, conditions) -> dict:
    rules = [c.cleaned_data["rule"] for c in conditions.forms
             if c.cleaned_data and not c.cleaned_data.get("DELETE") and "rule" in c.cleaned_data]
    return {form.cleaned_data.get("match") or "all": rules} if rules else {}


def _design(form: JourneyForm, conditions, steps, found: design.Design | None) -> design.Design:
    data = form.cleaned_data
    chosen = [(s.cleaned_data["action"], s.config()) for s in steps.ordered_forms] if steps is not None else found.steps
    return design.Design(
        name=data["name"], description=data.get("description", ""), trigger=data["trigger"],
        trigger_config=form.trigger_config(), segment=data.get("segment") or "", audience=_audience(form, conditions),
        holdout_share=Decimal(data["holdout_percent"]) / 100, conversion_days=data["conversion_days"],
        steps=chosen, auto_winner=bool(data.get("auto_winner")),
        winner_probability=(data["winner_percent"] / 100).quantize(Decimal("0.001")), winner_minimum=data["winner_minimum"])


def _locked(journey: Journey | None) -> bool:
    return journey is not None and journey.enabled


@page("journeys")
@action("design_journey")
def design_journey(request, key: str | None = None):
    journey = get_object_or_404(Journey, key=key) if key else None
    form, conditions, steps, found = _forms(request, journey)
    locked = _locked(journey)
    if request.method == "POST":
        if locked:
            steps = StepFormSet(initial=[StepForm.initial_of(a, c) for a, c in found.steps], prefix="steps",
                                form_kwargs={"templates": _templates(), "rewards": design.rewards()})
        valid = form.is_valid() and conditions.is_valid() and (locked or steps.is_valid())
        if valid:
            chosen = _design(form, conditions, None if locked else steps, found)
            if locked:
                chosen.trigger, chosen.trigger_config = found.trigger, found.trigger_config
            try:
                saved = design.save(key, chosen, actor=request.user)
            except PatronError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("%(name)s is saved.") % {"name": saved.name_in(get_language() or "en")})
                return HttpResponseRedirect(reverse("dashboard:edit_journey", args=[saved.key]))
    context = {"journey": journey, "form": form, "conditions": conditions, "steps": steps, "locked": locked,
               "state": journeys.state(journey) if journey else "off", "nested": getattr(form, "nested", False),
               "field_kinds": {name: {"kind": f.kind, "ops": KIND_OPERATORS[f.kind]} for name, f in FIELDS.items()},
               "words": {"yes": _("yes"), "no": _("no"), "unknown": _("unknown (never asked)"),
                         "number": _("a number"), "age": _("days"), "ratio": _("times their rhythm"),
                         "text": _("one value, or several separated by commas"), "set": _("names, separated by commas"),
                         "unreachable": _("The count could not be reached; check the connection.")}}
    errors = form.errors or conditions.total_error_count() or (not locked and steps.is_bound and steps.total_error_count())
    return render(request, "dashboard/journey_design.html", context, status=400 if request.method == "POST" and errors else 200)


@page("journeys")
@action("design_journey")
@require_POST
def audience_count(request):
    """The live count as the audience is edited: the designer's form posted whole, counted on the server."""
    form = JourneyForm(request.POST)
    conditions = ConditionFormSet(request.POST, prefix="audience")
    form.is_valid()  # the count needs only the segment and the match
    if not conditions.is_valid():
        problems = [str(e) for c in conditions.forms for errors in c.errors.values() for e in errors]
        return JsonResponse({"error": problems[0] if problems else _("Check the conditions.")}, status=400)
    segment = form.cleaned_data.get("segment") or ""
    try:
        found = design.audience_count(segment, _audience(form, conditions))
    except PatronError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse({"count": found, "text": _("%(count)s customers match now.") % {
        "count": number_format(found, force_grouping=True)}})
