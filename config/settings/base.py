"""Settings shared by every environment. Values come from the environment (django-environ).

With nothing set, Jianding runs on SQLite with Celery in eager mode, so a newcomer needs
no service running. DATABASE_URL and REDIS_URL switch to PostgreSQL and a real broker.
"""

import datetime
from pathlib import Path
from typing import Any

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
    "config.apps.LoginProtectionConfig",
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
    # Last, as django-axes asks: it turns a lockout raised during login into its page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out user before the password is checked
    "catalog.backends.RoleModelBackend",  # Django's ModelBackend, permissions and roles in one query
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


def planner_settings(database: dict) -> dict:
    """``database`` with the planner settings the app sets on its own PostgreSQL connections."""
    if database.get("ENGINE") != "django.db.backends.postgresql":
        return database
    # A random read costs about what a sequential one does when the tables sit in memory or
    # on SSD; PostgreSQL's default (4) is for spinning disks, and with it a surname searched
    # across a province read all 1,000,000 registrations instead of the name index's 12,000.
    random_page_cost = env.float("JIANDING_PG_RANDOM_PAGE_COST", default=1.1)
    # One request, one core: in parallel, each of three processes built its own hash of a
    # province's 130,000 results for one search, and left no core for the next clerk.
    parallel_workers = env.int("JIANDING_PG_PARALLEL_WORKERS", default=0)
    options = database.setdefault("OPTIONS", {})
    options["options"] = (
        f"{options.get('options', '')} -c random_page_cost={random_page_cost}"
        f" -c max_parallel_workers_per_gather={parallel_workers}"
    ).strip()
    return database


