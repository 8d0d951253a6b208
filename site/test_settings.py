"""Settings for the test suite: fast, hermetic, never touching the demo database or media."""

import os
import tempfile

os.environ.setdefault("PORTAIL_ENV", "test")

from .settings import *  # noqa: E402, F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="portail-test-media-")
PRIVATE_MEDIA_ROOT = tempfile.mkdtemp(prefix="portail-test-private-")
STATIC_ROOT = tempfile.mkdtemp(prefix="portail-test-static-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if not os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    }
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
WAGTAILADMIN_BASE_URL = "http://testserver"
# Sign-in throttling stays out of the way of Client.login(), which authenticates without a
# request (django-axes refuses that); tests of the throttling turn it on with
# override_settings(AXES_ENABLED=True).
AXES_ENABLED = False
