"""Rate limits per client, counted in the cache in one round trip.

django-ratelimit counts each limit with two or three cache calls (an ``add``, then on
Redis an ``EXISTS`` and an ``INCR``): six round trips for the public lookup's two limits,
each 0.16 ms here, more than the lookup's own query. Here every limit of a request is
one ``INCR`` and one ``EXPIRE`` in a single Redis pipeline; on another cache (the local
memory one of a newcomer's machine) the cache's own ``add`` and ``incr``.

Windows are fixed (the minute, the hour, the day since the epoch, in UTC) and counted per
client address as the audit log reads it (``kit.audit.client_address``), an IPv6 address
by its /64 as django-ratelimit does."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import time
from collections.abc import Sequence

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

from . import privacy
from .audit import client_address

_RATE = re.compile(r"(\d+)/(\d*)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A counter outlives its window a little, so that a clock a second apart between two
# processes does not start one afresh.
_GRACE_SECONDS = 60


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/m"`` → (10, 60); ``"100/d"`` → (100, 86400); ``"5/10m"`` → (5, 600)."""
    match = _RATE.fullmatch(rate.strip())
    if match is None:
        raise ValueError(f"限流速率应形如 10/m、100/d：{rate!r}")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _UNIT_SECONDS[unit]


def _client_key(request: HttpRequest) -> str:
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        pass
    else:
        if parsed.version == 6:
            address = str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    # The address is personal data: the cache holds its keyed digest (under the ID-number
    # digest's key), which no one can reverse by trying the 2**32 IPv4 addresses.
    return hmac.new(privacy.hash_key(), address.encode(), hashlib.sha256).hexdigest()[:24]


def _incremented(keys: Sequence[tuple[str, int]]) -> list[int]:
    """Each key's counter after adding one; a new counter lives ``ttl`` seconds."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # Django keeps an integer as a plain Redis integer, so INCR counts what get() reads.
        pipeline = backend._cache.get_client(write=True).pipeline(transaction=False)  # type: ignore[attr-defined]
        for key, ttl in keys:
            full_key = backend.make_and_validate_key(key)
            pipeline.incr(full_key)
            pipeline.expire(full_key, ttl)
        return [int(count) for count in pipeline.execute()[0::2]]
    counts = []
    for key, ttl in keys:
        if backend.add(key, 1, ttl):
            counts.append(1)
            continue
        try:
            counts.append(backend.incr(key))
        except ValueError:  # it ran out between the two calls
            backend.set(key, 1, ttl)
            counts.append(1)
    return counts


def spent(request: HttpRequest, limits: Sequence[tuple[str, str]]) -> bool:
    """Count this request against every ``(group, rate)`` of its client; True when any of
    them is over its rate (this request included)."""
    client, now = _client_key(request), int(time.time())
    windows = []
    for group, rate in limits:
        allowed, seconds = parse_rate(rate)
        key = f"ratelimit:{group}:{seconds}:{now // seconds}:{client}"
        windows.append((key, allowed, seconds + _GRACE_SECONDS))
    counts = _incremented([(key, ttl) for key, _, ttl in windows])
    return any(count > allowed for count, (_, allowed, _) in zip(counts, windows, strict=True))
