"""Twoway settings: everything that differs between a trial and production comes from the
environment (see README, "Configuration")."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from twoway.lib.env import env_bool, env_int, env_list, env_secret, env_str

# Lets us write ModelForm[Person] and QuerySet[Person] at run time, as the type checker reads them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("TWOWAY_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)


def trial_secret_key(path: Path) -> str:
    """The trial's key, made once into `path` and read by every process after that.

    The web process and the worker must sign with the same key (the worker writes unsubscribe
    links the web process checks), and a restart must keep people signed in. The key is written
    to a temporary file and linked into place, so two processes starting at once never read a
    half-written key: whichever links first wins and the other reads that one.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write("trial-" + secrets.token_urlsafe(50))
            os.chmod(temporary, 0o600)
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if len(key) < 32:
        raise ImproperlyConfigured(f"{path} holds no usable key; delete it to make a new one")
    return key


SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (or use SECRET_KEY_FILE)"
        )
    SECRET_KEY = trial_secret_key(VAR_DIR / "secret.key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "twoway.accounts",
    "twoway.people",
    "twoway.programs",
    "twoway.notifications",
    "twoway.core",
    "twoway.partnerships",
    "twoway.goals",
    "twoway.meetings",
    "twoway.feedback",
    "twoway.support",
    "twoway.insights",
    "twoway.integrations.slack",
    "twoway.integrations.webhooks",
    "twoway.directory",
    "twoway.integrations.scim",
    "twoway.api",
    # Single sign-on: allauth's OpenID Connect and SAML providers, one app per organization,
    # built from twoway.integrations.sso's rows by its adapter. allauth's account app is required
    # by the social one; its own sign-in and sign-up pages are not mounted.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "twoway.integrations.sso",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "twoway.lib.http.RefuseNulMiddleware",
    "twoway.api.middleware.ApiProblemMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "twoway.core.middleware.DomainErrorMiddleware",
    "csp.middleware.CSPMiddleware",
    "twoway.lib.http.PrivateCacheMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out account or address before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "twoway.urls"
WSGI_APPLICATION = "twoway.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "twoway.accounts.context_processors.current_org",
            ],
        },
    },
]


def _database_config(url: str) -> dict[str, object]:
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web process read while the worker writes; IMMEDIATE avoids the
        # "database is locked" upgrade deadlock between two writers.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        config["CONN_MAX_AGE"] = 0
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # A database that restarted leaves stale pooled connections: check before reuse. A
        # database that accepts and never answers must not hang a request or the worker.
        config["CONN_HEALTH_CHECKS"] = True
        options = dict(config.get("OPTIONS") or {})  # type: ignore[call-overload]
        options.setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5))
        timeout_ms = env_int("DATABASE_STATEMENT_TIMEOUT", 30) * 1000
        if timeout_ms:
            options.setdefault("options", f"-c statement_timeout={timeout_ms}")
        config["OPTIONS"] = options
    return config


DATABASE_URL = env_str("DATABASE_URL", "")
if not DATABASE_URL:
    # The trial database lives in var/; make the folder so a fresh checkout just works.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'twoway.sqlite3'}"
DATABASES = {"default": _database_config(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# In a trial (DEBUG) files are served straight from static/; production runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Twoway <twoway@localhost>")
# Without an SMTP host, mail is kept rather than lost: a trial (DEBUG) writes each message to
# var/mail/ to read at leisure, anything else prints it to the log.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", BASE_URL.startswith("https://"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 14 * 24 * 3600
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Notifications (the outbox worker, Slack). See README, "Notifications".
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 120)
OUTBOX_RETENTION_DAYS = env_int("OUTBOX_RETENTION_DAYS", 90)
# Every SMTP socket operation gives up after this long. Well below the lease: a relay that
# stalls must not keep a message past its lease, or another worker would send it a second time.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", max(1, min(30, OUTBOX_LEASE_SECONDS // 4)))
if EMAIL_TIMEOUT * 2 >= OUTBOX_LEASE_SECONDS:
    raise ImproperlyConfigured("EMAIL_TIMEOUT must be less than half of OUTBOX_LEASE_SECONDS")
# A round being published is the worker's for this long after its last batch (a batch of 500
# groups takes about a second): past it, a worker that died is taken over by another.
ROUND_PUBLISH_LEASE_SECONDS = env_int("ROUND_PUBLISH_LEASE_SECONDS", 60)
# Channel → transport class; each outside system is a package under twoway/integrations/.
TWOWAY_TRANSPORTS = {
    "email": "twoway.integrations.email.transport.EmailTransport",
    "slack": "twoway.integrations.slack.transport.SlackTransport",
    "webhook": "twoway.integrations.webhooks.transport.WebhookTransport",
}
# Webhooks go to HTTPS only; plain HTTP to 127.0.0.1 is for tests and local development.
WEBHOOKS_ALLOW_HTTP_LOOPBACK = False
# Webhooks reach public addresses only (no loopback, private, link-local or metadata address);
# on only for a receiver on this machine or the local network, in development and tests.
TWOWAY_WEBHOOK_ALLOW_PRIVATE = env_bool("TWOWAY_WEBHOOK_ALLOW_PRIVATE", False)
SLACK_CLIENT_ID = env_str("SLACK_CLIENT_ID", "")
SLACK_CLIENT_SECRET = env_secret("SLACK_CLIENT_SECRET")
SLACK_SIGNING_SECRET = env_secret("SLACK_SIGNING_SECRET")
SLACK_API_URL = env_str("SLACK_API_URL", "https://slack.com/api/")
SLACK_AUTHORIZE_URL = env_str("SLACK_AUTHORIZE_URL", "https://slack.com/oauth/v2/authorize")

# Single sign-on (allauth). See README, "Single sign-on". Twoway keeps its own sign-in pages and
# provisions people itself (twoway.integrations.sso.services), so allauth only runs the OIDC or
# SAML handshake: never its sign-up, its email verification or its token storage.
SOCIALACCOUNT_ADAPTER = "twoway.integrations.sso.adapter.SsoAdapter"
SOCIALACCOUNT_ONLY = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_AUTO_SIGNUP = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
# Each identity provider call (discovery, token, keys, userinfo) gives up after this long.
SOCIALACCOUNT_REQUESTS_TIMEOUT = env_int("SSO_REQUESTS_TIMEOUT", 10)

# --- security ---------------------------------------------------------------------------------
# HTTPS: the proxy terminates TLS; these make browsers stay on it. HSTS starts at one year once
# the site is on https (a trial on http://127.0.0.1 sends none: browsers would remember it).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int(
    "SECURE_HSTS_SECONDS", 31_536_000 if BASE_URL.startswith("https://") else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# /healthz answers a load balancer on plain http behind the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# The pages carry no JavaScript and no inline styles, so the policy can be strict: anything
# injected into a page (a note, a name) can neither run nor load from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Sign-in throttling (django-axes): 10 failed attempts for one account, or from one address,
# lock that account or address out for 15 minutes; a success resets the count.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "twoway.accounts.lockout.lockout_response"
AXES_VERBOSE = False
if env_bool("BEHIND_PROXY"):
    # The client's address is the one the proxy saw, not the proxy's own.
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Password-reset emails: at most this many an hour for one address, and from one client address
# (counted in the database, so every web process sees the same count).
PASSWORD_RESET_LIMIT_PER_EMAIL = env_int("PASSWORD_RESET_LIMIT_PER_EMAIL", 3)
PASSWORD_RESET_LIMIT_PER_IP = env_int("PASSWORD_RESET_LIMIT_PER_IP", 10)

# The public API (/api/v1/). See README, "API".
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600)
