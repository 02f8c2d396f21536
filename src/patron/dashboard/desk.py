"""The service desk's pages: the queue with its filters and SLA countdowns, and a ticket with its whole thread
written as sentences, the reply (canned replies in the customer's language), the internal note, the recovery
gesture picked by the reward's name, and the customer's value, segment and risk beside it."""

from babel import Locale
from babel.numbers import format_currency, format_percent
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.core.errors import PatronError
from patron.core.names import staff_language
from patron.dashboard import queries
from patron.dashboard.forms import NoteForm, PriorityForm, ReplyForm, ResolveForm
from patron.dashboard.labels import label, priority_reasons
from patron.dashboard.roles import action, page
from patron.loyalty.models import Program, Reward
from patron.messaging import tickets as ticket_mail
from patron.service import canned
from patron.service import services as service
from patron.service.models import Priority, Ticket, TicketEvent


@page("service")
def queue(request):
    chosen = {name: request.GET.get(name, "") for name in ("status", "priority", "assignee")}
    rows = queries.ticket_queue(after=request.GET.get("after", ""), user=request.user, **chosen)
    for ticket in rows.rows:
        ticket.reasons = priority_reasons(ticket.priority_reason)
        ticket.sla = _countdown(ticket.sla)
    return render(request, "dashboard/service.html", {
        "page_rows": rows, "chosen": chosen, "statuses": [(s, label("ticket", s)) for s in Ticket.Status.values],
        "priorities": [(p, label("priority", p)) for p in reversed(Priority.values)]})


