import os
import shutil

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("JIANDING_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config, items):
    """Skip tests whose service is missing, saying why; in CI a missing service is an error."""
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    has_redis = bool(settings.REDIS_URL)
    has_browser = _has_browser()
    for item in items:
        reasons = []
        if item.get_closest_marker("browser") and not has_browser:
            reasons.append(
                "需要 Chromium 和中文字体：apt-get install chromium fonts-wqy-microhei（或设置 JIANDING_CHROMIUM）"
            )
        if item.get_closest_marker("postgres") and not on_postgres:
            reasons.append("需要 PostgreSQL：设置 DATABASE_URL=postgres://… 后运行")
        if item.get_closest_marker("redis") and not has_redis:
            reasons.append("需要 Redis：设置 REDIS_URL=redis://… 后运行")
        if reasons and REQUIRE_SERVICES:
            raise pytest.UsageError(f"JIANDING_REQUIRE_SERVICES=1, but {item.nodeid}: {'; '.join(reasons)}")
        if reasons:
            item.add_marker(pytest.mark.skip(reason="; ".join(reasons)))


def _has_browser() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return shutil.which(os.environ.get("JIANDING_CHROMIUM", "/usr/bin/chromium")) is not None


def _load_catalog():
    from catalog.services import catalog_load

    catalog_load()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database holds the catalog, as every real one does."""
    with django_db_blocker.unblock():
        _load_catalog()


@pytest.fixture
def committed_db(transactional_db, django_db_blocker):
    """Real commits (for on_commit hooks, other threads, other connections). The flush
    after such a test empties every table (pytest-django runs these tests last), so
    each one loads the catalog again first."""
    with django_db_blocker.unblock():
        _load_catalog()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and other cached counts start from zero in every test."""
    clear_this_runs_cache()


def clear_this_runs_cache():
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    # Django's clear() is FLUSHDB, which would also empty the keys of a run beside this one
    # (another checkout, CI): delete this run's keys only (KEY_PREFIX, settings/test.py).
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def real_worker(committed_db):
    """A Celery worker thread consuming from the real broker (REDIS_URL); tasks sent with
    delay() go through Redis to it instead of running in-process."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = True
