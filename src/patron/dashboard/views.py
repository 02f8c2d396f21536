"""The staff pages: each reads a snapshot or a keyset page, and renders. Writes go through the services."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.http import require_POST

from patron.campaigns import services as journeys
from patron.campaigns import variants
from patron.campaigns.models import Journey
from patron.connectors import services as connectors
from patron.core.errors import PatronError
from patron.customers import services as customer_services
from patron.customers.models import Customer
from patron.dashboard import charts, labels, queries, services
from patron.dashboard.forms import (CorrectionForm, EraseForm, GrantForm, JourneyTestForm, LanguageForm, ShopifyForm,
                                    WooCommerceForm)
from patron.dashboard.roles import action, context, page
from patron.dashboard import snapshots
from patron.insights import risk
from patron.loyalty import services as loyalty
from patron.messaging.render import preview_subject


def _snapshot_page(name: str, shape=lambda data: {}):
    """A page drawn from one snapshot: `shape` turns its data into the template's context."""
    @page(name)
    def view(request):
        found = snapshots.read(name)
        context = {**snapshots.age(found), "data": found.data, **shape(found.data)} if found else {}
        return render(request, f"dashboard/{name}.html", context)
    view.__name__ = name
    return view


overview = _snapshot_page("overview", lambda data: {
    "cards": charts.kpi_cards(data), "period": data["current"], "activity": charts.activity_chart(data["monthly"]),
    "currency": data.get("currency", ""), "left_out": charts.left_out(data)})
cohorts = _snapshot_page("cohorts", lambda data: {"heatmap": charts.cohort_heatmap(data)})
segments = _snapshot_page("segments", lambda data: {"chart": charts.segment_chart(data)})
matrix = _snapshot_page("matrix", lambda data: {"matrix": charts.loyalty_matrix(data)})
loyalty_page = _snapshot_page("loyalty")


@page("journeys")
def journeys_page(request):
    found = snapshots.read("journeys")
    context = {"rows": queries.journeys(found.data if found else None), "chart": charts.funnel_chart(found.data) if found else {}}
    if found:
        context.update(snapshots.age(found), data=found.data)
    return render(request, "dashboard/journeys.html", context)


feedback = _snapshot_page("feedback", lambda data: {"chart": charts.feedback_chart(data)})


@page("at_risk")
def at_risk(request):
    found, threshold = queries.at_risk(after=request.GET.get("after", ""))
    return render(request, "dashboard/at_risk.html", {
        "page_rows": found, "threshold": threshold, "p_alive": risk.AT_RISK_P_ALIVE, "churn": risk.AT_RISK_CHURN, "grant_form": GrantForm(),
        "programs": queries.programs(), "chosen": labels.backtest_choices(risk.backtest_choices())})


@page("customers")
def customers(request):
    search = request.GET.get("q", "")
    return render(request, "dashboard/customers.html", {
        "page_rows": queries.customers(after=request.GET.get("after", ""), search=search), "search": search})


@page("customer")
def customer(request, customer_id: int):
    person = get_object_or_404(Customer, pk=customer_id, erased_at__isnull=True)
    return render(request, "dashboard/customer.html", {
        "customer": person, **queries.customer_picture(person), "grant_form": GrantForm(), "erase_form": EraseForm(),
        "programs": queries.programs()})


def _adjust(request, person: Customer, form):
    """A grant or a correction through the ledger's one service; its refusal becomes the form's error."""
    if form.is_valid():
        try:
            loyalty.adjust(form.cleaned_data["program"], person, form.cleaned_data["points"],
                           reason=form.cleaned_data["reason"], actor=request.user)
        except PatronError as exc:
            form.add_error(None, exc.message)
    return form


def _back_to_customer(request, person: Customer, form, done: str):
    if form.errors:
        for error in form.errors.values():
            messages.error(request, " ".join(error))
    else:
        messages.success(request, done % {"points": form.cleaned_data["points"]})
    return HttpResponseRedirect(reverse("dashboard:customer", args=[person.pk]))


@page("customer")
@action("grant_points")
@require_POST
def grant_points(request, customer_id: int):
    person = get_object_or_404(Customer, pk=customer_id, erased_at__isnull=True)
    form = _adjust(request, person, GrantForm(request.POST))
    if request.headers.get("HX-Request"):
        done = form.is_bound and not form.errors
        return render(request, "dashboard/_grant.html", {
            "customer": person, "grant_form": GrantForm() if done else form, "granted": form.cleaned_data if done else None,
            "programs": queries.programs()})
    return _back_to_customer(request, person, form, _("%(points)s points granted."))


