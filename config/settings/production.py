"""Production: every secret and address comes from the environment and has no default.

The settings refuse to load (ImproperlyConfigured, naming every missing or unfit variable
at once) rather than fall back to what only suits a laptop: SQLite, Celery in-process, a
rate limit counted per process, QR codes pointing at 127.0.0.1, e-mail to the console."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import MIDDLEWARE, REDIS_URL, STORAGES, env, planner_settings

_problems: list[str] = []


def _required(name: str, why: str) -> str:
    value = env(name, default="").strip()
    if not value:
        _problems.append(f"{name}（{why}）未设置")
    return value


DEBUG = False

SECRET_KEY = _required("DJANGO_SECRET_KEY", "会话和签名的密钥，至少 50 个字符的随机串")
if SECRET_KEY and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith(("insecure", "django-insecure"))):
    _problems.append("DJANGO_SECRET_KEY 太短或是示例值：请用至少 50 个字符的随机串")

ALLOWED_HOSTS = [h for h in _required("DJANGO_ALLOWED_HOSTS", "对外服务的域名，多个以逗号分隔").split(",") if h]

_database_url = _required("DATABASE_URL", "PostgreSQL 数据库地址，如 postgres://user@host:5432/jianding")
if _database_url and not _database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
    _problems.append("DATABASE_URL 须指向 PostgreSQL：生产环境不使用 SQLite")
DATABASES = {"default": planner_settings(env.db_url_config(_database_url)) if _database_url else {}}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Without a broker Celery would run tasks inside web requests and the lookup's rate limit
# would be counted per process: both wrong with more than one process.
if not REDIS_URL:
    _required("REDIS_URL", "Celery 消息队列和缓存，如 redis://host:6379/0")

JIANDING_PUBLIC_URL = _required("JIANDING_PUBLIC_URL", "证书二维码中的证书查询地址，如 https://jianding.example.gov.cn")
if JIANDING_PUBLIC_URL:
    _public = urlsplit(JIANDING_PUBLIC_URL)
    if _public.scheme != "https" or _public.hostname in (None, "localhost", "127.0.0.1", "::1"):
        _problems.append("JIANDING_PUBLIC_URL 须是公众能访问的 https 地址（印在证书二维码里）")

EMAIL_BACKEND = _required("DJANGO_EMAIL_BACKEND", "提醒邮件的发送方式，如 django.core.mail.backends.smtp.EmailBackend")
if EMAIL_BACKEND.endswith((".console.EmailBackend", ".locmem.EmailBackend", ".dummy.EmailBackend")):
    _problems.append("DJANGO_EMAIL_BACKEND 不能是控制台、内存或空的发送方式：提醒邮件会发不出去")
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("DJANGO_EMAIL_USE_SSL", default=False)
DEFAULT_FROM_EMAIL = _required("DJANGO_DEFAULT_FROM_EMAIL", "提醒邮件的发件人地址")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

if _problems:
    raise ImproperlyConfigured("生产环境配置不完整，未启动：\n- " + "\n- ".join(_problems))

# HTTPS only. TLS ends at the reverse proxy, which must set X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Static files served by the web processes themselves (WhiteNoise: compressed, cached
# forever under hashed names), so one gunicorn command is the whole web tier.
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
STORAGES = {
    **STORAGES,  # "private" (candidate photos) as in base
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
