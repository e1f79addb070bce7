"""Kernel methods of the event trace (trace.h): the ring of events."""

import ctypes

from . import _conv as cv
from . import _lib
from ._structs import mk_event_t


def event_name(event_type):
    """Name of an event type, e.g. "switch" ("unknown" for others)."""
    return _lib.lib.mk_event_name(cv.u32(event_type, "type")).decode()


class TraceMixin:
    def trace_enable(self, capacity=65536):
        """Record up to ``capacity`` events in a ring (0 stops and discards)."""
        self._call("mk_trace_enable", cv.u32(capacity, "capacity"))

    def trace_read(self, max_events=65536):
        """Take the oldest buffered events: a list of dicts with ``tick``,
        ``seq``, ``type``, ``name``, ``pid``, ``a``, ``b``."""
        n = cv.u32(max_events, "max_events")
        arr = (mk_event_t * max(n, 1))()
        got = ctypes.c_size_t()
        self._call("mk_trace_read", arr, n, ctypes.byref(got))
        return [{"tick": e.tick, "seq": e.seq, "type": e.type,
                 "name": event_name(e.type), "pid": e.pid, "a": e.a, "b": e.b}
                for e in arr[:got.value]]

    def trace_dropped(self):
        """Events overwritten before they were read."""
        out = ctypes.c_uint64()
        self._call("mk_trace_dropped", ctypes.byref(out))
        return out.value

    def trace_mark(self, pid=0, a=0, b=0):
        """Emit a "user" event (a mark in the timeline)."""
        self._call("mk_trace_mark", cv.u32(pid, "pid"), cv.u64(a, "a"),
                   cv.u64(b, "b"))
