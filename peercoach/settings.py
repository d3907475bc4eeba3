"""Settings for peercoach: one module, driven by the environment.

With no environment at all it runs embedded: SQLite, Celery tasks executed
in-process, email to the console, media on local disk, DEBUG on. Production
sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and the EMAIL_*
variables (any secret may also come from a file named by VAR_FILE).
"""

import os
import re
from email.utils import formataddr, getaddresses
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PEERCOACH_VAR_DIR", BASE_DIR / "var"))


def env(name, default=None):
    """Read NAME from the environment, or the content of the file named by NAME_FILE."""
    if name in os.environ:
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return default


def env_bool(name, default=False):
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_addresses(name):
    """NAME as a list of addresses, from `Name <a@example.org>, b@example.org`."""
    value = env(name, "")
    addresses = []
    for display, address in getaddresses([value]):
        if not display and not address:
            continue  # a stray comma
        if not re.fullmatch(r"[^@\s]+@[^@\s]+", address):
            raise ImproperlyConfigured(
                f"{name}={value!r}: {display or address!r} is not an email address; write "
                f'"Name <name@example.org>, other@example.org".'
            )
        addresses.append(formataddr((display, address)))
    return addresses


SECRET_KEY = env("SECRET_KEY")
# Embedded mode is the absence of a configured secret: nobody runs production without one.
DEBUG = env_bool("DEBUG", default=SECRET_KEY is None)
if SECRET_KEY is None:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
    SECRET_KEY = "embedded-mode-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "peercoach.tenancy",
    "peercoach.accounts",
    "peercoach.notifications",
    "programs",
    "agreements",
    "sessions.apps.CoachingSessionsConfig",
    "peercoach.audit",
    "peercoach.sso",
    "peercoach.scim",
    "surveys",
    "workspace",
    "portal",
    "peercoach.ops",
]

MIDDLEWARE = [
    # First, so that its one line per request times and sees everything below it.
    "peercoach.logs.RequestLogMiddleware",
    # Before anything touches the database: a sign-in waits here for a password hash slot.
    "peercoach.accounts.hashing.SignInGateMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The person's language, else their organisation's, over the browser's (LocaleMiddleware
    # above); before the tenant middleware, so that its 404 speaks it too.
    "peercoach.tenancy.languages.LanguageMiddleware",
    "peercoach.tenancy.middleware.TenantMiddleware",
    # An organisation that requires single sign-on: its pages want its provider's sign-in.
    "peercoach.sso.middleware.SsoRequiredMiddleware",
    "peercoach.accounts.middleware.CoordinatorMfaMiddleware",
]

if not DEBUG:
    # Production serves static files itself (runserver does it in embedded mode).
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "peercoach.urls"
WSGI_APPLICATION = "peercoach.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "peercoach.tenancy.context_processors.tenancy",
            ],
        },
    },
]

# Database: SQLite on local disk unless DATABASE_URL names another one.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'peercoach.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool: connections are reused across requests within a process.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(env("DATABASE_POOL_MIN", "2")),
        "max_size": int(env("DATABASE_POOL_MAX", "10")),
        "timeout": 10,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # One connection per thread for its life: opening one (and its PRAGMA) and closing it
    # on every request was a fifth of a cached page's time (bench/pages_inprocess.py).
    DATABASES["default"]["CONN_MAX_AGE"] = None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env("REDIS_URL")
# Seconds to wait for Redis (cache and broker) before treating it as down: a dead Redis
# must cost a request half a second, not a hang. See peercoach/cache.py.
REDIS_TIMEOUT = float(env("REDIS_TIMEOUT", "0.5"))
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis; this process's memory while Redis is unreachable (peercoach/cache.py).
            "BACKEND": "peercoach.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "peercoach",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # Room for a cached home per active person (peercoach.tenancy.stamps).
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# Page fragments cached on the organisation's version stamp (peercoach.tenancy.stamps,
# docs/architecture.md): on unless FRAGMENT_CACHE=false; at most FRAGMENT_TTL seconds old.
FRAGMENT_CACHE = env_bool("FRAGMENT_CACHE", True)
FRAGMENT_CACHE_ALIAS = "default"
FRAGMENT_TTL = int(env("FRAGMENT_TTL", "300"))
# Tenant models whose writes leave the stamp alone: nothing a member sees on a page
# reads them, and some are written while reading (the audit log, who read a concern),
# or many times a minute (the delivery ledger, a matching run's progress).
CONTENT_STAMP_IGNORED = {
    "audit.AuditEvent",
    "notifications.Delivery",
    "sessions.ConcernAccess",
    "programs.MatchingRun",
}

SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Django's PBKDF2-SHA256 at its default work factor (README: "Sign-in and password
# hashing"), at most PASSWORD_HASH_SLOTS hashes at once per web server, across its
# processes (peercoach/accounts/hashing.py); default every core but one, at least one.
# Django's other default hashers stay, to read hashes made with them.
PASSWORD_HASHERS = [
    "peercoach.accounts.hashing.GatedPBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
PASSWORD_HASH_SLOTS = int(env("PASSWORD_HASH_SLOTS", str(max(1, len(os.sched_getaffinity(0)) - 1))))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: email is the login, verified before use; sign-up only by invitation.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "peercoach.accounts.adapters.AccountAdapter"
# Single sign-on: each organisation's provider (peercoach.sso), never allauth's own table.
SOCIALACCOUNT_ADAPTER = "peercoach.sso.adapters.SocialAccountAdapter"
SOCIALACCOUNT_STORE_TOKENS = False
# allauth's SAML provider plus replay protection and the IdP's authentication context.
SOCIALACCOUNT_PROVIDERS = {"saml": {"provider_class": "peercoach.sso.saml.SAMLProvider"}}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_ONLY = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[peercoach] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
# Rate limits need a shared cache to be real across processes: Redis in production.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/5m/key"),
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "signup": "20/m/ip",
}
# Proxies in front of the app that append to X-Forwarded-For. Rate limits key on the
# client's address; with 0 (embedded) the header is ignored, as it can be forged.
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", "peercoach")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

INVITATION_TTL_DAYS = int(env("INVITATION_TTL_DAYS", "14"))
INVITATION_CSV_MAX_ROWS = 2000

LANGUAGE_CODE = "en"
# Each language by its name in the active language (forms); the switcher shows each in its
# own name (Django's language info: "English", "español").
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Named date formats per language ("LONG_DATE_FORMAT"...): see peercoach/formats.
FORMAT_MODULE_PATH = ["peercoach.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", VAR_DIR / "media"))

