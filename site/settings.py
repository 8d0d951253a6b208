"""Settings of Portail Famille, read from environment variables with safe demo defaults.

`PORTAIL_ENV=production` turns on the production guard: the site refuses to start without
a real SECRET_KEY, a DATABASE_URL and ALLOWED_HOSTS, or with DEBUG on.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false), not {value!r}."
    )


def env_list(name, default=""):
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


def env_number(name, default, kind=float):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return kind(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from None


ENVIRONMENTS = {"development", "test", "production"}
PORTAIL_ENV = env_str("PORTAIL_ENV", "development")
if PORTAIL_ENV not in ENVIRONMENTS:
    raise ImproperlyConfigured(f"PORTAIL_ENV must be one of {sorted(ENVIRONMENTS)}.")
PRODUCTION = PORTAIL_ENV == "production"

# A key that only the demo and the tests may use; production refuses it.
DEMO_SECRET_KEY = "demo-only-insecure-key-portail-famille-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", DEMO_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]"
)

if PRODUCTION:
    problems = []
    if (
        SECRET_KEY == DEMO_SECRET_KEY
        or len(SECRET_KEY) < 50
        or len(set(SECRET_KEY)) < 5
    ):
        problems.append(
            "SECRET_KEY must be set to a random value of at least 50 characters"
        )
    if DEBUG:
        problems.append("DEBUG must be off")
    if not os.environ.get("DATABASE_URL"):
        problems.append("DATABASE_URL must name the production database")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must list the site's host names")
    admin_url = os.environ.get("WAGTAILADMIN_BASE_URL", "")
    if not admin_url.startswith("https://") or any(
        local in admin_url for local in ("://localhost", "://127.", "://[::1]")
    ):
        problems.append("WAGTAILADMIN_BASE_URL must be the site's public https address")
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start in production: " + "; ".join(problems) + "."
        )

INSTALLED_APPS = [
    "home",
    "activities",
    "qf_connector",
    "family_portal",
    "family_portal.bookings",
    "family_portal.discovery",
    "family_portal.billing",
    "family_portal.taxcerts",
    "family_portal.payments",
    "family_portal.directdebit",
    "family_portal.reminders",
    "family_portal.attendance",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "home.users_app.WagtailUsersConfig",  # wagtail.users, with the names' rule
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "wagtail_modeladmin",
    "modelcluster",
    "taggit",
    "django_filters",
    "formtools",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "family_portal.franceconnect",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.forms",
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
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "portail_site.urls"
WSGI_APPLICATION = "portail_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
            # French dates ("1er septembre") and file sizes ("Mo") in every template.
            "builtins": ["home.templatetags.french"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_number("DB_CONN_MAX_AGE", 60, int),
        conn_health_checks=True,
    )
}
# SQLite (the demo, small installs) serving a web server: writers queue behind a busy
# timeout instead of failing with "database is locked"; IMMEDIATE transactions take the
# write lock at BEGIN (a read transaction upgraded to a write cannot wait, it fails at
# once); the WAL journal lets readers go on while one writer commits.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        **SQLITE_OPTIONS,
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portail-famille",
            # Whole pages weigh 3 to 30 kB: a bound on each worker's memory.
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    }

# The public site's caches (home/caching.py): whole pages for anonymous visitors and the
# layout's fragments, retired together when a page is published, unpublished, moved or
# deleted, or when one of these models is saved. 0 turns both off.
PAGE_CACHE_SECONDS = env_number("PAGE_CACHE_SECONDS", 600, int)
PAGE_CACHE_INVALIDATING_MODELS = [
    "wagtailcore.Site",
    "wagtailimages.Image",
    "wagtaildocs.Document",
    "home.CommuneSettings",
    "activities.Bareme",
    "activities.BaremeVersion",
    "activities.ActivityPeriod",
    "activities.ActivityBaremeLink",
]
# Figures that change with the families' enrolments, far more often than pages: only the
# pages and fragments that show them are retired when one of these models is saved.
PAGE_CACHE_TOKENS = {"places": ["family_portal.Enrolment"]}
MIDDLEWARE.insert(
    MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
    "home.caching.AnonymousPageCacheMiddleware",
)
TEMPLATES[0]["OPTIONS"]["context_processors"].append("home.caching.context")

AUTHENTICATION_BACKENDS = [
    # Agents and editors sign in to the Wagtail admin with their user name...
    "django.contrib.auth.backends.ModelBackend",
    # ...parents sign in to their family space with their e-mail address.
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "family_portal:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# The e-mails allauth sends are the commune's own (home/accounts.py, templates/account/email/):
# its name in the subject, French, HTML with a plain-text part; a parent is told when the
# account's password or address changes. It reads the visitor's address for allauth's
# per-address limits as every limit does (portail_site.security, TRUSTED_PROXY_COUNT).
ACCOUNT_ADAPTER = "home.accounts.PortalAccountAdapter"
ACCOUNT_USER_DISPLAY = "home.accounts.user_display"
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATIC_URL = "/static/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
# QF documents sent by families: never under MEDIA_URL, served by a view that checks access.
PRIVATE_MEDIA_ROOT = Path(
    env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "private"))
)
# Files sent in an enrolment wizard not yet confirmed are deleted once this old (seconds)
# by the hourly `purge_wizard_uploads` job; a parent coming back later sends theirs again.
WIZARD_UPLOAD_MAX_AGE = env_number("WIZARD_UPLOAD_MAX_AGE", 3 * 3600, int)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_number("EMAIL_PORT", 25, int)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Portail Famille <ne-pas-repondre@example.org>"
)

# Wagtail
WAGTAIL_SITE_NAME = env_str("WAGTAIL_SITE_NAME", "Portail Famille")
# The admin's address in Wagtail's own e-mails and image URLs. `make demo` sets it to the
# address it serves; production requires the public https address. Certificates' links
# use the default Wagtail Site's address (home/site_url.py), checked at start-up too.
WAGTAILADMIN_BASE_URL = env_str("WAGTAILADMIN_BASE_URL") or None
if WAGTAILADMIN_BASE_URL is None:
    # Outside production (where it is required) and outside `make demo` (which sets it),
    # Wagtail's e-mails carry relative admin links: no default address to warn about.
    SILENCED_SYSTEM_CHECKS = ["wagtailadmin.W003"]
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_USER_LOGIN_FORM = "home.forms.AdminLoginForm"
WAGTAILADMIN_PERMITTED_LANGUAGES = [("fr", "Français")]
WAGTAIL_CONTENT_LANGUAGES = [("fr", "Français")]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # French stemming without accents: "ecole" finds "École", as SQLite's FTS5 does.
    WAGTAILSEARCH_BACKENDS["default"]["BACKEND"] = (
        "family_portal.discovery.postgres_search"
    )
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "ods", "pdf", "rtf", "txt", "xlsx"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# API Particulier (quotient familial). The recipient defaults to the commune's SIRET,
# edited in the site settings; the token stays server side.
API_PARTICULIER_URL = env_str("API_PARTICULIER_URL", "http://127.0.0.1:8765")
API_PARTICULIER_TOKEN = env_str(
    "API_PARTICULIER_TOKEN", "" if PRODUCTION else "demo-token"
)
API_PARTICULIER_RECIPIENT = env_str("API_PARTICULIER_RECIPIENT")

# PayFiP (online payment of invoices, eopayment's payfip_ws client). An empty WSDL URL
# means the WSDL eopayment ships, i.e. the real service; the demo and the tests point
# both URLs at our fake PayFiP. SAISIE: T test, X activation, W production.
PAYFIP_WSDL_URL = env_str("PAYFIP_WSDL_URL", "")
PAYFIP_PAYMENT_URL = env_str("PAYFIP_PAYMENT_URL", "")
PAYFIP_SAISIE = env_str("PAYFIP_SAISIE", "W" if PRODUCTION else "T")
PAYFIP_TIMEOUT = env_number("PAYFIP_TIMEOUT", 15.0)
# Direct debit (SEPA Core, family_portal/directdebit): the commune's creditor identifier
# (ICS, given by the Banque de France), the name and the account (the régie's account at
# the Treasury) the debits are paid to; days between the notice (the invoice, or the
# mandate signed later) and the debit (14 by the SEPA rules unless the mandate says
# less), and days the debit file must reach the bank before the collection date.
# Without SEPA_CREDITOR_ID, families are not offered direct debit.
SEPA_DEMO_CREDITOR_ID = (
    "FR72ZZZ123456"  # the EPC's example: the demo's, never production's
)
SEPA_CREDITOR_ID = (
    env_str("SEPA_CREDITOR_ID", "" if PRODUCTION else SEPA_DEMO_CREDITOR_ID)
    .replace(" ", "")
    .upper()
)
SEPA_CREDITOR_NAME = env_str(
    "SEPA_CREDITOR_NAME", "" if PRODUCTION else "Ville de Démo"
)
SEPA_CREDITOR_IBAN = (
    env_str("SEPA_CREDITOR_IBAN", "" if PRODUCTION else "FR7630001000000000000000030")
    .replace(" ", "")
    .upper()
)
SEPA_CREDITOR_BIC = (
    env_str("SEPA_CREDITOR_BIC", "" if PRODUCTION else "BDFEFRPPCCT")
    .replace(" ", "")
    .upper()
)
SEPA_PRENOTIFICATION_DAYS = env_number("SEPA_PRENOTIFICATION_DAYS", 14, int)
SEPA_SUBMISSION_DAYS = env_number("SEPA_SUBMISSION_DAYS", 2, int)
if SEPA_PRENOTIFICATION_DAYS < 2 or SEPA_SUBMISSION_DAYS < 1:
    raise ImproperlyConfigured(
        "SEPA_PRENOTIFICATION_DAYS must be at least 2 and SEPA_SUBMISSION_DAYS at least 1."
    )
if PRODUCTION and SEPA_CREDITOR_ID:
    from family_portal.directdebit.identifiers import (  # noqa: E402 - no Django in it
        InvalidAccount,
        check_account,
        creditor_id_problem,
    )

    sepa_problems = []
    ics_problem = creditor_id_problem(SEPA_CREDITOR_ID)
    if ics_problem:
        sepa_problems.append(f"SEPA_CREDITOR_ID {ics_problem}")
    elif SEPA_CREDITOR_ID == SEPA_DEMO_CREDITOR_ID:
        sepa_problems.append("SEPA_CREDITOR_ID must be the commune's, not the demo's")
    if not SEPA_CREDITOR_NAME.strip():
        sepa_problems.append("SEPA_CREDITOR_NAME must be set")
    try:
        check_account(SEPA_CREDITOR_IBAN, SEPA_CREDITOR_BIC)
    except InvalidAccount:
        sepa_problems.append(
            "SEPA_CREDITOR_IBAN (and SEPA_CREDITOR_BIC) must be the account the debits "
            "are paid to"
        )
    if sepa_problems:
        raise ImproperlyConfigured(
            "Refusing to start in production: " + "; ".join(sepa_problems) + "."
        )

# Reminders of unpaid invoices (family_portal/reminders, the daily send_payment_reminders
# job): the first e-mail this many days after the due date, the second this many days
# after it (and never sooner after the first than the difference).
PAYMENT_REMINDER_FIRST_DAYS = env_number("PAYMENT_REMINDER_FIRST_DAYS", 15, int)
PAYMENT_REMINDER_SECOND_DAYS = env_number("PAYMENT_REMINDER_SECOND_DAYS", 30, int)
if not 0 <= PAYMENT_REMINDER_FIRST_DAYS < PAYMENT_REMINDER_SECOND_DAYS:
    raise ImproperlyConfigured(
        "PAYMENT_REMINDER_FIRST_DAYS must be 0 or more and below "
        "PAYMENT_REMINDER_SECOND_DAYS."
    )
# A commune rule some apply: a family with invoices of a past year still unpaid after
# their due date cannot start an online enrolment (agents still enrol at the counter).
BLOCK_ENROLMENT_WHEN_UNPAID = env_bool("BLOCK_ENROLMENT_WHEN_UNPAID", False)
API_PARTICULIER_CONNECT_TIMEOUT = env_number("API_PARTICULIER_CONNECT_TIMEOUT", 3.0)
API_PARTICULIER_READ_TIMEOUT = env_number("API_PARTICULIER_READ_TIMEOUT", 12.0)
API_PARTICULIER_TOTAL_TIMEOUT = env_number("API_PARTICULIER_TOTAL_TIMEOUT", 20.0)
API_PARTICULIER_RATE = env_number("API_PARTICULIER_RATE", 10.0)
# Families the yearly QF campaign looks up at once (threads sharing the client's rate):
# enough for the throttle never to wait for a free thread while answers come back slowly
# (a loaded machine, the API's latency); the throttle alone sets the pace.
QF_CAMPAIGN_WORKERS = env_number("QF_CAMPAIGN_WORKERS", 16, int)
# A campaign whose run has not beaten for this long is shown as interrupted (its process
# died) and may be resumed; the run beats every few seconds.
QF_CAMPAIGN_LEASE_SECONDS = env_number("QF_CAMPAIGN_LEASE_SECONDS", 60, int)
# Lookups that web requests (the wizard, an agent's refresh) may wait for at once in one
# process; beyond it a parent is offered the wizard's fallback at once. Keep it below
# gunicorn's threads per worker (GUNICORN_THREADS, 8): half of them by default, so that
# a hanging API never holds every thread (qf_connector/services.py).
QF_LOOKUPS_IN_FLIGHT = env_number("QF_LOOKUPS_IN_FLIGHT", 4, int)
if QF_LOOKUPS_IN_FLIGHT < 1:
    raise ImproperlyConfigured("QF_LOOKUPS_IN_FLIGHT must be at least 1.")
# Lookups answered by CAF or MSA that one parent account may ask for from the wizard in
# 24 hours: enough to correct a typo, too few to use the portal as an oracle on other
# people's files. An unavailable API does not count.
QF_LOOKUPS_PER_ACCOUNT = env_number("QF_LOOKUPS_PER_ACCOUNT", 5, int)
# The same limit per identity looked up (whichever accounts ask: a second account gets
# no more answers for a stranger than the first) and per client address (many accounts
# from one address). Past any of them the wizard asks nothing, the refusal is recorded,
# and no background job (retry, yearly campaign) ever looks that identity up.
QF_LOOKUPS_PER_IDENTITY = env_number("QF_LOOKUPS_PER_IDENTITY", 3, int)
QF_LOOKUPS_PER_ADDRESS = env_number("QF_LOOKUPS_PER_ADDRESS", 20, int)
# The key of the digests the limits count on (identities and addresses are never stored):
# the SECRET_KEY unless set; changing it forgets the counts and the refusals.
QF_DIGEST_KEY = env_str("QF_DIGEST_KEY") or SECRET_KEY

# FranceConnect (family_portal/franceconnect): parents sign in with the State's identity
# and the wizard asks API Particulier's /france_connect route for their QF. The address
# is the issuer (its discovery document at /.well-known/openid-configuration): the
# integration platform https://fcp-low.integ01.dev-franceconnect.fr/api/v2, production
# https://oidc.franceconnect.gouv.fr/api/v2. Outside production it defaults to the local
# FranceConnect that `make demo` starts (family_portal/franceconnect/mock); empty: no
# FranceConnect button.
FRANCECONNECT_MOCK_URL = "http://127.0.0.1:8766"
FRANCECONNECT_MOCK_CLIENT_ID = "portail-famille-demo"
FRANCECONNECT_MOCK_SECRET = "demo-franceconnect-secret"  # noqa: S105 - the local fake's
FRANCECONNECT_URL = env_str(
    "FRANCECONNECT_URL", "" if PRODUCTION else FRANCECONNECT_MOCK_URL
).rstrip("/")
FRANCECONNECT_CLIENT_ID = env_str(
    "FRANCECONNECT_CLIENT_ID", "" if PRODUCTION else FRANCECONNECT_MOCK_CLIENT_ID
)
FRANCECONNECT_SECRET = env_str(
    "FRANCECONNECT_SECRET", "" if PRODUCTION else FRANCECONNECT_MOCK_SECRET
)
if PRODUCTION and FRANCECONNECT_URL:
    fc_problems = []
    if not FRANCECONNECT_URL.startswith("https://") or any(
        local in FRANCECONNECT_URL
        for local in ("://localhost", "://127.", "://[::1]", "://0.0.0.0")
    ):
        fc_problems.append(
            "FRANCECONNECT_URL must be FranceConnect's https address, not the local "
            "FranceConnect of the demo"
        )
    if not FRANCECONNECT_CLIENT_ID or not FRANCECONNECT_SECRET:
        fc_problems.append(
            "FRANCECONNECT_CLIENT_ID and FRANCECONNECT_SECRET must be set"
        )
    if FRANCECONNECT_SECRET == FRANCECONNECT_MOCK_SECRET or (
        FRANCECONNECT_CLIENT_ID == FRANCECONNECT_MOCK_CLIENT_ID
    ):
        fc_problems.append(
            "FRANCECONNECT_CLIENT_ID and FRANCECONNECT_SECRET must be the commune's own, "
            "not the local FranceConnect's"
        )
    if fc_problems:
        raise ImproperlyConfigured(
            "Refusing to start in production: " + "; ".join(fc_problems) + "."
        )
SOCIALACCOUNT_ADAPTER = "family_portal.franceconnect.adapter.SocialAccountAdapter"
# Tokens stay in the session (family_portal/franceconnect/session.py), never in a table.
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_REQUIRED = True
# Seconds allauth waits for FranceConnect's endpoints (discovery, token, userinfo, keys).
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
SOCIALACCOUNT_PROVIDERS = {
    "franceconnect": {
        "APPS": [
            {
                "client_id": FRANCECONNECT_CLIENT_ID,
                "secret": FRANCECONNECT_SECRET,
                "settings": {
                    "server_url": FRANCECONNECT_URL,
                    "token_auth_method": "client_secret_post",
                },
            }
        ]
        if FRANCECONNECT_URL
        else [],
        "OAUTH_PKCE_ENABLED": True,
    }
}

# Security: always on in production, where `check --deploy` must report nothing.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_number("SECURE_HSTS_SECONDS", 31_536_000, int)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Content-Security-Policy (django-csp, through portail_site.security's middleware).
# The public site and the family space run no inline script, no inline style and nothing
# from another origin (no CDN, fonts served locally): keep it that way.
INSTALLED_APPS += ["csp"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "portail_site.security.ContentSecurityPolicyMiddleware",
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "upgrade-insecure-requests": PRODUCTION,
    }
}
# The Wagtail admin (/admin/) still needs inline scripts and styles and eval in its
# widgets and choosers, and frames its own previews: a relaxed policy, for that path only.
ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}
if FRANCECONNECT_URL:
    # The FranceConnect button's form and the logout go on to FranceConnect by redirect,
    # which form-action governs too (the family space only, not the admin).
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] = [
        "'self'",
        "{0.scheme}://{0.netloc}".format(urlsplit(FRANCECONNECT_URL)),
    ]
# Nothing leaves for third parties from the admin either: no Gravatar (it would leak the
# agents' hashed e-mail addresses) and no release check (we follow releases through pip).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# Sign-in throttling (django-axes), for the agents' Wagtail admin sign-in and the parents'
# allauth sign-in alike: after AXES_FAILURE_LIMIT failures in a row for one account from
# one address, that pair is locked for AXES_COOLOFF_TIME (a French page, HTTP 429). Locking
# the pair, not the account, keeps a stranger from locking a parent out; allauth's own rate
# limits (ACCOUNT_RATE_LIMITS) also cap failures per address.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes requires
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    *AUTHENTICATION_BACKENDS,
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "portail_site.security.login_identifier"
AXES_CLIENT_IP_CALLABLE = "portail_site.security.client_ip"
AXES_LOCKOUT_CALLABLE = "portail_site.security.lockout_response"
AXES_COOLOFF_MESSAGE = (
    "Trop de tentatives de connexion : réessayez dans quelques minutes."
)
AXES_PERMALOCK_MESSAGE = AXES_COOLOFF_MESSAGE
AXES_ENABLE_ADMIN = False  # no django.contrib.admin here
# How many reverse proxies of ours stand before the site, each appending the address it
# saw to X-Forwarded-For (1: nginx; 2: a load balancer, then nginx). Every per-address
# limit (allauth, django-axes, the QF lookups) reads the visitor's address from there,
# through portail_site.security.client_ip. 0: reached directly, REMOTE_ADDR only (the
# header would be forged).
TRUSTED_PROXY_COUNT = env_number("TRUSTED_PROXY_COUNT", 0, int)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
if os.environ.get("TRUST_X_FORWARDED_FOR"):
    raise ImproperlyConfigured(
        "TRUST_X_FORWARDED_FOR is replaced by TRUSTED_PROXY_COUNT (the number of "
        "reverse proxies before the site: 1 behind nginx)."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "filters": {
        "drop_template_context": {"()": "portail_site.log_filters.DropTemplateContext"},
        "private_request_paths": {"()": "portail_site.log_filters.PrivateRequestPaths"},
    },
    # Query strings (agents' searches hold family names) and secret paths (the calendar
    # feed's token, reset links) stay out of every log line: Django's request warnings
    # (django.request reaches the console) and runserver's request lines (django.server,
    # Django's own handler and format); gunicorn's access log follows the same rules
    # (site/access_log.py).
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["private_request_paths"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["private_request_paths"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers (a second console in DEBUG, mail_admins) replaced: its
        # records reach the root's filtered console, once.
        "django": {"level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        # httpx logs each request's full URL at INFO: API Particulier's query string holds
        # the identity of a person, so it must never reach a log.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # At DEBUG, Django's unresolved template variables come with the whole context.
        "django.template": {"filters": ["drop_template_context"]},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
        },
    },
}

# Background tasks (django-tasks): batches of tariff certificates. The immediate backend
# runs a task at once, inside the request (demo, tests); production queues tasks in the
# database (django-tasks-db), run by `python manage.py db_worker` processes.
INSTALLED_APPS += ["django_tasks"]
TASKS_BACKEND = env_str("TASKS_BACKEND", "database" if PRODUCTION else "immediate")
if TASKS_BACKEND == "database":
    INSTALLED_APPS += ["django_tasks_db"]
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured("TASKS_BACKEND must be 'immediate' or 'database'.")
# PayFiP's notifications: one task checks every noted operation with this many threads
# (each its own database connection), PayFiP's wait overlapping (payments/tasks.py).
# One by default: a burst is recorded in the background (the parent's return page asks
# PayFiP itself), so it is spread out rather than taken from the pages (2 threads
# recorded 1,000 in 28 s and left the pages 77 %; 1 thread in 42–44 s, 81–87 %:
# benchmarks/README.md).
PAYFIP_CHECK_THREADS = env_number("PAYFIP_CHECK_THREADS", 1, int)
# WeasyPrint reports each rendering step, and fontTools each font it unpacks, at INFO.
LOGGING["loggers"]["weasyprint.progress"] = {"level": "WARNING"}
LOGGING["loggers"]["fontTools"] = {"level": "WARNING"}
