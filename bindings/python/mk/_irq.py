"""Kernel methods of the interrupt controller, terminal and exceptions
(irq.h).

Handlers are Python callables:

* interrupt handler ``fn(line)``, attached with :meth:`IrqMixin.irq_attach`;
* exception handler ``fn(pid, exc, detail)`` returning True when it handled
  the fault (the process continues) or False to kill the process.

They run on the thread that delivers (a body's thread inside
:meth:`Kernel.run`, else the raising host thread) and must not block. An
exception escaping a handler is recorded: the handler counts as having
returned (an exception handler: "kill"), and the error is raised as
:class:`mk.BodyError` by the next :meth:`Kernel.run` or, from host code, by
the call that delivered it.
"""

import ctypes

from . import _conv as cv
from ._sched import BodyError
from .errors import MkError, MK_EEXIST, MK_ENOENT, MK_ERANGE

MK_IRQ_LINES = 32
MK_IRQ_CLOCK = 0
MK_IRQ_TERMINAL = 1
MK_IRQ_SOFT_FIRST = 24
MK_IRQ_PRIO_MIN = 1
MK_IRQ_PRIO_MAX = 15
MK_IRQ_HANDLERS_MAX = 4
MK_TERM_BUF_SIZE = 256
MK_EXC_MEMORY, MK_EXC_QUOTA, MK_EXC_BADH = 1, 2, 3
MK_EXC_DIVZERO, MK_EXC_ILLEGAL = 4, 5
MK_EXC_USER, MK_EXC_MAX = 32, 63
MK_EXC_HANDLED, MK_EXC_KILL = 0, 1
MK_FOREVER = 2 ** 64 - 1

# void (*mk_irq_fn)(mk_t *k, uint32_t line, void *ctx)
IRQ_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32,
                          ctypes.c_void_p)
# int (*mk_exc_fn)(mk_t *k, mk_pid_t pid, uint32_t exc, uint64_t detail, void *ctx)
EXC_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint32,
                          ctypes.c_uint32, ctypes.c_uint64, ctypes.c_void_p)


