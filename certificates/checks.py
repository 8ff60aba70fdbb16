"""Deployment checks (``manage.py check --deploy``) for the public certificate lookup."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.caches, deploy=True)
def rate_limit_cache_is_shared(app_configs, **kwargs):
    """The lookup's rate limit counts in the cache: a per-process cache (locmem) gives every
    worker its own counters, so the limit multiplies by the number of workers."""
    backend = settings.CACHES.get(getattr(settings, "RATELIMIT_USE_CACHE", "default"), {}).get("BACKEND", "")
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            checks.Warning(
                "证书查询的限流计数保存在进程内存中，多进程部署时限流失效。",
                hint="设置 REDIS_URL，使缓存（和限流计数）由 Redis 共享。",
                id="certificates.W001",
            )
        ]
    return []