@page("customer")
@action("correct_points")
@require_POST
def correct_points(request, customer_id: int):
    person = get_object_or_404(Customer, pk=customer_id, erased_at__isnull=True)
    form = _adjust(request, person, CorrectionForm(request.POST))
    return _back_to_customer(request, person, form, _("Balance corrected by %(points)s points."))


@page("customer")
@action("export_customer")
@require_POST
def export_customer(request, customer_id: int):
    person = get_object_or_404(Customer, pk=customer_id, erased_at__isnull=True)
    body = json.dumps(customer_services.export_customer(person, actor=request.user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="customer-{person.pk}.json"'
    return response


@page("customer")
@action("erase_customer")
@require_POST
def erase_customer(request, customer_id: int):
    person = get_object_or_404(Customer, pk=customer_id, erased_at__isnull=True)
    form = EraseForm(request.POST)
    if not form.is_valid() or form.cleaned_data["confirm"] != person.external_id:
        messages.error(request, _("Not erased: type the customer's external id exactly, and a reason."))
        return HttpResponseRedirect(reverse("dashboard:customer", args=[person.pk]))
    erasure = customer_services.erase_customer(person, requested_by=request.user.get_username(),
                                               reason=form.cleaned_data["reason"], actor=request.user)
    messages.success(request, _("Customer erased (erasure #%(number)s).") % {"number": erasure.pk})
    return HttpResponseRedirect(reverse("dashboard:customers"))


@page("journeys")
@action("toggle_journey")
def switch_on_journey(request, key: str):
    """Switching on asks first, with the number in front of the marketer: only customers who qualify from now
    on (the default), or also the N who qualify today."""
    journey = get_object_or_404(Journey, key=key)
    if journey.enabled:
        return HttpResponseRedirect(reverse("dashboard:journeys"))
    today = journeys.qualifying(key)
    return render(request, "dashboard/journey_on.html", {"journey": journey, "today": today,
                                                         "holdout_percent": round(journey.holdout_share * 100),
                                                         "back": request.GET.get("back") == "design"})


@page("journeys")
@action("test_journey")
def test_journey(request, key: str):
    """Send a test to me: a send step of the journey, rendered as a chosen customer would get it, to the staff
    member's own address."""
    journey = get_object_or_404(Journey, key=key)
    steps = journeys.messages_of(journey)
    numbers = {position: n for n, position in enumerate(dict.fromkeys(p for p, _v, _t in steps), start=1)}
    varied = {position for position, variant, _t in steps if variant}  # steps with variants name each one's letter
    form = JourneyTestForm(request.POST or None, steps=[
        (f"{position}:{variant}", f"{numbers[position]}. {_message_title(template)}"
         + (f" ({variants.letter(variant)})" if position in varied else ""))
        for position, variant, template in steps])
    if request.method == "POST" and form.is_valid():
        customer = form.cleaned_data["customer"]
        position, variant = (int(part) for part in form.cleaned_data["step"].split(":"))
        try:
            rendered = journeys.send_test(key, position, customer, request.user.email, variant)
        except PatronError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Sent to %(address)s: “%(subject)s”, as %(customer)s would get it (%(language)s).") % {
                "address": request.user.email, "subject": rendered.subject, "customer": customer.external_id,
                "language": rendered.language})
            return HttpResponseRedirect(reverse("dashboard:test_journey", args=[key]))
    return render(request, "dashboard/journey_test.html", {"journey": journey, "form": form, "has_steps": bool(steps)},
                  status=400 if form.errors else 200)


def _message_title(template: str) -> str:
    """A message as a marketer knows it: its subject in the page's language, with sample values."""
    return preview_subject(template, get_language() or "en") or template


JOURNEY_SWITCHES = {
    "on": (lambda key, request: journeys.enable(key, backlog=request.POST.get("enter") == "backlog", actor=request.user),
           gettext_lazy("%(name)s is on.")),
    "pause": (lambda key, request: journeys.pause(key, actor=request.user), gettext_lazy("%(name)s is paused.")),
    "resume": (lambda key, request: journeys.resume(key, actor=request.user), gettext_lazy("%(name)s goes on.")),
    "off": (lambda key, request: journeys.disable(key, actor=request.user), gettext_lazy("%(name)s is off.")),
    "winner": (lambda key, request: variants.choose(journeys.get_journey(key), request.POST.get("variant", ""), actor=request.user),
               gettext_lazy("%(name)s: every treated customer gets the winning variant from now on.")),
}


