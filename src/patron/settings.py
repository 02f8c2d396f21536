"""Patron's settings: the one place that reads the environment.

Every knob is an environment variable named in docs/operations.md; tests override them
with pytest-django's `settings` fixture or by setting the variable before Django starts.
"""

import os
import re
import secrets
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
        raise ImproperlyConfigured(f"{name} must be true or false, not {os.environ[name]!r}")
    return value in {"1", "true", "yes", "on"}


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isdigit() or int(value) < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}, not {value!r}")
    return int(value)


def env_seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip() or str(default)
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 3600:
        raise ImproperlyConfigured(f"{name} must be a number of seconds above 0 (at most 3600), not {value!r}")
    return seconds


def env_hour(name: str, default: int) -> int:
    value = env_int(name, default)
    if value > 23:
        raise ImproperlyConfigured(f"{name} must be an hour of the day, 0 to 23, not {value}")
    return value


def env_quiet_hours(name: str, default: str) -> str:
    """'21-8' (local hours from-to, 0-23) or blank for none."""
    value = os.environ.get(name, default).strip()
    start, dash, end = value.partition("-")
    if value and not (dash and start.isdigit() and end.isdigit() and int(start) < 24 and int(end) < 24):
        raise ImproperlyConfigured(f"{name} must be two hours 0-23 like 21-8, or blank for none; not {value!r}")
    return value


def env_colour(name: str, default: str) -> str:
    value = env(name, default).strip()
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ImproperlyConfigured(f"{name} must be a colour written #RRGGBB (as #1d4ed8), not {value!r}")
    return value.lower()


def env_address(name: str) -> str:
    """An https (or http) address for the emails to link or load, or nothing."""
    value = env(name).strip()
    if value and not re.fullmatch(r"https?://[^\s\"'<>]+", value):
        raise ImproperlyConfigured(f"{name} must be an address starting with https://, not {value!r}")
    return value


def env_timezone(name: str, default: str) -> str:
    value = os.environ.get(name, default).strip()
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name} must be an IANA time zone such as Europe/Vilnius, not {value!r}") from None
    return value


def env_currency(name: str, default: str) -> str:
    """An ISO 4217 code a shop is paid in (as EUR or GEL)."""
    from patron.core.money import is_currency  # Babel's list; no Django

    value = env(name, default).strip().upper()
    if not is_currency(value):
        raise ImproperlyConfigured(f"{name} must be an ISO 4217 currency code such as EUR or GEL, not {value!r}")
    return value


PATRON_HOME = Path(env("PATRON_HOME", "./.patron")).resolve()
PATRON_HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """PATRON_SECRET_KEY, or a key made once and kept in PATRON_HOME so sessions survive restarts."""
    if key := env("PATRON_SECRET_KEY"):
        return key
    path = PATRON_HOME / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("PATRON_DEBUG")
ALLOWED_HOSTS = [h for h in env("PATRON_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("PATRON_CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "anymail",
    "patron.core",
    "patron.customers",
    "patron.commerce",
    "patron.insights",
    "patron.loyalty",
    "patron.segments",
    "patron.messaging",
    "patron.campaigns",
    "patron.connectors",
    "patron.feedback",
    "patron.service",
    "patron.api",
    "patron.dashboard",
    "patron.portal",
    "patron.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "patron.dashboard.middleware.StaffLanguageMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]
# Requests under /api/ (JSON for systems, a bearer key each: no session, cookie, form or page) pass
# through these alone; patron.wsgi routes them. Sessions, CSRF, sign-in, messages, language and CSP
# serve the pages and would cost the API about a fifth of its time per request.
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a login while its username and address are locked out
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "dashboard:home"

ROOT_URLCONF = "patron.urls"
WSGI_APPLICATION = "patron.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Patron's own versions of templates an installed app ships (the admin's frame, with the favicon).
        "DIRS": [Path(__file__).resolve().parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "patron.dashboard.roles.context",
            ],
        },
    },
]


def _databases() -> dict:
    url = env("DATABASE_URL")
    if url:
        db = dj_database_url.parse(url, conn_max_age=60)
        if db["ENGINE"] == "django.db.backends.postgresql" and env_bool("PATRON_DB_PREPARED", True):
            # Values travel apart from the SQL, and a statement run twice on a connection is prepared there,
            # so PostgreSQL parses and plans it once (about a third of its work on an order). A pooler
            # in transaction mode (PgBouncer before 1.21) cannot keep prepared statements: turn this off there.
            db.setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 2})
    else:
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(PATRON_HOME / "patron.sqlite3")}
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the dashboard read while an import or the worker writes; IMMEDIATE takes
        # the write lock at BEGIN so two writers queue instead of failing half-way.
        db.setdefault("OPTIONS", {}).update(
            {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
                "transaction_mode": "IMMEDIATE",
            }
        )
        # Tests get a file, not memory: the analytics read the store through a connection of their own.
        db.setdefault("TEST", {}).setdefault("NAME", str(Path(db["NAME"]).with_name("test_" + Path(db["NAME"]).name)))
    return {"default": db}


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LOCALE_PATHS = [BASE_DIR / "locale"]  # the dashboard's catalogs; compiled by `make install` (pybabel compile)
LANGUAGES = [
    ("en", "English"),
    ("lt", "Lietuvių"),
    ("lv", "Latviešu"),
    ("et", "Eesti"),
    ("ka", "ქართული"),
]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = PATRON_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# The app serves its own static files (admin, charts): no build step, no CDN.
WHITENOISE_USE_FINDERS = True

