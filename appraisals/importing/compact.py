"""A map of non-negative 63-bit integers to integers in two flat arrays (16 bytes a slot).

A re-import must remember every person and every registration it has met, to tell a row
that repeats an earlier one; a dict of ID numbers and tuples cost about 1 KB a row, this
about 24 bytes (issue #15: a re-import's memory flat). Open addressing with linear
probing; nothing is ever removed."""

from __future__ import annotations

from array import array

_EMPTY = 0  # keys are stored plus one, so that zero marks a free slot
_MULTIPLIER = 0x9E3779B97F4A7C15  # Fibonacci hashing: spreads consecutive keys
_LIMIT = 1 << 63


class IntMap:
    def __init__(self, expected: int = 0) -> None:
        # Room for ``expected`` keys at two thirds full: the file's rows, when known, so a
        # re-import never copies the map to grow it.
        self._allocate(max(1024, expected * 3 // 2 + 1))

    def _allocate(self, capacity: int) -> None:
        self._keys = array("Q", bytes(8 * capacity))
        self._values = array("q", bytes(8 * capacity))
        self._capacity = capacity
        self._used = 0

    def __len__(self) -> int:
        return self._used

    def _slot(self, stored: int) -> int:
        """The slot holding ``stored``, or the free one where it belongs."""
        keys, capacity = self._keys, self._capacity
        slot = ((stored * _MULTIPLIER) & 0xFFFFFFFFFFFFFFFF) % capacity
        while keys[slot] != _EMPTY and keys[slot] != stored:
            slot += 1
            if slot == capacity:
                slot = 0
        return slot

    def get(self, key: int, default: int | None = None) -> int | None:
        slot = self._slot(key + 1)
        return self._values[slot] if self._keys[slot] != _EMPTY else default

    def __contains__(self, key: int) -> bool:
        return self._keys[self._slot(key + 1)] != _EMPTY

    def setdefault(self, key: int, value: int) -> int:
        """The value kept for ``key``, or ``value``, kept now."""
        if not 0 <= key < _LIMIT - 1:
            raise ValueError(f"key {key} out of range")
        slot = self._slot(key + 1)
        if self._keys[slot] != _EMPTY:
            return self._values[slot]
        self._keys[slot], self._values[slot] = key + 1, value
        self._used += 1
        if self._used * 3 > self._capacity * 2:
            self._grow()
        return value

    def _grow(self) -> None:
        keys, values = self._keys, self._values
        self._allocate(self._capacity * 2)
        used = 0
        for stored, value in zip(keys, values, strict=True):
            if stored != _EMPTY:
                slot = self._slot(stored)
                self._keys[slot], self._values[slot] = stored, value
                used += 1
        self._used = used
