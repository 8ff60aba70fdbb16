"""The live server of the browser tests: the demo app, a file database of the test's own
(DATABASE_URL), Celery eager, fast password hashing; otherwise as deployed (DEBUG off)."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, MEDIA_ROOT, STORAGES

INSTALLED_APPS = [*INSTALLED_APPS, "demo"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Candidate photos beside the test's other files (each test server gets a copy of its
# MEDIA_ROOT); DEBUG is off, so nothing under MEDIA_ROOT is served by URL here either.
STORAGES["private"]["OPTIONS"] = {"location": MEDIA_ROOT / "private"}
