import os

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("JIANDING_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config, items):
    """Skip tests whose service is missing, saying why; in CI a missing service is an error."""
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    has_redis = bool(settings.REDIS_URL)
    for item in items:
        reasons = []
        if item.get_closest_marker("postgres") and not on_postgres:
            reasons.append("需要 PostgreSQL：设置 DATABASE_URL=postgres://… 后运行")
        if item.get_closest_marker("redis") and not has_redis:
            reasons.append("需要 Redis：设置 REDIS_URL=redis://… 后运行")
        if reasons and REQUIRE_SERVICES:
            raise pytest.UsageError(f"JIANDING_REQUIRE_SERVICES=1, but {item.nodeid}: {'; '.join(reasons)}")
        if reasons:
            item.add_marker(pytest.mark.skip(reason="; ".join(reasons)))


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
    after such a test empties every table, so the catalog is loaded again."""
    yield
    with django_db_blocker.unblock():
        _load_catalog()