class IrqMixin:
    # -- bookkeeping: keep every ctypes callback alive while attached ------
    def _irq_state(self):
        st = self.__dict__.get("_irq_st")
        if st is None:
            st = self.__dict__.setdefault("_irq_st", {
                "handlers": {},   # (line, fn) -> IRQ_FN
                "exc": {},        # pid -> EXC_FN
            })
        return st

    def _handler_failed(self, exc):
        self._body_failed(exc)

    def _after_delivery(self):
        """From host code (not inside run), raise what a handler raised."""
        if self.getpid() == 0:
            self._raise_body_errors()

    # -- interrupt lines -----------------------------------------------------
    def irq_attach(self, line, fn):
        """Call ``fn(line)`` at each delivery of ``line``. MkError:
        MK_ERANGE (line), MK_EEXIST (attached already), MK_ENOSPC (full)."""
        if not callable(fn):
            raise TypeError("irq_attach() needs a callable")
        line = cv.u32(line, "line")
        st = self._irq_state()
        if (line, fn) in st["handlers"]:
            raise MkError(MK_EEXIST, "mk_irq_attach")

        def call(_k, ln, _ctx):
            try:
                fn(ln)
            except BaseException as e:  # noqa: B902 - reported later
                self._handler_failed(e)

        cfn = IRQ_FN(call)
        self._call("mk_irq_attach", line, cfn, None)
        st["handlers"][(line, fn)] = cfn

    def irq_detach(self, line, fn):
        """Detach ``fn`` from ``line``; once this returns it is not called
        again. MkError: MK_ENOENT (not attached), MK_ERANGE."""
        line = cv.u32(line, "line")
        st = self._irq_state()
        cfn = st["handlers"].get((line, fn))
        if cfn is None:
            if line >= MK_IRQ_LINES:
                raise MkError(MK_ERANGE, "mk_irq_detach")
            raise MkError(MK_ENOENT, "mk_irq_detach")
        self._call("mk_irq_detach", line, cfn, None)
        del st["handlers"][(line, fn)]

    def irq_raise(self, line):
        """Raise ``line`` (delivered at once from host code when no body
        runs; at the CPU's next delivery point during :meth:`run`)."""
        self._call("mk_irq_raise", cv.u32(line, "line"))
        self._after_delivery()

    def irq_mask(self, line):
        self._call("mk_irq_mask", cv.u32(line, "line"))

    def irq_unmask(self, line):
        """Unmask ``line``; a pending line is delivered."""
        self._call("mk_irq_unmask", cv.u32(line, "line"))
        self._after_delivery()

    def irq_set_priority(self, line, prio):
        self._call("mk_irq_set_priority", cv.u32(line, "line"),
                   cv.u32(prio, "prio"))

    def irq_priority(self, line):
        p = ctypes.c_uint32()
        self._call("mk_irq_get_priority", cv.u32(line, "line"),
                   ctypes.byref(p))
        return p.value

    def irq_pending(self):
        """(pending, masked) bit masks, bit n for line n."""
        p, m = ctypes.c_uint32(), ctypes.c_uint32()
        self._call("mk_irq_pending", ctypes.byref(p), ctypes.byref(m))
        return p.value, m.value

    def irq_count(self, line):
        """Deliveries of ``line`` so far."""
        c = ctypes.c_uint64()
        self._call("mk_irq_count", cv.u32(line, "line"), ctypes.byref(c))
        return c.value

    # -- terminal ------------------------------------------------------------
    def term_input(self, data):
        """Type ``data`` (str or bytes) at the terminal; returns how many
        characters the ring buffer took (the rest are refused and
        counted)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        data = bytes(data)
        acc = ctypes.c_size_t()
        self._call("mk_term_input", data, len(data), ctypes.byref(acc))
        self._after_delivery()
        return acc.value

    def term_read(self, pid=0, cap=MK_TERM_BUF_SIZE, timeout=MK_FOREVER):
        """Read 1 … ``cap`` characters typed at the terminal as bytes,
        waiting while none are buffered (a body blocks). ``pid`` 0 in a
        body reads for the body. MkError: MK_EAGAIN (timeout 0),
        MK_ETIMEDOUT, MK_EDESTROYED."""
        cap = cv.u32(cap, "cap")
        pid = cv.u32(pid, "pid") or self.getpid()
        buf = ctypes.create_string_buffer(max(cap, 1))
        n = ctypes.c_size_t()
        self._call("mk_term_read", pid, buf, cap, ctypes.byref(n),
                   cv.u64(timeout, "timeout"))
        return buf.raw[:n.value]

    def term_status(self):
        """(buffered characters, characters refused so far)."""
        b, r = ctypes.c_uint32(), ctypes.c_uint64()
        self._call("mk_term_status", ctypes.byref(b), ctypes.byref(r))
        return b.value, r.value

    # -- exceptions ------------------------------------------------------------
    def exc_set_handler(self, pid, fn):
        """Give ``pid`` an exception handler ``fn(pid, exc, detail)`` →
        True (handled) / False (kill); None restores the default (kill)."""
        pid = cv.u32(pid, "pid")
        st = self._irq_state()
        if fn is None:
            self._call("mk_exc_set_handler", pid, None, None)
            st["exc"].pop(pid, None)
            return
        if not callable(fn):
            raise TypeError("exc_set_handler() needs a callable or None")

        def call(_k, p, exc, detail, _ctx):
            try:
                return 0 if fn(p, exc, detail) else 1
            except BaseException as e:  # noqa: B902 - reported later
                self._handler_failed(e)
                return 1

        cfn = EXC_FN(call)
        self._call("mk_exc_set_handler", pid, cfn, None)
        st["exc"][pid] = cfn

    def exc_raise(self, pid, exc, detail=0):
        """Raise exception ``exc`` for ``pid``; True if the process was
        killed. A body raising for itself and killed does not come back
        (its next kernel call raises MK_EDESTROYED)."""
        killed = ctypes.c_uint32()
        self._call("mk_exc_raise", cv.u32(pid, "pid"), cv.u32(exc, "exc"),
                   cv.u64(detail, "detail"), ctypes.byref(killed))
        self._after_delivery()
        return bool(killed.value)

    def exc_count(self, pid):
        c = ctypes.c_uint64()
        self._call("mk_exc_count", cv.u32(pid, "pid"), ctypes.byref(c))
        return c.value


__all__ = ["IrqMixin", "BodyError"]
