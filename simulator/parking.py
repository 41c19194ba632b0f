"""Open forms parked on disk while they wait: a run's memory bounded by the forms it keeps resident.

A megacity form waits days for its unit.  Held as Python objects (its record, the engine's state, its
timers in SimPy's queue) it costs about 5 KB; a week of Beijing-12345 traffic holds some 150,000 of them at
once, a month more.  A streaming run therefore keeps at most ``resident`` open forms in memory
(``Simulation.park_beyond``): beyond that, the forms whose next timer is furthest away are written to a
temporary file, and only a key per form stays in memory (one integer in a heap: the time, priority and
sequence number of its first timer, and where its bytes are).  Just before the run's clock reaches that
timer, the form is read back and its timers go back into SimPy's queue with their original time, priority
and sequence number, so every event happens in the same order as if the form had never left: the results
are identical whatever the budget (``tests/test_parking.py``).

This module is the storage: the file, the slots and the heap of wake-up keys.  What a parked form is, and
how it leaves and comes back, is ``Simulation._park`` / ``Simulation._unpark``.
"""

from __future__ import annotations

import itertools
import os
import pickle
import struct
import sys
import tempfile
import weakref
from array import array
from collections.abc import Callable, Iterator
from heapq import heappop, heappush
from io import BytesIO
from typing import IO, Any

_DOUBLE = struct.Struct("<d")
_QWORD = struct.Struct("<Q")

#: field widths of a packed wake-up key: (time bits | priority | sequence number | slot)
_SLOT_BITS = 32
_EID_BITS = 48
_PRIO_BITS = 2
_EID_SHIFT = _SLOT_BITS
_PRIO_SHIFT = _EID_SHIFT + _EID_BITS
_TIME_SHIFT = _PRIO_SHIFT + _PRIO_BITS
_SLOT_MASK = (1 << _SLOT_BITS) - 1
_EID_MASK = (1 << _EID_BITS) - 1
_PRIO_MASK = (1 << _PRIO_BITS) - 1


def time_bits(t: float) -> int:
    """The bits of a non-negative float as an integer: for t ≥ 0 they order exactly as the floats do."""
    if not t >= 0.0:
        raise ValueError(f"a wake-up time must be a non-negative number, not {t!r}")
    return _QWORD.unpack(_DOUBLE.pack(t + 0.0))[0]  # + 0.0: -0.0 becomes 0.0


def bits_time(b: int) -> float:
    return _DOUBLE.unpack(_QWORD.pack(b))[0]


def pack_key(t: float, priority: int, eid: int, slot: int) -> int:
    """One integer that orders as the tuple (t, priority, eid) does (SimPy's queue order), carrying ``slot``."""
    if not (0 <= priority <= _PRIO_MASK and 0 <= eid <= _EID_MASK and 0 <= slot <= _SLOT_MASK):
        raise ValueError(f"key out of range: priority {priority}, sequence {eid}, slot {slot}")
    return (time_bits(t) << _TIME_SHIFT) | (priority << _PRIO_SHIFT) | (eid << _EID_SHIFT) | slot


def unpack_key(key: int) -> tuple[float, int, int, int]:
    return (bits_time(key >> _TIME_SHIFT), (key >> _PRIO_SHIFT) & _PRIO_MASK, (key >> _EID_SHIFT) & _EID_MASK,
            key & _SLOT_MASK)


#: the owners of the parking lots alive (``_owner``: how a pickled form refers to its simulation)
_OWNERS: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
_owner_tokens = itertools.count(1)


def _owner(token: int) -> Any:
    owner = _OWNERS.get(token)
    if owner is None:
        raise pickle.UnpicklingError(f"the simulation {token} that parked this form is gone")
    return owner


class _Pickler(pickle.Pickler):
    """Pickles a form's objects: the owner (the simulation) by reference, the types in ``reducers`` as their
    function says (a ``dispatch_table``: consulted by exact type, so the strings, numbers, tuples and
    datetimes of a form take pickle's C paths without a call into Python)."""

    def __init__(self, f: IO[bytes], dispatch: dict[type, Callable[[Any], Any]]) -> None:
        super().__init__(f, protocol=pickle.HIGHEST_PROTOCOL)
        self.dispatch_table = dispatch


