"""The member portal's pages: mobile first, in the customer's language, scoped to the signed-in customer.

Every page that shows a customer's data takes the customer from the session (`@member`), never from
the URL; the only ids in URLs are those of public things (a reward of the catalogue, a plan).
"""

from __future__ import annotations

import functools
import secrets

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _, gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from patron.core.errors import InvalidInput, InvalidLink, PatronError
from patron.customers.models import Channel, ConsentEvent
from patron.customers.services import upsert_customer
from patron.loyalty import paid, setup
from patron.loyalty.models import PaidMembership
from patron.portal import auth, queries, services
from patron.portal.templatetags.portal import day, one_period

LANGUAGES = [code for code, _name in settings.LANGUAGES]
SESSION_LANGUAGE = "portal_language"
NAVIGATION = [  # (url name, label)
    ("home", gettext_lazy("Points")), ("rewards", gettext_lazy("Rewards")), ("wallet", gettext_lazy("Coupons")),
    ("history", gettext_lazy("History")), ("refer", gettext_lazy("Invite friends")), ("membership", gettext_lazy("Membership")),
    ("surveys", gettext_lazy("Your say")), ("preferences", gettext_lazy("Settings")),
]


def _language(request: HttpRequest, customer=None) -> str:
    for candidate in ((customer.language if customer else ""), request.session.get(SESSION_LANGUAGE, ""),
                      getattr(request, "LANGUAGE_CODE", ""), settings.PATRON_DEFAULT_LANGUAGE):
        primary = (candidate or "").split("-")[0].split("_")[0].lower()
        if primary in LANGUAGES:
            return primary
    return "en"


def _page(request: HttpRequest, template: str, context: dict | None = None, status: int = 200, customer=None) -> HttpResponse:
    language = _language(request, customer)
    with translation.override(language):
        nav = [(name, str(label), reverse(f"portal:{name}")) for name, label in NAVIGATION] if customer else []
        response = render(request, f"portal/{template}.html", {
            "customer": customer, "shop": settings.PATRON_SHOP_NAME, "navigation": nav, "languages": settings.LANGUAGES,
            "portal_language": language, **(context or {})}, status=status)
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    # Referrer-Policy stays same-origin (the site's): a sign-in token in a URL never reaches another site,
    # and the browser still sends this site's Origin with the page's forms (no-referrer would send "null").
    return response


def member(view):
    """The signed-in customer as `customer`, or off to the sign-in page."""
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        customer = auth.signed_in(request)
        if customer is None:
            return redirect(reverse("portal:sign_in"))
        with translation.override(_language(request, customer)):
            return view(request, customer, *args, **kwargs)
    return wrapped


# -- signing in -----------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if auth.signed_in(request) is not None:
        return redirect(reverse("portal:home"))
    email, error, status = "", "", 200
    if request.method == "POST":
        email = request.POST.get("email", "")[:300]
        with translation.override(_language(request)):
            try:
                auth.request_link(email, auth.client_address(request))
                return _page(request, "link_sent", {"email": email.strip()})
            except auth.TooManyRequests:
                error, status = _("Too many sign-in links were asked for. Please try again in an hour."), 429
            except InvalidInput:
                error, status = _("Enter your email address, e.g. name@example.com."), 422
    return _page(request, "sign_in", {"email": email, "error": error}, status=status)


@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links; they must not spend them); the POST signs in."""
    if request.method == "GET":
        if not auth.check_link(token):
            return _page(request, "link_invalid", status=400)
        return _page(request, "link", {"token": token})
    try:
        customer = auth.use_link(token)
    except InvalidLink:
        return _page(request, "link_invalid", status=400)
    auth.sign_in(request, customer)
    return redirect(reverse("portal:home"))


@require_GET
def shop(request: HttpRequest) -> HttpResponse:
    """The shop's signed link: straight into the portal (or the page named by ?page=)."""
    try:
        customer = auth.use_shop_token(request.GET)
    except InvalidLink:
        return _page(request, "link_invalid", {"from_shop": True}, status=400)
    auth.sign_in(request, customer)
    page = request.GET.get("page", "home")
    return redirect(reverse(f"portal:{page if page in dict(NAVIGATION) else 'home'}"))


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    language = _language(request, auth.signed_in(request))
    auth.sign_out(request)
    request.session[SESSION_LANGUAGE] = language  # the signed-out page (and the next sign-in) keep it
    return _page(request, "signed_out")


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    chosen = request.POST.get("language", "")
    if chosen not in LANGUAGES:
        with translation.override(_language(request)):
            return _page(request, "sign_in", {"error": _("Choose one of the languages in the list.")}, status=422)
    request.session[SESSION_LANGUAGE] = chosen
    customer = auth.signed_in(request)
    if customer is not None:  # their messages follow the language they chose
        upsert_customer(customer.external_id, language=chosen)
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/portal/") and "//" not in back else reverse("portal:home"))


