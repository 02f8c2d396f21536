"""The program setup's pages (administrators): the program's settings with its tiers, rewards, earning rules and
paid plans listed, and a page for each of those with a preview of what a customer sees in every language. Saved
through loyalty.setup; a preview shows the values as typed and saves nothing."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patron.core.catalogs import LANGUAGES
from patron.core.errors import PatronError
from patron.core.names import staff_language
from patron.dashboard import queries
from patron.dashboard.program_forms import FORMS, PARTS, REWARD_KINDS, RULE_KINDS, ProgramForm, RewardForm, RuleForm, language_name
from patron.dashboard.roles import may_do, page
from patron.loyalty import setup
from patron.loyalty.models import Program, Tier

TITLES = {"tier": (gettext_lazy("New tier"), gettext_lazy("Tier")), "reward": (gettext_lazy("New reward"), gettext_lazy("Reward")),
          "rule": (gettext_lazy("New earning rule"), gettext_lazy("Earning rule")),
          "plan": (gettext_lazy("New paid plan"), gettext_lazy("Paid plan"))}


def _may_change(request) -> None:
    if request.method == "POST" and not may_do(request.user, "set_up_program"):
        raise PermissionDenied("this role cannot set up the program")


def _saved(request, form, thing, values: dict, **extra):
    """Save through the service; a refusal lands on the form, by field where it names one."""
    try:
        return setup.save(thing, values, actor=request.user, **extra)
    except PatronError as exc:
        field = exc.details.get("field")
        form.add_error(field if field in form.fields else None, exc.message)
        return None


@page("program")
def programs(request):
    found = list(Program.objects.order_by("pk"))
    if len(found) == 1:  # most shops: the one program, at once
        return program_page(request, found[0].pk)
    return render(request, "dashboard/programs.html", {"programs": found})


@page("program")
def program_page(request, program_id: int | None = None):
    _may_change(request)
    program = get_object_or_404(Program, pk=program_id) if program_id else None
    if request.method == "POST":
        form = ProgramForm(request.POST)
        if form.is_valid():
            saved = _saved(request, form, program or Program(), form.values())
            if saved is not None:
                messages.success(request, _("%(name)s is saved.") % {"name": saved.name_in(staff_language())})
                return HttpResponseRedirect(reverse("dashboard:program_page", args=[saved.pk]))
    else:
        form = ProgramForm(initial=ProgramForm.initial_of(program) if program else {"currency": "EUR"})
    context = {"program": program, "form": form, "others": Program.objects.exclude(pk=program_id).order_by("pk"),
               **({**queries.program_parts(program), "reward_kinds": REWARD_KINDS} if program else {})}
    return render(request, "dashboard/program.html", context, status=400 if form.errors else 200)


def _form(kind: str, program: Program, part, data=None, files=None):
    cls = FORMS[kind]
    kwargs = {"tiers": list(Tier.objects.filter(program=program).order_by("rank"))} if cls is RewardForm else {}
    if data is not None:
        return cls(data, files, **kwargs)
    initial = cls.initial_of(part) if part is not None else (RuleForm.fresh() if cls is RuleForm else {})
    return cls(initial=initial, **kwargs)


def _preview(kind: str, program: Program, part, form) -> list[tuple[str, str, str]]:
    """The part as the form has it (unsaved when previewed), as the portal shows it in each language: (language,
    its name, the page)."""
    shown = part
    if form.is_bound and form.is_valid():
        shown = PARTS[kind](program=program, **form.values())
        if part is not None:
            shown.pk, shown.image_hash = part.pk, getattr(part, "image_hash", "")
    if shown is None or kind == "rule":
        return []
    pages, names = [], {code: language_name(code) for code in LANGUAGES}  # named in the staff member's language
    for code in LANGUAGES:
        with translation.override(code):
            pages.append((code, names[code], render_to_string(
                "dashboard/_customer_sees.html", {"kind": kind, "thing": shown, "language": code})))
    return pages


@page("program")
def part_page(request, program_id: int, kind: str, part_id: int | None = None):
    """A tier, reward, earning rule or paid plan: its form and what a customer sees; "preview" shows the values as
    typed without saving them."""
    _may_change(request)
    if kind not in FORMS:
        raise Http404(kind)
    program = get_object_or_404(Program, pk=program_id)
    part = get_object_or_404(PARTS[kind], pk=part_id, program=program) if part_id else None
    if request.method == "POST":
        form = _form(kind, program, part, request.POST, request.FILES)
        if form.is_valid() and "preview" not in request.POST:
            extra = {"upload": form.cleaned_data.get("picture"), "drop_picture": form.cleaned_data.get("drop_picture", False)} \
                if kind == "reward" else {}
            thing = part if part is not None else PARTS[kind](program=program)
            saved = _saved(request, form, thing, form.values(), **extra)
            if saved is not None:
                name = saved.name_in(staff_language()) if hasattr(saved, "name_in") else RULE_KINDS.get(saved.kind, saved.kind)
                messages.success(request, _("%(name)s is saved.") % {"name": name})
                return HttpResponseRedirect(reverse("dashboard:program_page", args=[program.pk]) + f"#{kind}s")
    else:
        form = _form(kind, program, part)
    context = {"program": program, "part": part, "kind": kind, "form": form, "title": TITLES[kind][0 if part is None else 1],
               "preview": _preview(kind, program, part, form), "ended": kind == "rule" and part is not None
               and part.valid_until is not None and part.valid_until <= timezone.now()}
    return render(request, "dashboard/program_part.html", context, status=400 if form.errors else 200)