class ParkingLot:
    """Parked forms: their bytes in an unlinked temporary file, a slot each, a heap of wake-up keys.

    A slot's bytes are ``(offset, length)`` in the file; freed slots are reused.  The file only grows
    (appends) until the bytes of forms that came back outweigh the live ones, then it is rewritten with the
    live ones only (``_compact``).
    """

    def __init__(self, owner: object, directory: str | None = None, compact_above: int = 64 << 20,
                 reducers: dict[type, Callable[[Any], Any]] | None = None) -> None:
        """``owner`` is pickled by reference (the simulation whose methods timers call); ``reducers`` map a
        type to its reduction (``copyreg`` style: how the owner writes its own objects compactly)."""
        self._owner = owner
        self._token = next(_owner_tokens)
        _OWNERS[self._token] = owner
        ref = (_owner, (self._token,))
        self._dispatch: dict[type, Callable[[Any], Any]] = {**(reducers or {}), type(owner): lambda _o: ref}
        self._dir = directory
        self._file_: IO[bytes] | None = None  # opened when the first form is parked (most runs never park)
        self._end = 0  # bytes written to the file
        self._live = 0  # bytes of forms still parked
        self._compact_above = compact_above
        self._offset = array("q")
        self._length = array("q")  # 0: the slot is free
        self._label = array("q")
        self._free: list[int] = []
        self.heap: list[int] = []  # pack_key(first timer, slot) of forms with timers
        self.count = 0  # forms parked now
        self.parked_total = 0  # forms parked over the run (a form may be parked more than once)
        self.taken_early = 0  # forms brought back before their first timer (a post merged into one)
        self.bytes_written = 0
        self.compactions = 0

    # -- storing ----------------------------------------------------------------
    def put(self, obj: Any, wake: tuple[float, int, int] | None, label: int = 0) -> int:
        """Store ``obj``; its token.  ``wake`` is the (time, priority, sequence) of its first timer, or None
        (nothing brings it back but ``take``); ``label`` an integer kept with it (``label``).

        The token is the form's wake-up key, the very object in the heap (a caller that keeps it keeps no
        second integer: a long run parks hundreds of thousands of forms), or its slot if it has no key;
        ``slot_of`` gives the slot of either, and ``take`` and ``label`` accept either."""
        buf = BytesIO()
        _Pickler(buf, self._dispatch).dump(obj)
        data = buf.getbuffer()
        if self._free:
            slot = self._free.pop()
        else:
            slot = len(self._offset)
            self._offset.append(0)
            self._length.append(0)
            self._label.append(0)
        try:
            if self._file_ is None:
                self._file_ = tempfile.TemporaryFile(prefix="wenzheng-parked-", dir=self._dir)
            self._file.seek(self._end)
            self._file.write(data)
        except OSError as exc:  # e.g. the disk is full: say where, not an unnamed file's descriptor
            raise self._io_error(exc) from exc
        self._offset[slot], self._length[slot], self._label[slot] = self._end, len(data), label
        self._end += len(data)
        self._live += len(data)
        self.bytes_written += len(data)
        self.count += 1
        self.parked_total += 1
        if wake is None:
            return slot
        key = pack_key(wake[0], wake[1], wake[2], slot)
        heappush(self.heap, key)
        return key

    @staticmethod
    def slot_of(token: int) -> int:
        """The slot of a token (a wake-up key or a bare slot: a key is at least 2**80, a slot below 2**32)."""
        return token & _SLOT_MASK

    def take(self, token: int) -> Any:
        """The object stored under ``token`` (or its slot); the slot is free again (its heap key, if any, goes
        stale: ``pop_wake`` skips it)."""
        slot = token & _SLOT_MASK
        length = self._length[slot]
        if length == 0:
            raise KeyError(f"slot {slot} is not parked")
        try:
            self._file.flush()
            data = os.pread(self._file.fileno(), length, self._offset[slot])
        except OSError as exc:
            raise self._io_error(exc) from exc
        if len(data) != length:
            raise OSError(f"parked form {slot}: read {len(data)} of {length} bytes")
        self._length[slot] = 0
        self._free.append(slot)
        self._live -= length
        self.count -= 1
        obj = pickle.loads(data)
        if self._end - self._live > max(self._compact_above, 2 * self._live):
            self._compact()
        return obj

    def label(self, token: int) -> int:
        return self._label[token & _SLOT_MASK]

    def next_wake(self) -> float:
        """The time of the earliest parked timer (infinity if none)."""
        return bits_time(self.heap[0] >> _TIME_SHIFT) if self.heap else float("inf")

    def due_before(self, t: float, priority: int, eid: int) -> bool:
        """Whether the earliest parked timer comes before the event (t, priority, eid) in SimPy's order."""
        return bool(self.heap) and self.heap[0] < pack_key(t, priority, eid, 0)  # eids differ: never equal

    def pop_wake(self) -> int:
        """The key of the form with the earliest parked timer, removed from the heap (``take`` accepts it); -1
        if that key is stale (its form was taken back by ``take`` before its time: the key is dropped, nothing
        else).

        A stale key whose slot holds another form by now brings that form back early, which is harmless:
        its timers go back into the queue with their own keys, and it may be parked again."""
        key = heappop(self.heap)
        return key if self._length[key & _SLOT_MASK] != 0 else -1

    def slots(self) -> Iterator[int]:
        """The slots parked now, in slot order."""
        length = self._length
        return (i for i in range(len(length)) if length[i] != 0)

    # -- the file ---------------------------------------------------------------
    def _io_error(self, exc: OSError) -> OSError:
        """The error of the unnamed file, naming the folder it is in (what a user can free or change)."""
        where = self._dir if self._dir is not None else tempfile.gettempdir()
        return OSError(exc.errno, exc.strerror, os.path.join(where, "(parked forms)"))

    def _compact(self) -> None:
        """Rewrite the file with the live forms only (the forms that came back leave their bytes behind)."""
        new = tempfile.TemporaryFile(prefix="wenzheng-parked-", dir=self._dir)
        self._file.flush()
        fd = self._file.fileno()
        end = 0
        for slot in range(len(self._length)):
            length = self._length[slot]
            if length:
                new.write(os.pread(fd, length, self._offset[slot]))
                self._offset[slot] = end
                end += length
        self._file.close()
        self._file_, self._end = new, end
        self.compactions += 1

    @property
    def _file(self) -> IO[bytes]:
        assert self._file_ is not None
        return self._file_

    def close(self) -> None:
        if self._file_ is not None:
            self._file_.close()


_trim: Callable[[int], int] | None = None


def release_free_memory() -> None:
    """Hand the C allocator's free memory back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    A batch of parked forms frees megabytes in the middle of the C heap (the pickled forms, the batch's own
    tables), which glibc keeps until it is asked: asked, the whole pages among them go back.  It changes no
    result, only the resident memory (megacity-week: about 10 MB less at its peak, measured).
    """
    global _trim
    if _trim is None:
        _trim = _no_trim
        if sys.platform.startswith("linux"):
            import ctypes

            try:
                _trim = ctypes.CDLL(None).malloc_trim  # the process's own C library: glibc has it, musl not
            except (OSError, AttributeError):
                pass
    _trim(0)


def _no_trim(_pad: int) -> int:
    return 0