# -- the customer's pages -------------------------------------------------------------------------
@require_GET
@member
def home(request: HttpRequest, customer) -> HttpResponse:
    return _page(request, "home", {"standings": queries.standing(customer), "current": "home"}, customer=customer)


@require_GET
@member
def rewards(request: HttpRequest, customer) -> HttpResponse:
    return _page(request, "rewards", {"standings": queries.standing(customer), "current": "rewards"}, customer=customer)


@require_http_methods(["GET", "POST"])
@member
def redeem(request: HttpRequest, customer, reward_id: int) -> HttpResponse:
    reward = queries.reward_for(reward_id)
    if reward is None:
        return _page(request, "not_found", status=404, customer=customer)
    standing = next(s for s in queries.standing(customer) if s.program.pk == reward.program_id)
    error, status = "", 200
    if request.method == "POST":
        try:
            coupon, _new = services.redeem(customer, reward, request.POST.get("key", ""))
            messages.success(request, _("Done! Your coupon %(code)s is in your wallet.") % {"code": coupon.code})
            return redirect(reverse("portal:wallet") + f"#c-{coupon.pk}")
        except PatronError as exc:
            error, status = _redeem_error(exc), exc.status
    return _page(request, "redeem", {"reward": reward, "standing": standing, "key": secrets.token_urlsafe(24),
                                     "error": error, "current": "rewards"}, status=status, customer=customer)


def _redeem_error(exc: PatronError) -> str:
    return {
        "insufficient_points": _("You do not have enough points for this reward yet."),
        "reward_out_of_stock": _("Sorry, this reward has just run out."),
        "reward_not_available": _("This reward is not open to you now."),
    }.get(exc.code, _("This did not work. Please open the reward again."))


@require_GET
def reward_picture(request: HttpRequest, reward_id: int, image_hash: str) -> HttpResponse:
    """A reward's picture: public, like the catalogue it belongs to, and never changing at its address."""
    data = setup.picture_of(reward_id, image_hash)
    if data is None:
        raise Http404("no such picture")
    response = HttpResponse(bytes(data), content_type="image/webp")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@require_GET
@member
def wallet(request: HttpRequest, customer) -> HttpResponse:
    return _page(request, "wallet", {**queries.wallet(customer), "current": "wallet"}, customer=customer)


@require_GET
@member
def history(request: HttpRequest, customer) -> HttpResponse:
    try:
        before = int(request.GET["before"]) if request.GET.get("before") else None
    except ValueError:
        before = None
    rows, more = queries.history(customer, before)
    return _page(request, "history", {"movements": rows, "more": more, "current": "history"}, customer=customer)


@require_GET
@member
def refer(request: HttpRequest, customer) -> HttpResponse:
    return _page(request, "refer", {"programs": queries.referral(customer), "current": "refer"}, customer=customer)


@require_http_methods(["GET", "POST"])
@member
def preferences(request: HttpRequest, customer) -> HttpResponse:
    if request.method == "POST":
        upsert_customer(customer.external_id, consent_source=ConsentEvent.Source.PORTAL,
                        **{f"{ch}_consent": request.POST.get(ch) == "on" for ch in Channel.values})
        messages.success(request, _("Your preferences are saved."))
        return redirect(reverse("portal:preferences"))
    channels = [(ch, customer.consent_for(ch) is True) for ch in Channel.values]
    return _page(request, "preferences", {"channels": channels, "current": "preferences"}, customer=customer)