@page("journeys")
@action("toggle_journey")
@require_POST
def toggle_journey(request, key: str, verb: str):
    if verb not in JOURNEY_SWITCHES:
        raise Http404(verb)
    switch, done = JOURNEY_SWITCHES[verb]
    try:
        journey = switch(key, request)
    except PatronError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"name": journey.name_in(get_language() or "en")})
    # Switched from the journey's own page: back to it, showing its new state.
    back = "dashboard:edit_journey" if request.POST.get("back") == "design" else None
    return HttpResponseRedirect(reverse(back, args=[key]) if back else reverse("dashboard:journeys"))


def _shop_page(request, forms: dict | None = None, status: int = 200):
    forms = {"woocommerce": WooCommerceForm(), "shopify": ShopifyForm(), **(forms or {})}
    rows = queries.shop_connections()
    return render(request, "dashboard/shop.html", {
        "connections": rows, "woo_form": forms["woocommerce"], "shopify_form": forms["shopify"],
        "syncing": any(row["syncing"] for row in rows), "reads": connectors.READS, "writes": connectors.WRITES},
        status=status)


@page("shop")
def shop(request):
    return _shop_page(request)


CONNECT = {"woocommerce": (WooCommerceForm, lambda d, user: connectors.connect_woocommerce(d["url"], d["key"], d["secret"], actor=user)),
           "shopify": (ShopifyForm, lambda d, user: connectors.connect_shopify(d["shop"], d["token"], d["secret"], actor=user))}


@page("shop")
@action("connect_shop")
@require_POST
def connect_shop(request, kind: str):
    """Test the keys against the store, and keep the connection only if they work; a refusal is shown on the form."""
    if kind not in CONNECT:
        raise Http404(f"no platform {kind!r}")
    form_class, connect = CONNECT[kind]
    form = form_class(request.POST)
    if form.is_valid():
        try:
            connection = connect(form.cleaned_data, request.user)
        except PatronError as exc:
            field = exc.details.get("field")
            form.add_error(field if field in form.fields else None, _("Not connected: %(reason)s") % {"reason": exc.message})
        else:
            messages.success(request, _("%(store)s is connected. Read the shop now to bring in its history.")
                             % {"store": connection.address})
            return HttpResponseRedirect(reverse("dashboard:shop"))
    return _shop_page(request, {kind: form}, status=400)


@page("shop")
@action("manage_shop")
@require_POST
def manage_shop(request, connection_id: int, verb: str):
    try:
        connection = connectors.get_connection(connection_id)
        if verb == "test":
            store = connectors.test(connection)
            messages.success(request, _("%(store)s answers (currency %(currency)s).")
                             % {"store": connection.address, "currency": store.currency or "–"})
        elif verb == "sync":
            if connectors.start_sync(connection):
                messages.success(request, _("Reading %(store)s. This page shows how far it has come.") % {"store": connection.address})
            else:
                messages.error(request, _("%(store)s is being read already.") % {"store": connection.address})
        elif verb == "pause":
            connectors.pause(connection, actor=request.user)
            messages.success(request, _("%(store)s is paused: no coupons are written to it.") % {"store": connection.address})
        elif verb == "resume":
            connectors.resume(connection, actor=request.user)
            messages.success(request, _("%(store)s is connected again.") % {"store": connection.address})
        elif verb == "remove":
            if request.POST.get("confirm", "").strip() != connection.address:
                messages.error(request, _("Type the store's address to remove it."))
            else:
                connectors.remove(connection, actor=request.user)
                messages.success(request, _("%(store)s is removed; its keys are forgotten.") % {"store": connection.address})
        else:
            raise Http404(f"no action {verb!r}")
    except PatronError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("dashboard:shop"))


@page("audit")
def audit(request):
    return render(request, "dashboard/audit.html", {"page_rows": queries.audit_events(after=request.GET.get("after", ""))})


@login_required
@require_POST
def language(request):
    """The staff member's dashboard language, kept on their profile."""
    form = LanguageForm(request.POST)
    if form.is_valid():
        request.session["staff_language"] = services.set_language(request.user, form.cleaned_data["language"])
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("dashboard:overview")
    return HttpResponseRedirect(target)


def home(request):
    """The first page a role may open."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("dashboard:login"))
    navigation = context(request)["navigation"]
    if not navigation:
        raise PermissionDenied("this account has no staff role")
    return HttpResponseRedirect(navigation[0][2])
