"""The suite's cache is shared with whatever else uses the same Redis database."""

import pytest
from django.core.cache import cache

from conftest import clear_this_runs_cache

pytestmark = pytest.mark.redis


def test_a_test_starts_from_an_empty_cache_without_emptying_another_runs_keys():
    client = cache._cache.get_client(write=True)
    another_runs_key = "another-checkout:1:scope:7"
    client.set(another_runs_key, "kept", ex=60)
    cache.set("rate:lookup:127.0.0.1", 3)
    try:
        clear_this_runs_cache()
        assert cache.get("rate:lookup:127.0.0.1") is None
        assert client.get(another_runs_key) == b"kept"
    finally:
        client.delete(another_runs_key)
