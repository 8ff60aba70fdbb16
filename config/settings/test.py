"""Tests: SQLite in memory unless DATABASE_URL points at PostgreSQL."""

import hashlib
import os
from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, env

SECRET_KEY = "test-only-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / ".test-media"
PRIVATE_MEDIA_ROOT = BASE_DIR / ".test-private-media"
STORAGES["private"]["OPTIONS"] = {"location": PRIVATE_MEDIA_ROOT}  # noqa: F405
JIANDING_BUSINESS_DATE = None
# The suite replays 2020 on today's clock, so every act would be a late entry (补录): the
# grace covers that here; the late-entry tests (tests/appraisals/test_late_entry.py) set the
# grace themselves and freeze the clock.
JIANDING_LATE_ENTRY_GRACE_HOURS = 100 * 365 * 24
# Tests that need the broker start their own worker; everything else runs tasks in-process.
CELERY_TASK_ALWAYS_EAGER = True
if not env("DATABASE_URL", default=""):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

if REDIS_URL:  # noqa: F405
    # Tests clear the cache; keep it in its own Redis database, away from the broker's.
    CACHES = {
        "default": {
            "BACKEND": "kit.cache.RedisCache",
            "LOCATION": urlunsplit(urlsplit(REDIS_URL)._replace(path="/15")),  # noqa: F405
            # Each test database keeps its own keys: the versions and scopes one run's database
            # replaces must not be read by another's (another pytest-xdist worker, another
            # checkout, another run against a different database). The suite clears only
            # these keys (conftest._fresh_cache).
            "KEY_PREFIX": "test-"
            + hashlib.sha1(f"{BASE_DIR}:{DATABASES['default']['NAME']}".encode()).hexdigest()[:12]
            + os.environ.get("PYTEST_XDIST_WORKER", ""),
        }
    }

# The demo data set (manage.py load_demo): never installed in production.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405

# Short messages to candidates stay in kit.sms.outbox.
JIANDING_SMS_BACKEND = "kit.sms.LocmemBackend"
JIANDING_SMS_FILE_PATH = str(BASE_DIR / ".test-media" / "sms")