def _countdown(sla: dict) -> dict:
    """The SLA state with the business time left as hours and minutes."""
    left = sla.get("minutes_left")
    if left is not None and left >= 0:
        sla = {**sla, "hours": int(left // 60), "minutes": int(left % 60)}
    return sla


def _value(reward: Reward) -> str:
    if reward.kind == Reward.Kind.DISCOUNT_PERCENT:
        return format_percent(reward.value / 100, locale=staff_language())
    if reward.kind == Reward.Kind.DISCOUNT_AMOUNT:
        return format_currency(reward.value, reward.program.currency, locale=staff_language())
    return label("reward_kind", reward.kind)


def _rewards() -> list[tuple[str, str]]:
    """The rewards an agent may give as an apology, by name with their value: the first program's coupons."""
    program = Program.objects.order_by("pk").first()
    if program is None:
        return []
    found = Reward.objects.filter(program=program, kind__in=[Reward.Kind.DISCOUNT_PERCENT, Reward.Kind.DISCOUNT_AMOUNT,
                                                             Reward.Kind.FREE_PRODUCT, Reward.Kind.GIFT])
    return [(str(r.pk), f"{r.name_in(staff_language())} · {_value(r)}") for r in found.select_related("program").order_by("name")]


def _said(event: TicketEvent) -> str:
    """What happened, as a sentence in the staff member's language."""
    who = event.author or _("Patron")
    if event.kind == TicketEvent.Kind.STATUS:
        before, _sep, after = event.body.partition(" to ")
        return _("%(who)s changed the status from %(before)s to %(after)s.") % {
            "who": who, "before": label("ticket", before), "after": label("ticket", after)}
    if event.kind == TicketEvent.Kind.PRIORITY:
        return _("%(who)s changed the priority from %(before)s to %(after)s.") % {
            "who": who, "before": label("priority", event.payload.get("from")), "after": label("priority", event.payload.get("to"))}
    if event.kind == TicketEvent.Kind.ASSIGNED:
        if event.body == "unassigned":
            return _("%(who)s left the ticket to nobody.") % {"who": who}
        if event.body == event.author:
            return _("%(who)s took the ticket.") % {"who": who}
        return _("%(who)s gave the ticket to %(whom)s.") % {"who": who, "whom": event.body}
    if event.kind == TicketEvent.Kind.ESCALATED:
        return _("Most of the SLA target's time is used: the ticket was escalated.")
    if event.kind == TicketEvent.Kind.BREACHED:
        return _("The SLA target was missed.")
    if event.kind == TicketEvent.Kind.GESTURE:
        if "points" in event.payload:
            return _("%(who)s gave %(points)s goodwill points as an apology.") % {"who": who, "points": event.payload["points"]}
        return _("%(who)s gave the coupon %(code)s (%(reward)s) as an apology.") % {
            "who": who, "code": event.payload.get("coupon", ""), "reward": event.payload.get("reward", "")}
    return ""


def _thread(ticket: Ticket) -> list[dict]:
    shown = []
    for event in ticket.events.order_by("at", "id"):
        kind = event.kind
        entry = {"at": event.at, "kind": kind, "author": event.author, "body": event.body}
        if kind not in (TicketEvent.Kind.CUSTOMER, TicketEvent.Kind.REPLY, TicketEvent.Kind.NOTE):
            entry["sentence"] = _said(event)
        shown.append(entry)
    return shown


def _ticket_page(request, ticket: Ticket, forms: dict | None = None, status: int = 200):
    agent = request.user.get_full_name() or request.user.get_username()
    forms = forms or {}
    person = ticket.customer
    score = getattr(person, "score", None) if person else None
    context = {
        "ticket": ticket, "thread": _thread(ticket), "sla": _countdown(service.sla_state(ticket)),
        "reasons": priority_reasons(ticket.priority_reason), "canned": canned.replies(ticket, agent),
        "reply_form": forms.get("reply") or ReplyForm(), "note_form": forms.get("note") or NoteForm(),
        "resolve_form": forms.get("resolve") or ResolveForm(rewards=_rewards()),
        "priority_form": PriorityForm(initial={"priority": ticket.priority}),
        "person": person, "score": score,
        "reply_language": Locale.parse(staff_language()).languages.get(canned.language_of(ticket), canned.language_of(ticket)),
        "clv": format_currency(score.clv_12m, settings.PATRON_REPORTING_CURRENCY, locale=staff_language())
        if score is not None and score.clv_12m is not None else "",
        "risk": format_percent(score.churn_risk, locale=staff_language()) if score is not None and score.churn_risk is not None else "",
    }
    return render(request, "dashboard/ticket.html", context, status=status)


@page("service")
def ticket_page(request, ticket_id: int):
    ticket = get_object_or_404(Ticket.objects.select_related("customer", "customer__score", "assigned_to", "policy"),
                               pk=ticket_id)
    return _ticket_page(request, ticket)


def _done(request, ticket: Ticket, text: str):
    messages.success(request, text)
    return HttpResponseRedirect(reverse("dashboard:ticket", args=[ticket.pk]))


@page("service")
@action("work_ticket")
@require_POST
def work_ticket(request, ticket_id: int, verb: str):
    ticket = get_object_or_404(Ticket.objects.select_related("customer", "customer__score"), pk=ticket_id)
    by = request.user.get_username()
    agent = request.user.get_full_name() or by
    forms = {"reply": ReplyForm, "note": NoteForm, "resolve": lambda data: ResolveForm(data, rewards=_rewards()),
             "priority": PriorityForm}
    if verb == "take":
        service.assign(ticket, request.user, by=by)
        return _done(request, ticket, _("The ticket is yours."))
    if verb not in forms:
        raise Http404(verb)
    form = forms[verb](request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if verb == "reply":
                _event, sent = ticket_mail.send_reply(ticket, data["body"], by=by, agent=agent,
                                                      wait_for_customer=data["wait"])
                return _done(request, ticket, _("The reply is sent.") if sent else
                             _("The reply is recorded; the requester is not a customer with an email address, so write to them yourself."))
            if verb == "note":
                service.add_note(ticket, data["body"], by=by)
                return _done(request, ticket, _("The note is kept on the ticket; the customer does not see it."))
            if verb == "priority":
                service.set_priority(ticket, data["priority"], by=by)
                return _done(request, ticket, _("The priority is changed."))
            service.resolve(ticket, by=by, gesture=form.chosen_gesture(), note=data.get("note", ""))
            return _done(request, ticket, _("The ticket is resolved."))
        except PatronError as exc:
            form.add_error(None, exc.message)
    return _ticket_page(request, ticket, {verb: form}, status=400)