@require_GET
@member
def surveys(request: HttpRequest, customer) -> HttpResponse:
    return _page(request, "surveys", {"surveys": queries.surveys(customer), "ideas": queries.ideas(customer),
                                      "current": "surveys"}, customer=customer)


# -- paid membership ------------------------------------------------------------------------------
@require_GET
@member
def membership(request: HttpRequest, customer) -> HttpResponse:
    running = list(paid.running(customer))
    return _page(request, "membership", {
        "running": [(m, paid.save_offer(m)) for m in running], "plans": list(paid.open_plans(customer)),
        "past": list(paid.history(customer).filter(status=PaidMembership.Status.ENDED)[:10]), "current": "membership"}, customer=customer)


@require_GET
@member
def confirm_join(request: HttpRequest, customer, plan_id: int) -> HttpResponse:
    """Before anything is created: the plan, its price and period, that it renews by itself at that price until
    cancelled, and a button that says ordering means paying (EU Consumer Rights Directive, Art. 8(2))."""
    plan = paid.open_plans(customer).filter(pk=plan_id).first()
    if plan is None:
        return _page(request, "not_found", status=404, customer=customer)
    now = timezone.now()
    return _page(request, "membership_confirm", {"plan": plan, "current": "membership", "starts": now,
                                                 "first_period_end": paid.period_end(now, plan)}, customer=customer)


def _mine(customer, membership_id) -> PaidMembership | None:
    """One of the customer's own running memberships, or None: the id alone never reaches anybody else's."""
    try:
        return paid.running(customer).filter(pk=int(membership_id)).first()
    except (TypeError, ValueError):
        return None


@require_POST
@member
def membership_action(request: HttpRequest, customer, action: str) -> HttpResponse:
    try:
        if action == "join":
            plan = paid.get_plan(request.POST.get("plan"))
            if request.POST.get("confirm") != "yes":  # joined only from the page that states the price and renewal
                return redirect(reverse("portal:confirm_join", args=[plan.pk]))
            paid.join(customer, plan)
            messages.success(request, _("Welcome to %(plan)s! Your benefits apply from now.") % {
                "plan": plan.name_in(translation.get_language())})
        else:
            mine = _mine(customer, request.POST.get("membership"))
            if mine is None:
                return _page(request, "not_found", status=404, customer=customer)
            if action == "cancel":
                offer = paid.save_offer(mine)
                if offer and request.POST.get("confirm") != "yes":
                    return _page(request, "save_offer", {"membership": mine, "offer": offer, "current": "membership"},
                                 customer=customer)
                paid.cancel(mine, reason=request.POST.get("reason", ""))
                messages.success(request, one_period(_("Your membership is cancelled. Its benefits last until %(date)s.")
                                                     % {"date": day(mine.period_end)}))
            elif action == "stay":
                paid.take_save_offer(mine)
                messages.success(request, _("Thank you for staying! Your next period is %(percent)s%% off.")
                                 % {"percent": mine.plan.save_offer_percent})
            elif action == "resume":
                paid.resume(mine)
                messages.success(request, _("Your membership will renew again."))
            else:
                return _page(request, "not_found", status=404, customer=customer)
    except PatronError:
        messages.error(request, _("This did not work. Please try again."))
    return redirect(reverse("portal:membership"))


# -- the shop's widget ----------------------------------------------------------------------------
@require_GET
@xframe_options_exempt
def widget(request: HttpRequest) -> HttpResponse:
    """Balance and tier for the shop's page (in an iframe the shop's widget.js makes), with a link into
    the portal. The shop's token is read, not spent: the link spends it."""
    try:
        customer, _signature, _expires = auth.read_shop_token(request.GET)
    except InvalidLink:
        response = _page(request, "widget", {"invalid": True}, status=400)
    else:
        query = request.GET.urlencode()
        response = _page(request, "widget", {"standings": queries.standing(customer), "widget_customer": customer,
                                             "open_url": reverse("portal:shop") + "?" + query})
    response._csp_replace = {"frame-ancestors": ["'self'", *settings.PATRON_PORTAL_SHOP_ORIGINS]}
    return response