# Mail goes out over SMTP; the console backend when no host is configured.
EMAIL_HOST = env("PATRON_SMTP_HOST")
EMAIL_PORT = env_int("PATRON_SMTP_PORT", 25, minimum=1)
EMAIL_HOST_USER = env("PATRON_SMTP_USER")
EMAIL_HOST_PASSWORD = env("PATRON_SMTP_PASSWORD")
EMAIL_USE_TLS = env_bool("PATRON_SMTP_STARTTLS")
EMAIL_USE_SSL = env_bool("PATRON_SMTP_SSL")
DEFAULT_FROM_EMAIL = env("PATRON_FROM_EMAIL", "patron@localhost")
# Every outside call gives up in time: a mail server or gateway that accepts and never answers must
# not hold a request thread or the worker. SMTP: for connecting and for each reply.
EMAIL_TIMEOUT = env_seconds("PATRON_SMTP_TIMEOUT", 10)
# HTTP (the SMS gateway, webhooks, shop APIs): to connect, and to wait for each read.
PATRON_HTTP_CONNECT_TIMEOUT = env_seconds("PATRON_HTTP_CONNECT_TIMEOUT", 5)
PATRON_HTTP_READ_TIMEOUT = env_seconds("PATRON_HTTP_READ_TIMEOUT", 20)
# A provider's backend (e.g. anymail.backends.mailgun.EmailBackend from django-anymail) by its dotted path.
EMAIL_BACKEND = env("PATRON_EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "patron.messaging.channels.NoMailServer"  # `patron demo` prints mail to the console instead
)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("PATRON_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_AGE = env_int("PATRON_SESSION_HOURS", 12, minimum=1) * 3600  # staff sign in again after this
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Pages load scripts, styles and images from the app itself only: no inline code, no third party.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Login throttling (django-axes): after this many failed logins for one username from one address,
# that pair is locked out for PATRON_LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env_int("PATRON_LOGIN_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("PATRON_LOGIN_LOCKOUT_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "dashboard/locked_out.html"
AXES_VERBOSE = False

# Patron's own settings.
PATRON_DEFAULT_CURRENCY = env("PATRON_DEFAULT_CURRENCY", "EUR").upper()
# Reports, KPIs, CLV and the dashboard count money in this currency, each order converted at its day's rate.
PATRON_REPORTING_CURRENCY = env_currency("PATRON_REPORTING_CURRENCY", "EUR")
# A rate serves the days after it for this long (weekends, holidays, the weeks since the last rates were loaded);
# an order further from any rate has none, and reports leave it out and say so.
PATRON_RATE_MAX_AGE_DAYS = env_int("PATRON_RATE_MAX_AGE_DAYS", 45, minimum=1)
# An order this many days after a click on a message's link is the message's revenue (beside the held-out uplift).
PATRON_ATTRIBUTION_DAYS = env_int("PATRON_ATTRIBUTION_DAYS", 5, minimum=1)
# A 1x1 image in each email that records when it is first opened; off: see messaging.clicks for why.
PATRON_TRACK_OPENS = env_bool("PATRON_TRACK_OPENS", False)
PATRON_IMPORT_BATCH_ROWS = env_int("PATRON_IMPORT_BATCH_ROWS", 50000, minimum=1)

# Messaging: who the shop is, where its links point, and the pressure customers are under.
PATRON_SHOP_NAME = env("PATRON_SHOP_NAME", "Patron Shop")
# The shop's look in its emails: its logo (an https address the mail client loads), the colour of buttons and
# codes, the page behind the card, the fonts, the address the footer gives, where the logo and a button lead,
# and where replies go.
PATRON_BRAND_LOGO_URL = env_address("PATRON_BRAND_LOGO_URL")
PATRON_BRAND_COLOUR = env_colour("PATRON_BRAND_COLOUR", "#1d4ed8")
PATRON_BRAND_BACKGROUND = env_colour("PATRON_BRAND_BACKGROUND", "#f4f4f1")
PATRON_BRAND_FONTS = env("PATRON_BRAND_FONTS", "Helvetica, Arial, sans-serif").replace('"', "'")
PATRON_SHOP_ADDRESS = env("PATRON_SHOP_ADDRESS")  # the postal address marketing mail must carry
PATRON_SHOP_URL = env_address("PATRON_SHOP_URL")
PATRON_REPLY_TO = env("PATRON_REPLY_TO")
# The service desk's address, which the mail server pipes to `patron service inbound`: an agent's reply is sent with
# a Reply-To of this address and the ticket's secret, so the customer's answer joins the ticket.
PATRON_SERVICE_ADDRESS = env("PATRON_SERVICE_ADDRESS")
# The mail provider's event webhooks (/mail/events/<provider>/: Brevo, Mailgun, Amazon SES, Postmark) suppress
# bounced and complaining addresses; off until the secret ("user:password", sent as HTTP basic auth) is set.
PATRON_MAIL_WEBHOOK_SECRET = env("PATRON_MAIL_WEBHOOK_SECRET")
PATRON_MAILGUN_WEBHOOK_SIGNING_KEY = env("PATRON_MAILGUN_WEBHOOK_SIGNING_KEY")  # Mailgun signs its calls too
ANYMAIL = {"WEBHOOK_SECRET": PATRON_MAIL_WEBHOOK_SECRET or None,
           "MAILGUN_WEBHOOK_SIGNING_KEY": PATRON_MAILGUN_WEBHOOK_SIGNING_KEY or None}
PATRON_BASE_URL = env("PATRON_BASE_URL", "http://localhost:8000").rstrip("/")
PATRON_DEFAULT_LANGUAGE = env("PATRON_DEFAULT_LANGUAGE", "en")  # when a customer's language has no text
PATRON_DEFAULT_TIMEZONE = env_timezone("PATRON_DEFAULT_TIMEZONE", "UTC")  # for customers with neither a time zone nor a country
# The worker's daily runs start at these local hours of the shop (no cron): the loyalty run, then the scores.
PATRON_SHOP_TIMEZONE = env_timezone("PATRON_SHOP_TIMEZONE", PATRON_DEFAULT_TIMEZONE)
PATRON_LOYALTY_DAILY_HOUR = env_hour("PATRON_LOYALTY_DAILY_HOUR", 2)
PATRON_SCORE_HOUR = env_hour("PATRON_SCORE_HOUR", 3)
PATRON_RECONCILE_HOUR = env_hour("PATRON_RECONCILE_HOUR", 4)
PATRON_FREQUENCY_CAP = env_int("PATRON_FREQUENCY_CAP", 3)  # marketing messages per customer, all channels...
PATRON_FREQUENCY_CAP_DAYS = env_int("PATRON_FREQUENCY_CAP_DAYS", 7, minimum=1)  # ...in this many days
PATRON_QUIET_HOURS = env_quiet_hours("PATRON_QUIET_HOURS", "21-8")  # local hours when marketing waits; blank: none
PATRON_SMS_GATEWAY_URL = env("PATRON_SMS_GATEWAY_URL")  # SMS as JSON POSTs to this HTTP gateway
PATRON_SMS_GATEWAY_TOKEN = env("PATRON_SMS_GATEWAY_TOKEN")
PATRON_WEBHOOK_URL = env("PATRON_WEBHOOK_URL")  # the webhook channel: each message POSTed as JSON
# The form of address per language where the shop wants other than the culture's default (formal):
# e.g. "et=informal,lv=informal".
PATRON_ADDRESS_FORMS = env("PATRON_ADDRESS_FORMS")
# Marketing waits out the public holidays of the customer's country (greetings made for the day excepted).
PATRON_HOLIDAY_PAUSE = env_bool("PATRON_HOLIDAY_PAUSE", True)

# The member portal: sign-in links, the shop's signed tokens, sessions and the embeddable widget.
PATRON_PORTAL_LINK_MINUTES = env_int("PATRON_PORTAL_LINK_MINUTES", 15, minimum=1)  # a sign-in link lives this long
PATRON_PORTAL_LINKS_PER_HOUR = env_int("PATRON_PORTAL_LINKS_PER_HOUR", 5, minimum=1)  # per email address...
PATRON_PORTAL_LINKS_PER_HOUR_PER_CLIENT = env_int("PATRON_PORTAL_LINKS_PER_HOUR_PER_CLIENT", 20, minimum=1)  # ...and per client address
PATRON_PORTAL_SESSION_MINUTES = env_int("PATRON_PORTAL_SESSION_MINUTES", 60, minimum=1)  # signed out after this long idle
PATRON_PORTAL_SHOP_SECRET = env("PATRON_PORTAL_SHOP_SECRET")  # the HMAC key shared with the shop; blank: no shop sign-in
PATRON_REFERRAL_URL = env("PATRON_REFERRAL_URL")  # the shop's sign-up page with {code}, e.g. https://shop.example/join?ref={code}
PATRON_PORTAL_SHOP_ORIGINS = [o for o in env("PATRON_PORTAL_SHOP_ORIGINS").split(",") if o]  # sites that may embed the widget

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("PATRON_LOG_LEVEL", "WARNING")},
}
