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

# This run of the suite (checkout, database, pytest-xdist worker): what it keeps in the shared
# Redis is its own. Another run beside it (another worker, another checkout, CI) must not read
# the versions and scopes this run's database replaced, nor take this run's tasks to its own
# database.
_RUN = hashlib.sha1(f"{BASE_DIR}:{DATABASES['default']['NAME']}".encode()).hexdigest()[:12] + os.environ.get(
    "PYTEST_XDIST_WORKER", ""
)
# The queue a Celery worker started by a test (conftest.real_worker) consumes.
CELERY_TASK_DEFAULT_QUEUE = f"test-{_RUN}"

if REDIS_URL:  # noqa: F405
    # Tests clear the cache; keep it in its own Redis database, away from the broker's.
    CACHES = {
        "default": {
            "BACKEND": "kit.cache.RedisCache",
            "LOCATION": urlunsplit(urlsplit(REDIS_URL)._replace(path="/15")),  # noqa: F405
            # The suite clears only these keys (conftest._fresh_cache).
            "KEY_PREFIX": f"test-{_RUN}",
        }
    }

# The demo data set (manage.py load_demo): never installed in production.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405

# Short messages to candidates stay in kit.sms.outbox.
JIANDING_SMS_BACKEND = "kit.sms.LocmemBackend"
JIANDING_SMS_FILE_PATH = str(BASE_DIR / ".test-media" / "sms")
