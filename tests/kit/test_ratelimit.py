"""Rate limits counted in one cache round trip (kit.ratelimit): the public lookup's two
windows per client, an IPv6 client by its /64, and no client address kept in the cache."""

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory

from kit import ratelimit

LIMITS = [("test.short", "3/h"), ("test.daily", "5/d")]


def request_from(address: str):
    return RequestFactory().get("/verify/", REMOTE_ADDR=address)


def cache_keys() -> list[str]:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return [key.decode() for key in backend._cache.get_client().keys("*")]
    return list(backend._cache)


def test_rates_are_read_as_django_ratelimit_writes_them():
    assert ratelimit.parse_rate("10/m") == (10, 60)
    assert ratelimit.parse_rate("100/d") == (100, 86400)
    assert ratelimit.parse_rate("5/10m") == (5, 600)
    with pytest.raises(ValueError, match="限流速率"):
        ratelimit.parse_rate("ten a minute")


def test_each_window_counts_every_request_of_the_client():
    request = request_from("203.0.113.41")
    assert [ratelimit.spent(request, LIMITS) for _ in range(4)] == [False, False, False, True]
    # The daily window counted those four too: it is spent after five.
    assert [ratelimit.spent(request, [("test.daily", "5/d")]) for _ in range(2)] == [False, True]
    assert ratelimit.spent(request_from("203.0.113.42"), LIMITS) is False  # another client


def test_an_ipv6_client_is_counted_by_its_64_and_no_address_is_kept():
    first, same_network = "2001:db8:1:2::10", "2001:db8:1:2:ffff::1"
    for _ in range(3):
        assert ratelimit.spent(request_from(first), LIMITS) is False
    assert ratelimit.spent(request_from(same_network), LIMITS) is True
    assert ratelimit.spent(request_from("2001:db8:1:3::10"), LIMITS) is False
    keys = " ".join(cache_keys())
    assert "ratelimit:test.short" in keys
    assert "2001" not in keys and "203.0.113" not in keys


@pytest.mark.redis
def test_redis_counts_in_one_round_trip_and_keeps_one_client():
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    client = backend._cache.get_client()
    assert backend._cache.get_client(write=True) is client  # kept, not built per call
    sent = []
    execute = client.connection_pool.get_connection

    def counted(*args, **kwargs):
        sent.append(1)
        return execute(*args, **kwargs)

    client.connection_pool.get_connection = counted
    try:
        assert ratelimit.spent(request_from("203.0.113.43"), LIMITS) is False
    finally:
        client.connection_pool.get_connection = execute
    assert len(sent) == 1
    # The counter is the one Django's cache reads.
    key = next(k for k in cache_keys() if "ratelimit:test.short" in k)
    assert backend.get(key.split(":", 2)[2]) == 1
