"""The message designer's pages: every message with the state of each language, one message's language as a
form beside a live preview (desktop and phone, as a chosen customer), save, reset to the built-in text."""

from babel import Locale
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.core.errors import NotFound, PatronError
from patron.dashboard.forms import BrandForm, MessageTextForm, NewMessageForm, customer_by_id_or_email
from patron.dashboard.roles import action, page
from patron.messaging import brand, content, texts
from patron.messaging.render import preview_subject


RESERVED = ("new", "brand")  # the pages beside the messages: no message takes their names


def _language_names() -> dict[str, str]:
    """Each language's name in the staff member's language, as a sentence writes it (lietuvių, latviešu)."""
    staff = Locale.parse((get_language() or "en").split("-")[0])
    return {code: staff.languages.get(code, code) for code in texts.languages()}


def _email_page(response):
    """The preview frames show email HTML, which keeps its styles inline (mail clients ignore style sheets), and
    a catalogue's product images: the frames inherit the page's Content-Security-Policy, so these pages allow
    inline styles and https images, and nothing else more."""
    response._csp_update = {"style-src": ["'unsafe-inline'"], "img-src": ["https:"]}
    return response


def _versions(key: str):
    try:
        return texts.versions(key)
    except NotFound:
        raise Http404(key) from None


@page("messages")
def messages_page(request):
    names = _language_names()
    rows = []
    for key in texts.keys():
        found = texts.versions(key)
        rows.append({"key": key, "subject": preview_subject(key, get_language() or "en"), "purpose": content.purpose_of(key),
                     "languages": [(lang, names[lang], v.source) for lang, v in found.items() if lang in names],
                     "warnings": len(texts.warnings(key, found))})
    return render(request, "dashboard/messages.html", {"rows": rows})


def _warnings(key: str, found, names) -> list[str]:
    fallback = names.get(content.primary(settings.PATRON_DEFAULT_LANGUAGE)) or names["en"]
    shown = []
    for language, problem, detail in texts.warnings(key, found):
        if problem == "missing":
            shown.append(capfirst(_("%(language)s: no text yet; these customers get it in %(fallback)s.") % {
                "language": names.get(language, language), "fallback": fallback}))
        else:
            shown.append(capfirst(_("%(language)s lacks {{ %(name)s }}, which the other languages have.") % {
                "language": names.get(language, language), "name": detail}))
    return shown


@page("messages")
def message_page(request, key: str):
    found = _versions(key)
    names = _language_names()
    language = request.GET.get("lang") or content.primary(get_language() or "en")
    if language not in found:
        language = "en"
    version = found[language]
    customer = customer_by_id_or_email(request.GET.get("customer", ""))
    form = MessageTextForm(initial={name: getattr(version, name) for name in texts.FIELDS})
    return _message_form(request, key, found, names, language, form, customer)


def _message_form(request, key, found, names, language, form, customer, status=200):
    version = found[language]
    try:
        shown = texts.preview(key, language, form.cleaned_data if form.is_bound and form.is_valid() else None, customer)
    except PatronError:
        shown = None
    context = {"key": key, "language": language, "language_name": names[language], "version": version,
               "tabs": [(lang, names[lang], v.source) for lang, v in found.items() if lang in names],
               "form": form, "preview": shown, "customer": customer, "customer_given": request.GET.get("customer", ""),
               "warnings": _warnings(key, found, names), "purpose": content.purpose_of(key),
               "sms_count": _sms_count(shown.sms) if shown else "",
               "placeholders": sorted(texts.placeholders(" ".join(
                   v.subject + " " + v.text for v in found.values() if v.source != "missing")))}
    return _email_page(render(request, "dashboard/message.html", context, status=status))


@page("messages")
@action("edit_message")
@require_POST
def save_message(request, key: str, language: str):
    found = _versions(key)
    names = _language_names()
    if language not in found:
        raise Http404(language)
    back = reverse("dashboard:message", args=[key]) + f"?lang={language}"
    if request.POST.get("do") == "reset":
        if texts.reset(key, language, actor=request.user):
            messages.success(request, capfirst(_("%(language)s is back to the built-in text.") % {"language": names[language]}))
        return HttpResponseRedirect(back)
    form = MessageTextForm(request.POST)
    if form.is_valid():
        try:
            texts.save(key, language, form.cleaned_data, actor=request.user)
        except PatronError as exc:
            form.add_error(exc.details.get("field") if exc.details.get("field") in form.fields else None, exc.message)
        else:
            messages.success(request, capfirst(_("%(language)s is saved.") % {"language": names[language]}))
            return HttpResponseRedirect(back)
    customer = customer_by_id_or_email(request.GET.get("customer", ""))
    return _message_form(request, key, found, names, language, form, customer, status=400)


@page("messages")
@action("edit_message")
@require_POST
def preview_message(request, key: str, language: str):
    """The live preview: the draft in the form, rendered as the chosen customer would get it."""
    _versions(key)
    form = MessageTextForm(request.POST)
    if not form.is_valid():
        problems = [f"{form.fields[name].label}: {e}" for name, errors in form.errors.items() for e in errors]
        return JsonResponse({"error": problems[0]}, status=400)
    try:
        shown = texts.preview(key, language, form.cleaned_data, customer_by_id_or_email(request.POST.get("customer", "")))
    except PatronError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse({"subject": shown.subject, "html": shown.html, "text": shown.text, "sms": shown.sms,
                         "sms_count": _sms_count(shown.sms), "size": len(shown.html.encode())})


def _sms_count(sms: str) -> str:
    characters, parts, unicode = texts.sms_parts(sms)
    if not parts:
        return ""
    shown = _("%(characters)s characters, %(parts)s SMS") % {"characters": characters, "parts": parts}
    return shown + (" " + _("(letters beyond the basic alphabet: 70 characters to an SMS)") if unicode else "")


@page("messages")
@action("edit_message")
def new_message(request):
    language = content.primary(get_language() or "en")
    language = language if language in texts.languages() else "en"
    form = NewMessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key = form.cleaned_data["key"]
        if key in texts.keys() or key in RESERVED:
            form.add_error("key", _("A message of that name exists already."))
        else:
            try:
                texts.save(key, language, form.cleaned_data, actor=request.user)
            except PatronError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("%(name)s is saved.") % {"name": key})
                return HttpResponseRedirect(reverse("dashboard:message", args=[key]) + f"?lang={language}")
    return render(request, "dashboard/message_new.html", {"form": form, "language_name": _language_names()[language]},
                  status=400 if form.errors else 200)


def _brand_form(request, form, status=200):
    language = content.primary(get_language() or "en")
    shown = texts.preview("winback", language if language in texts.languages() else "en")
    return _email_page(render(request, "dashboard/brand.html", {"form": form, "preview": shown}, status=status))


@page("messages")
def brand_page(request):
    """The shop's look in its emails, with a sample email in it."""
    initial = {**brand.current(), **{k: v for k, v in brand.saved().items() if k not in ("colour", "background")}}
    return _brand_form(request, BrandForm(initial=initial, defaults=brand.defaults()))


@page("messages")
@action("edit_brand")
@require_POST
def save_brand(request):
    form = BrandForm(request.POST, defaults=brand.defaults())
    if form.is_valid():
        try:
            brand.save(form.cleaned_data, actor=request.user)
        except PatronError as exc:
            field = exc.details.get("field")
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The brand is saved; every email from now on takes it."))
            return HttpResponseRedirect(reverse("dashboard:brand"))
    return _brand_form(request, form, status=400)
