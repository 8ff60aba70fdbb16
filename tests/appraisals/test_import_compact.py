"""The importer's integer map (appraisals.importing.compact.IntMap): what a re-import keeps
of every person and registration it has met, at 16 bytes a slot."""

import random

import pytest

from appraisals.importing.compact import IntMap


def test_it_keeps_the_first_value_of_each_key_through_growth():
    keys = [*random.Random(15).sample(range(2**61), 5000), 0, 1, 2**62]
    kept = IntMap()
    for i, key in enumerate(keys):
        assert kept.setdefault(key, i) == i
    for i, key in enumerate(keys):
        assert kept.setdefault(key, -1) == i  # the first value stays
        assert kept.get(key) == i and key in kept
    assert len(kept) == len(keys)
    assert kept.get(3) is None and 3 not in kept
    assert kept.get(3, -5) == -5


def test_consecutive_keys_and_a_size_given_ahead():
    kept = IntMap(expected=10_000)
    capacity = len(kept._keys)
    for key in range(10_000):
        kept.setdefault(key, key << 32 | 7)
    assert len(kept._keys) == capacity  # room for all from the start
    assert all(kept.get(key) == key << 32 | 7 for key in range(10_000))


def test_a_key_out_of_range_is_refused():
    with pytest.raises(ValueError):
        IntMap().setdefault(-1, 0)
    with pytest.raises(ValueError):
        IntMap().setdefault(2**63, 0)
