"""Cheap keyed random streams: one per (seed, case, purpose, k), for common random numbers.

Each decision of each case draws from a stream of its own, so that the same
(seed, case, purpose, k) gives the same draws whatever the policy did to other
cases (see tests/test_crn.py).  Seeding a Mersenne Twister for each of them
costs ~7-20 µs (a string hashed, 624 words initialised) and megacity-day
makes ~140,000 of them.

A :class:`KeyedStream` is counter-based instead: block ``b`` of the stream
is ``BLAKE2b(key ‖ b)`` (64 bytes, read as eight little-endian 64-bit words),
and ``random()`` returns the top 53 bits of the next word divided by 2⁵³.
Creating one is an allocation and a few attribute stores; the hash of the
first block is computed at the first draw.  BLAKE2b (in the standard library,
in C) mixes every key bit into every output bit, so neighbouring keys (case
``n`` and ``n + 1``, ``k`` and ``k + 1``) give unrelated draws, and the
stream is the same on every platform and in every process: no dependence on
``PYTHONHASHSEED`` or on the Python version's seeding algorithm.

The class is a :class:`random.Random` whose ``random()`` and ``getrandbits()``
come from that counter, so every derived method (``gauss``, ``expovariate``,
``choices``, ``randrange``, ``shuffle``, ``lognormvariate`` ...) works and
draws only from the stream.

The key of :func:`case_stream` is ``seed``, ``case_no`` and ``k`` as three
unsigned 64-bit little-endian integers, then the purpose's UTF-8 bytes (the
purpose is last, so keys are unambiguous without a separator).  Integers
outside 0..2⁶⁴-1 are encoded by their decimal text in a separate BLAKE2b
domain (``person``), so they can never collide with the fast encoding.
"""

from __future__ import annotations

import hashlib
import os
import random
import struct
from typing import Any

__all__ = ["KeyedStream", "case_stream", "stream_key"]

_BLOCK = struct.Struct("<Q")  # the block counter appended to the key
_WORDS = struct.Struct("<8Q").unpack  # one BLAKE2b-512 digest: eight 64-bit words
_KEY3 = struct.Struct("<3Q").pack
_U64 = 1 << 64
_TWO_M53 = 2.0**-53
_BIG = b"wenzheng-bigint"  # BLAKE2b personalisation of keys with integers outside 64 bits
_SEEDED = b"wenzheng-seed"  # ... of streams reseeded through Random.seed()
_blake2b = hashlib.blake2b

# purpose -> UTF-8 bytes; purposes are a handful of fixed names, so the cache stays small
_PURPOSES: dict[str, bytes] = {}
_MAX_CACHED_PURPOSES = 256


def stream_key(seed: int, case_no: int, purpose: str, k: int) -> tuple[bytes, bytes]:
    """The (key, BLAKE2b person) of the stream of one (seed, case, purpose, k)."""
    p = _PURPOSES.get(purpose)
    if p is None:
        p = purpose.encode("utf-8")
        if len(_PURPOSES) < _MAX_CACHED_PURPOSES:
            _PURPOSES[purpose] = p
    if 0 <= seed < _U64 and 0 <= case_no < _U64 and 0 <= k < _U64:
        return _KEY3(seed, case_no, k) + p, b""
    text = f"{int(seed)}/{int(case_no)}/{int(k)}/".encode("ascii")
    return text + p, _BIG


