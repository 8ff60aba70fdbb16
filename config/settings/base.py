"""Settings shared by every environment. Values come from the environment (django-environ).

With nothing set, Jianding runs on SQLite with Celery in eager mode, so a newcomer needs
no service running. DATABASE_URL and REDIS_URL switch to PostgreSQL and a real broker.
"""

import datetime
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "import_export",
    "simple_history",
    "django_celery_beat",
    "catalog",
    "candidates",
    "appraisals",
    "certificates",
    "supervision",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "catalog.context_processors.business_date",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "catalog.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
# Overrides of library translations that read badly (locale/zh_Hans/LC_MESSAGES/django.po).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("JIANDING_MEDIA_ROOT", default=str(BASE_DIR / "media")))

LOGIN_URL = "admin:login"

# Celery: eager (in-process) unless a broker is configured.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="jianding@localhost")

# The business date ("today") for demos, training and replaying 2020; empty means the clock.
_business_date = env("JIANDING_BUSINESS_DATE", default="")
JIANDING_BUSINESS_DATE = datetime.date.fromisoformat(_business_date) if _business_date else None
# 全国职业技能鉴定质量监督举报电话 (人社职司便函〔2020〕44号).
JIANDING_SUPERVISION_HOTLINE = env("JIANDING_SUPERVISION_HOTLINE", default="010-84661234")

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True

IMPORT_EXPORT_USE_TRANSACTIONS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}

# Appraisal rules that the notices leave to configuration.
JIANDING_PASS_MARK = env.int("JIANDING_PASS_MARK", default=60)  # each part, out of 100
JIANDING_PUBLICITY_WORKING_DAYS = env.int("JIANDING_PUBLICITY_WORKING_DAYS", default=5)  # 公示期
# Reminders are sent this many days before each deadline (a late sweep sends the one now due).
JIANDING_REMINDER_LEAD_DAYS = env.list("JIANDING_REMINDER_LEAD_DAYS", cast=int, default=[14, 7, 3, 1])
# Registration files larger than this (bytes; about 5,000 CSV rows) are imported by a background job.
JIANDING_IMPORT_BACKGROUND_BYTES = env.int("JIANDING_IMPORT_BACKGROUND_BYTES", default=512 * 1024)

# --- Certificates (证书核发、档案、证书查询、数据审核) ------------------------------------------------
# Signs of rushed issuance (严禁突击发证): a batch showing any of them is held for a
# supervisor's review instead of being issued. See README "Certificates" for the reasons.
JIANDING_RUSH_CUTOFF_WINDOW_DAYS = env.int("JIANDING_RUSH_CUTOFF_WINDOW_DAYS", default=7)
JIANDING_RUSH_BASELINE_DAYS = env.int("JIANDING_RUSH_BASELINE_DAYS", default=60)
JIANDING_RUSH_CUTOFF_FACTOR = env.float("JIANDING_RUSH_CUTOFF_FACTOR", default=3.0)
JIANDING_RUSH_CUTOFF_MIN_REGISTRATIONS = env.int("JIANDING_RUSH_CUTOFF_MIN_REGISTRATIONS", default=10)
JIANDING_RUSH_BURST_DAYS = env.int("JIANDING_RUSH_BURST_DAYS", default=10)
JIANDING_RUSH_BURST_MIN_CERTIFICATES = env.int("JIANDING_RUSH_BURST_MIN_CERTIFICATES", default=20)
# Staffing from the national occupational skill standards' template: theory rooms at least
# 2 invigilators and 1 per 15 candidates; practical assessments 1 examiner per 5 candidates,
# at least 3 (an odd number); review panels at least 3 (odd). The rushed-issuance signal
# reads the same rule (appraisals.rules.staffing_required).
JIANDING_STAFF_INVIGILATORS_MIN = env.int("JIANDING_STAFF_INVIGILATORS_MIN", default=2)
JIANDING_STAFF_CANDIDATES_PER_INVIGILATOR = env.int("JIANDING_STAFF_CANDIDATES_PER_INVIGILATOR", default=15)
JIANDING_STAFF_EXAMINERS_MIN = env.int("JIANDING_STAFF_EXAMINERS_MIN", default=3)
JIANDING_STAFF_CANDIDATES_PER_EXAMINER = env.int("JIANDING_STAFF_CANDIDATES_PER_EXAMINER", default=5)
JIANDING_STAFF_REVIEW_PANEL_MIN = env.int("JIANDING_STAFF_REVIEW_PANEL_MIN", default=3)
# The public lookup (/verify/), per client IP, counted in the cache (Redis when REDIS_URL is set).
JIANDING_VERIFY_RATE = env("JIANDING_VERIFY_RATE", default="10/m")
JIANDING_VERIFY_DAILY_RATE = env("JIANDING_VERIFY_DAILY_RATE", default="100/d")
# Behind a reverse proxy, the header that holds the client's address (e.g. HTTP_X_REAL_IP).
RATELIMIT_IP_META_KEY = env("JIANDING_CLIENT_IP_HEADER", default="REMOTE_ADDR")
# The address printed in certificates' QR codes (the public lookup page).
JIANDING_PUBLIC_URL = env("JIANDING_PUBLIC_URL", default="http://127.0.0.1:8000")