DATABASES = {"default": planner_settings(env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
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
STATIC_ROOT = Path(env("JIANDING_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("JIANDING_MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Personal files that only views checking who asks may hand out (candidate photos): kept
# outside MEDIA_ROOT, so no web server configured for MEDIA_URL ever serves them.
PRIVATE_MEDIA_ROOT = Path(env("JIANDING_PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media")))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": PRIVATE_MEDIA_ROOT}},
}

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
# A task that hangs (a lost connection, a pathological file) is stopped rather than holding
# a worker for ever: the soft limit raises inside the task (an import job then records
# its failure, nothing saved), the hard limit kills the process a little later.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("JIANDING_TASK_SOFT_TIME_LIMIT", default=30 * 60)
CELERY_TASK_TIME_LIMIT = env.int("JIANDING_TASK_TIME_LIMIT", default=32 * 60)

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "kit.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions read from the cache (Redis in production), written through to the database: a page
# does not spend a query on its session.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

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
    # Every line is masked (kit.logs): no full ID or mobile number reaches a log.
    "formatters": {"masked": {"()": "kit.logs.MaskingFormatter", "fmt": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "masked"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # django-axes tells every failed login and lockout as a warning (user and address
    # masked); its housekeeping chatter at INFO is noise.
    "loggers": {"axes": {"level": "WARNING"}},
}

# Appraisal rules that the notices leave to configuration.
JIANDING_PASS_MARK = env.int("JIANDING_PASS_MARK", default=60)  # each part, out of 100
JIANDING_PUBLICITY_WORKING_DAYS = env.int("JIANDING_PUBLICITY_WORKING_DAYS", default=5)  # 公示期
# Reminders are sent this many days before each deadline (a late sweep sends the one now due).
JIANDING_REMINDER_LEAD_DAYS = env.list("JIANDING_REMINDER_LEAD_DAYS", cast=int, default=[14, 7, 3, 1])
# Registration files larger than this (bytes; about 5,000 CSV rows) are imported by a background job.
JIANDING_IMPORT_BACKGROUND_BYTES = env.int("JIANDING_IMPORT_BACKGROUND_BYTES", default=512 * 1024)
# An import report keeps the first errors this many (every error is still counted).
JIANDING_IMPORT_KEPT_ERRORS = env.int("JIANDING_IMPORT_KEPT_ERRORS", default=1000)

# --- Certificates (证书核发、档案、证书查询、数据审核) ------------------------------------------------
# Signs of rushed issuance (严禁突击发证): a batch showing any of them is held for a
# supervisor's review instead of being issued. See README "Certificates" for the reasons.
JIANDING_RUSH_CUTOFF_WINDOW_DAYS = env.int("JIANDING_RUSH_CUTOFF_WINDOW_DAYS", default=7)
JIANDING_RUSH_BASELINE_DAYS = env.int("JIANDING_RUSH_BASELINE_DAYS", default=60)
JIANDING_RUSH_CUTOFF_FACTOR = env.float("JIANDING_RUSH_CUTOFF_FACTOR", default=3.0)
JIANDING_RUSH_CUTOFF_MIN_REGISTRATIONS = env.int("JIANDING_RUSH_CUTOFF_MIN_REGISTRATIONS", default=10)
JIANDING_RUSH_BURST_DAYS = env.int("JIANDING_RUSH_BURST_DAYS", default=10)
JIANDING_RUSH_BURST_MIN_CERTIFICATES = env.int("JIANDING_RUSH_BURST_MIN_CERTIFICATES", default=20)
# 严禁组织跨区域规模化鉴定 (闽人社办〔2020〕143号): the most candidates an off-site session may
# seat, per region code (a station's or site's province or city); beyond it a session is
# refused even with an approval. 30 = one standard exam room (2 invigilators at 1 per 15).
# Format: "350000=30;430000=60".
JIANDING_OFFSITE_MAX_CANDIDATES = env.dict(
    "JIANDING_OFFSITE_MAX_CANDIDATES", cast={"value": int}, default={"350000": 30}
)
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
# Login throttling (django-axes): after this many failed logins one user from one address
# is locked out for a while, or until the system administrator deletes the lock (登录保护 →
# 登录失败记录). Per user *and* address: a station's clerks share one office address, and
# one person's typos must not lock out the others, nor a stranger lock out a known user.
AXES_FAILURE_LIMIT = env.int("JIANDING_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("JIANDING_LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The page says when to try again: trying during the lock does not push that time back.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = [RATELIMIT_IP_META_KEY]
AXES_COOLOFF_MESSAGE = "登录失败次数过多，账号已暂时锁定，请稍后再试。"
AXES_PERMALOCK_MESSAGE = "登录失败次数过多，账号已锁定，请联系系统管理员解锁。"
# Candidate photos (考生照片): one image at most this many bytes and this many pixels on its
# longer side (a scanned or phone ID photo is well under both); a ZIP of photos at most
# this many files and this many bytes unpacked (a zip bomb stops there).
JIANDING_PHOTO_MAX_BYTES = env.int("JIANDING_PHOTO_MAX_BYTES", default=2 * 1024 * 1024)
JIANDING_PHOTO_MAX_PIXELS = env.int("JIANDING_PHOTO_MAX_PIXELS", default=4000)
JIANDING_PHOTO_ZIP_MAX_FILES = env.int("JIANDING_PHOTO_ZIP_MAX_FILES", default=2000)
JIANDING_PHOTO_ZIP_MAX_BYTES = env.int("JIANDING_PHOTO_ZIP_MAX_BYTES", default=500 * 1024 * 1024)

# The address printed in certificates' QR codes (the public lookup page).
JIANDING_PUBLIC_URL = env("JIANDING_PUBLIC_URL", default="http://127.0.0.1:8000")

# Privacy of resident ID numbers (kit.privacy): history tables keep a masked number and its
# HMAC-SHA256 under this key (empty: derived from SECRET_KEY). Changing it makes earlier
# history unfindable by number; see README "Privacy".
JIANDING_ID_HASH_KEY = env("JIANDING_ID_HASH_KEY", default="")
# Retention (manage.py deidentify_ended_cases): a case's personal data are de-identified this
# many days after the case ended. Three years: the civil limitation period (Civil Code
# art. 188) within which a refund or result may be disputed and a complaint investigated.
JIANDING_RETENTION_DAYS = env.int("JIANDING_RETENTION_DAYS", default=3 * 365)
# Short messages to candidates (告知义务): the sending class (kit.sms; no real gateway is
# shipped), the file backend's directory, and how many days after a moment a candidate is
# still told of it (a missed sweep catches up, an upgrade does not text about last spring).
JIANDING_SMS_BACKEND = env("JIANDING_SMS_BACKEND", default="kit.sms.ConsoleBackend")
JIANDING_SMS_FILE_PATH = env("JIANDING_SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sms"))
JIANDING_CANDIDATE_NOTICE_LOOKBACK_DAYS = env.int("JIANDING_CANDIDATE_NOTICE_LOOKBACK_DAYS", default=14)
# Late entries (补录, issue 13): an act dated inside a deadline may still be entered this many
# hours after the deadline day ends (a clerk finishing the day's pile after midnight); later it
# needs a guidance-centre officer's approval, which stays usable for so many days.
JIANDING_LATE_ENTRY_GRACE_HOURS = env.int("JIANDING_LATE_ENTRY_GRACE_HOURS", default=6)
JIANDING_LATE_ENTRY_APPROVAL_DAYS = env.int("JIANDING_LATE_ENTRY_APPROVAL_DAYS", default=7)
