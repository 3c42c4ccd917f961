"""Settings for the test suite: the same as production, plus a switch to PostgreSQL.

TWOWAY_TEST_DATABASE_URL runs the whole suite on another database (CI runs it on PostgreSQL).
"""

import os

os.environ.setdefault("DEBUG", "1")

from twoway.settings import *  # noqa: F403
from twoway.settings import _database_config

_test_url = os.environ.get("TWOWAY_TEST_DATABASE_URL")
if _test_url:
    DATABASES = {"default": _database_config(_test_url)}
else:
    DATABASES = {"default": _database_config("sqlite://:memory:")}

# Argon2 is deliberately slow; tests that need it use it explicitly (tests/accounts).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