class KeyedStream(random.Random):
    """A :class:`random.Random` drawing from BLAKE2b(key ‖ block counter).

    ``KeyedStream(key)`` with ``bytes`` starts the stream of that key; any
    other argument (int, str, None for OS entropy) goes through :meth:`seed`,
    as with :class:`random.Random`.
    """

    # instances carry the (unused, zeroed) Mersenne Twister state of the C base class, ~2.5 KB:
    # streams are made, drawn from a few times and dropped, never kept
    _key: bytes
    _person: bytes
    _block: int
    _words: tuple[int, ...]
    _pos: int

    def __init__(self, x: Any = None, person: bytes = b"") -> None:
        if type(x) is bytes:
            self._key, self._person = x, person
            self._block, self._words, self._pos = 0, (), 8
            self.gauss_next = None
        else:
            self.seed(x)

    def seed(self, a: Any = None, version: int = 2) -> None:
        """Restart at the beginning of the stream named by ``a`` (bytes: the raw key; int or str:
        their text in a domain of their own; None: fresh OS entropy)."""
        if isinstance(a, (bytes, bytearray)):
            key, person = bytes(a), b""
        elif a is None:
            key, person = os.urandom(32), _SEEDED
        elif isinstance(a, (int, str)):
            key, person = f"{type(a).__name__}:{a}".encode("utf-8", "surrogatepass"), _SEEDED
        else:
            raise TypeError(f"cannot seed a KeyedStream with {type(a).__name__}")
        self._key, self._person = key, person
        self._block, self._words, self._pos = 0, (), 8
        self.gauss_next = None

    def _next_word(self) -> int:
        pos = self._pos
        if pos == 8:
            self._words = _WORDS(_blake2b(self._key + _BLOCK.pack(self._block),
                                          person=self._person).digest())
            self._block += 1
            pos = 0
        self._pos = pos + 1
        return self._words[pos]

    def random(self) -> float:
        """A float in [0, 1): the top 53 bits of the next 64-bit word (``_next_word`` inline: the hot path)."""
        pos = self._pos
        if pos == 8:
            self._words = _WORDS(_blake2b(self._key + _BLOCK.pack(self._block), person=self._person).digest())
            self._block += 1
            pos = 0
        self._pos = pos + 1
        return (self._words[pos] >> 11) * _TWO_M53

    def randoms(self, n: int) -> list[float]:
        """``[self.random() for _ in range(n)]``, a block of words at a time (the same numbers)."""
        out: list[float] = []
        words, pos = self._words, self._pos
        while len(out) < n:
            if pos == 8:
                words = _WORDS(_blake2b(self._key + _BLOCK.pack(self._block), person=self._person).digest())
                self._block += 1
                pos = 0
            take = min(8 - pos, n - len(out))
            out.extend([(w >> 11) * _TWO_M53 for w in words[pos:pos + take]])
            pos += take
        self._words, self._pos = words, pos
        return out

    def getrandbits(self, k: int) -> int:
        """A non-negative int of ``k`` random bits (the top bits of the next words)."""
        if k <= 0:
            if k < 0:
                raise ValueError("number of bits must be non-negative")
            return 0
        if k <= 64:
            return self._next_word() >> (64 - k)
        words, rest = divmod(k, 64)
        out = 0
        for i in range(words):
            out |= self._next_word() << (64 * i)
        if rest:
            out |= (self._next_word() >> (64 - rest)) << (64 * words)
        return out

    def getstate(self) -> tuple[Any, ...]:
        return (self._key, self._person, self._block, self._pos, self.gauss_next)

    def setstate(self, state: tuple[Any, ...]) -> None:
        key, person, block, pos, gauss_next = state
        self._key, self._person, self.gauss_next = key, person, gauss_next
        self._block, self._words, self._pos = block, (), 8
        if pos != 8:  # recompute the current block
            self._words = _WORDS(_blake2b(key + _BLOCK.pack(block - 1), person=person).digest())
            self._pos = pos


def case_stream(seed: int, case_no: int, purpose: str, k: int) -> KeyedStream:
    """The ``k``-th stream of ``purpose`` for case number ``case_no`` of the run with ``seed``.

    The same arguments give the same draws in every process and on every platform.
    """
    # stream_key and KeyedStream(key, person), inlined: this runs ~140,000 times in megacity-day
    p = _PURPOSES.get(purpose)
    if p is not None and 0 <= seed < _U64 and 0 <= case_no < _U64 and 0 <= k < _U64:
        key, person = _KEY3(seed, case_no, k) + p, b""
    else:
        key, person = stream_key(seed, case_no, purpose, k)
    s = _new(KeyedStream)
    s._key, s._person, s._block, s._words, s._pos, s.gauss_next = key, person, 0, (), 8, None
    return s


_new = KeyedStream.__new__