# The document seal that signs (PAdES) every agreement PDF: see agreements/seal.py.
# SEAL_PKCS12 names the installation's PKCS#12 file (SEAL_PASSWORD, or SEAL_PASSWORD_FILE,
# its password). Unset: a self-signed certificate is generated on first use in SEAL_DIR,
# which must stay outside MEDIA_ROOT and STATIC_ROOT. SEAL_ORG_PKCS12 is JSON giving
# organisations their own: {"org-slug": {"path": "...", "password": "..."}}.
# Signed agreement PDFs: private files with no URL, outside MEDIA_ROOT (served only by a
# view that checks who asks).
PRIVATE_ROOT = Path(env("PRIVATE_ROOT", VAR_DIR / "private"))
SEAL_PKCS12 = env("SEAL_PKCS12", "")
SEAL_PASSWORD = env("SEAL_PASSWORD", "")
SEAL_ORG_PKCS12 = env("SEAL_ORG_PKCS12", "")
SEAL_DIR = Path(env("SEAL_DIR", VAR_DIR / "seal"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: SMTP when EMAIL_HOST is set, otherwise the console (or EMAIL_BACKEND, e.g. a file).
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "peercoach <noreply@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Who gets an email for every server error (DEBUG off): "Ops <ops@example.org>,dev@...".
ADMINS = env_addresses("ADMINS")
if env("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env("EMAIL_HOST"),
                "port": int(env("EMAIL_PORT", "587")),
                "username": env("EMAIL_HOST_USER", ""),
                "password": env("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": 30,
            },
        }
    }
else:
    backend = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    options = {}
    if backend.endswith("filebased.EmailBackend"):
        options["file_path"] = env("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
    MAILERS = {"default": {"BACKEND": backend, "OPTIONS": options}}

# Celery: Redis broker in production; without REDIS_URL the same tasks run in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
# Longer than any task may run, so Redis never redelivers a task that is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * 60 * 60,
    # A request that enqueues while Redis is down waits REDIS_TIMEOUT per connection
    # attempt, not the OS's minutes on a dropped SYN; on a connection that went dead without
    # closing (failover, NAT), a command gives up after 2 s instead of waiting forever.
    # Longer than REDIS_TIMEOUT: the worker's own commands (acks, restores) must survive a
    # short stall of Redis. The worker's BRPOP is read only once data is there, so it is
    # not cut short by this.
    "socket_connect_timeout": REDIS_TIMEOUT,
    "socket_timeout": max(REDIS_TIMEOUT, 2.0),
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
# An enqueue from a request tries three times (0.4 s on a refused port, about 2 s when every
# connect times out), then gives up: what it carried is in the database (ledger rows, PDF
# and matching-run states) and the periodic sweeps send it once Redis is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_DEFAULT_QUEUE = "default"
# The queues (`default`, `email`, `pdf`) are declared in peercoach/celery.py: kombu's Queue
# here would load Celery in every process that reads the settings.
CELERY_TASK_ROUTES = {
    "peercoach.notifications.tasks.reminders_dispatch": {"queue": "default"},
    "peercoach.notifications.tasks.deliveries_dispatch": {"queue": "default"},
    "peercoach.notifications.tasks.*": {"queue": "email"},
    "peercoach.accounts.tasks.*": {"queue": "email"},
    "agreements.tasks.*": {"queue": "pdf"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
# Periodic "dispatch what is due" tasks are added here by the reminders work; the
# per-program cadences live in our own models, never in beat.
CELERY_BEAT_SCHEDULE = {
    # Every reminder that is due (ledger in the database, see peercoach/notifications/).
    "reminders-dispatch": {
        "task": "peercoach.notifications.tasks.reminders_dispatch",
        "schedule": 5 * 60,
    },
    # Queue what is due and take back the claims of dead workers: with the lease below,
    # a killed worker's rows are sent again within lease + this interval (90 s). A run
    # with nothing to do is two indexed queries over the unsent rows only.
    "deliveries-dispatch": {
        "task": "peercoach.notifications.tasks.deliveries_dispatch",
        "schedule": 30,
    },
    # Signed agreements whose PDF render failed, was lost with its broker message or
    # died with its worker get it queued again (within about 90 s of the signature).
    "agreements-pdf-sweep": {
        "task": "agreements.tasks.agreements_pdf_sweep",
        "schedule": 60,
    },
    # Matching runs whose task the broker never took (down at the commit) run after all.
    "matching-runs-sweep": {
        "task": "programs.tasks.matching_runs_sweep",
        "schedule": 2 * 60,
    },
}
# A reminder batch's claim on its rows lasts this long unless renewed: the sending task
# renews it every REMINDER_HEARTBEAT_SECONDS (from a thread of its own, so that a slow
# SMTP message does not hold it up); the claims of a worker that died are taken back by
# the next dispatcher run after the lease. Keep the lease several heartbeats long.
REMINDER_LEASE_SECONDS = int(env("REMINDER_LEASE_SECONDS", "60"))
REMINDER_HEARTBEAT_SECONDS = int(env("REMINDER_HEARTBEAT_SECONDS", "15"))

# Reminder rules the dispatcher runs (peercoach/notifications/dispatch.py), each in the
# app that owns its data.
REMINDER_RULES = [
    "sessions.reminders.agreement_reminders",
    "programs.reminders.event_reminders",
    "sessions.reminders.meeting_reminders",
    "sessions.reminders.nudges",
    "sessions.reminders.report_reminders",
    "sessions.reminders.session_reminders",
    "sessions.reminders.coordinator_digest",
]
# Cross-app reactions (peercoach/hooks.py: `hooks_run(name, **kwargs)`): the apps that react
# to what happens in a lower app, called in this order, synchronously, inside the caller's
# transaction; an exception undoes the whole change. Every name the code runs is listed,
# with an empty list when nothing reacts. Each hook takes exactly these keyword arguments:
HOOKS = {
    # (*, program, matches): `matches` of `program` were just published (status active).
    "match_published": ["agreements.hooks.match_published"],
    # (*, match, ended_by): `match` was just ended, its members no longer current;
    # `ended_by` is the User who ended it (the coordinator, a member who left or deleted
    # their account) or None.
    "match_ended": ["agreements.hooks.match_ended", "sessions.hooks.match_ended"],
    # (*, program) -> [message]: warnings the pairing page shows after publishing.
    "publish_readiness": ["agreements.hooks.publish_readiness"],
    # (*, request, user) -> response or None: a sign-in other than single sign-on (password,
    # emailed code) is about to sign `user` in; a response refuses it (mandatory SSO).
    "sign_in_other_than_sso": ["peercoach.sso.services.sso_password_refusal"],
    # (*, request, membership) -> bool: the coordinator two-factor rule is met otherwise.
    "coordinator_mfa_satisfied": ["peercoach.sso.selectors.sso_mfa_satisfies"],
    # (*, request, login) -> bool: the sign-in `login` (allauth's) already carried a second
    # factor, so allauth's "enter your authenticator code" step is skipped.
    "second_factor_done_at_sign_in": ["peercoach.sso.selectors.sso_sign_in_mfa_trusted"],
}
# Calendar files attached to reminders of these kinds, built at sending time.
REMINDER_ATTACHMENTS = {
    "session": "sessions.reminders.attachments.session_calendar",
    "event": "sessions.reminders.attachments.event_calendar",
}
# Apps that keep a person's data, for "my data" and "delete my account"
# (peercoach/accounts/personal_data.py). Each module has tables(*, organization, user) -> the
# export's tables, and erase(*, user), run in one transaction. The export follows this
# order; deletion runs it backwards, so that the apps above still see the whole person.
PERSONAL_DATA = [
    "peercoach.accounts.personal_data",
    "peercoach.scim.personal_data",
    "programs.personal_data",
    "agreements.personal_data",
    "sessions.personal_data",
    "surveys.personal_data",
]
# What ending one membership (peercoach.accounts.services.membership_end) asks of the
# apps, in this order: each module's leave(*, organization, user) ends what the person
# takes part in within that organisation. Pairs first (the opt-out records itself on the
# person's application), then the applications.
MEMBERSHIP_LEAVE = [
    "sessions.personal_data",
    "programs.personal_data",
    "peercoach.scim.services",
]
# SCIM 2.0 provisioning (django-scim2), one endpoint per organisation: peercoach/scim.
SCIM_SERVICE_PROVIDER = {
    "USER_MODEL_GETTER": "peercoach.scim.adapters.scim_user_model",
    "USER_ADAPTER": "peercoach.scim.adapters.ScimUserAdapter",
    "USER_FILTER_PARSER": "peercoach.scim.filters.ScimUserFilter",
    "SERVICE_PROVIDER_CONFIG_MODEL": "peercoach.scim.adapters.ScimServiceProviderConfig",
    "BASE_LOCATION_GETTER": "peercoach.scim.adapters.base_location",
    "GET_EXTRA_MODEL_FILTER_KWARGS_GETTER": "peercoach.scim.adapters.extra_filter_kwargs_getter",
    "GET_QUERYSET_POST_PROCESSOR_GETTER": (
        "peercoach.scim.adapters.queryset_post_processor_getter"
    ),
    "AUTH_CHECK_MIDDLEWARE": "peercoach.scim.auth.ScimTokenAuth",
    "SCHEMAS_GETTER": "peercoach.scim.adapters.schemas_getter",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "Bearer token",
            # Its description is added, translated, by ScimServiceProviderConfig.
            "primary": True,
        }
    ],
    "WWW_AUTHENTICATE_HEADER": 'Bearer realm="peercoach SCIM"',
}
# What `manage.py demo` loads after the organisations and people (peercoach/demo.py), in
# this order: each loader(*, organizations) is idempotent and returns the lines the command
# prints per organisation. The audit loader is last: it dates the rows the others wrote.
DEMO_LOADERS = [
    "programs.demo.programs_demo_load",
    "agreements.demo.agreements_demo_load",
    "sessions.demo.sessions_demo_load",
    "surveys.demo.surveys_demo_load",
    "programs.demo_audit.audit_demo_load",
]
# Celery tasks the demo loaders never queue (peercoach.demo_util.quiet): the demo runs the
# matcher itself.
DEMO_QUIET_TASKS = ["programs.tasks.matching_run_execute"]
# SMTP connections one batch of reminders uses at once (threads of the worker process),
# so that waits for the server's replies overlap. 1: one connection, no threads.
REMINDER_SMTP_CONNECTIONS = int(env("REMINDER_SMTP_CONNECTIONS", "4"))
# Embedded mode has no beat: the process `manage.py runserver` serves from dispatches
# reminders itself, in a thread, as often as beat would (peercoach/notifications/embedded.py).
# Only runserver starts it: never the tests, gunicorn or a worker.
REMINDERS_IN_PROCESS = env_bool("REMINDERS_IN_PROCESS", default=not REDIS_URL)

# Content-Security-Policy (Django's built-in middleware): our own files only, no inline
# script at all; the one inline <style> (organisation colour) carries a nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# One line per request (peercoach.request) and per task (peercoach.task), see
# peercoach/logs.py; LOG_FORMAT=json writes every line as one JSON object.
LOG_FORMAT = env("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Our own lines keep LOG_LEVEL even where Celery sets the root logger's level
        # (a worker started with `-l warning`, or the test worker at ERROR).
        "peercoach": {"level": env("LOG_LEVEL", "INFO")},
        "django.db.backends": {"level": "INFO"},
        # Its "Not Found: /path" warnings would be a second line for a 4xx; server errors
        # still log their traceback and mail ADMINS.
        "django.request": {"level": "ERROR"},
        # WeasyPrint reports every layout step at INFO; its warnings still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Celery's own "received" and "succeeded in ...: <return value>" lines: the
        # peercoach.task line replaces them (failures still come with their traceback).
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
    },
}
