"""Kernel methods of the scheduler (proc.h) and mutexes (sync.h).

A Python function becomes a process with :meth:`SchedMixin.spawn`. It runs
on the simulated CPU inside :meth:`SchedMixin.run`, on its own OS thread
(the scheduler's ``MK_PROC_THREAD`` backend): only one body runs at a time
and the schedule is the same on every run, so a program gives the same
trace twice. Inside a body, the Kernel's methods act for the calling
process (``pid=0`` means "me"); blocking calls (sleep, semaphore wait,
mutex lock, receive with a timeout, terminal read, RPC call) suspend the
body and run the next process.

A body ends when its function returns (its return value, an int or None
for 0, is the exit status), when it calls :meth:`SchedMixin.exit` (which
raises :class:`ProcessExit` to unwind the function; do not catch it), or
when it is killed: its next kernel call raises MkError(MK_EDESTROYED),
which unwinds it the same way. An exception escaping a body ends the
process with status -1 and is raised again by :meth:`SchedMixin.run` as
:class:`BodyError` once the CPU stops, so test assertions inside bodies
fail the test.
"""

import ctypes
import threading

from . import _conv as cv
from . import _lib
from ._structs import mk_proc_attr_t, new
from .errors import MkError, MK_EDESTROYED

MK_PRIO_MIN = 1
MK_PRIO_MAX = 31
MK_PRIO_DEFAULT = 16
MK_CALL_TICKS = 1
MK_PROC_THREAD = 0x1
MK_RUN_DONE, MK_RUN_TICKS, MK_RUN_STOPPED = 1, 2, 3
RUN_REASONS = {MK_RUN_DONE: "done", MK_RUN_TICKS: "ticks",
               MK_RUN_STOPPED: "stopped"}
MK_MUTEX_RECURSIVE = 0x1
MK_MUTEX_OPEN_MAX = 16
MK_MUTEX_SYS_MAX = 64
MK_FOREVER = 2 ** 64 - 1

# int (*mk_body_fn)(mk_t *k, void *arg)
BODY_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


class ProcessExit(BaseException):
    """Raised by :meth:`SchedMixin.exit` to unwind a body; the process has
    already ended with ``status``. A BaseException so ``except Exception``
    in the body does not swallow it."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class BodyError(Exception):
    """A body (or an interrupt or exception handler) raised; ``pid`` says
    which process (0 for a handler run by host code) and ``__cause__`` is
    the original exception."""

    def __init__(self, pid, exc):
        super().__init__("process %d raised %s: %s"
                         % (pid, type(exc).__name__, exc))
        self.pid = pid
        self.error = exc


def _status(value):
    """A body's return value as an int32 exit status."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or \
            not -2 ** 31 <= value < 2 ** 31:
        raise TypeError("a body must return None or an int32 exit status, "
                        "not %r" % (value,))
    return value


class _SchedState:
    """Per-Kernel bookkeeping of the binding (not of the library)."""

    def __init__(self, kernel):
        self.lock = threading.Lock()
        self.next_key = 1
        self.bodies = {}    # key -> (fn, args, kwargs)
        self.errors = []    # BodyError, oldest first
        # One trampoline per Kernel; arg carries the key of the body.
        self.tramp = BODY_FN(kernel._body_trampoline)


class Mutex:
    """A mutex handle with the name it was opened by; ``with m:`` locks it
    for the calling body (waiting forever) and unlocks it."""

    def __init__(self, kernel, handle, name):
        self.kernel, self.handle, self.name = kernel, handle, name

    def __int__(self):
        return self.handle

    def __repr__(self):
        return "<mk.Mutex %r 0x%x>" % (self.name, self.handle)

    def lock(self, timeout=MK_FOREVER, pid=0):
        self.kernel.mutex_lock(self, timeout=timeout, pid=pid)

    def unlock(self, pid=0):
        self.kernel.mutex_unlock(self, pid=pid)

    def close(self, pid=0):
        self.kernel.mutex_close(self, pid=pid)

    def owner(self):
        return self.kernel.mutex_owner(self)

    def __enter__(self):
        self.lock()
        return self

    def __exit__(self, *exc):
        self.unlock()
        return False


class SchedMixin:
    # -- bookkeeping --------------------------------------------------------
    def _sched(self):
        st = self.__dict__.get("_sched_state")
        if st is None:
            st = self.__dict__.setdefault("_sched_state", _SchedState(self))
        return st

    def _body_trampoline(self, _k, arg):
        """Runs on the body's own thread (ctypes takes the GIL)."""
        st = self._sched()
        with st.lock:
            fn, args, kwargs = st.bodies.pop(arg or 0)
        try:
            return _status(fn(*args, **kwargs))
        except ProcessExit as e:
            return e.status
        except MkError as e:
            if e.code == MK_EDESTROYED:
                return -1  # killed (or exited) and unwound: no error
            self._body_failed(e)
            return -1
        except BaseException as e:  # noqa: B902 - reported by run()
            self._body_failed(e)
            return -1

    def _body_failed(self, exc):
        pid = self._rc("mk_self") if not self._closed else 0
        err = BodyError(pid, exc)
        err.__cause__ = exc
        st = self._sched()
        with st.lock:
            st.errors.append(err)

    def _raise_body_errors(self):
        st = self._sched()
        with st.lock:
            errors, st.errors = st.errors, []
        if errors:
            raise errors[0]

    # -- processes with bodies ----------------------------------------------
    def spawn(self, fn, *args, pid=0, priority=0, stack_size=0, **kwargs):
        """Make ``fn(*args, **kwargs)`` the body of a new process; return
        its pid. It is ready at once and runs inside :meth:`run`.

        ``pid`` 0 assigns the lowest free pid; ``priority`` MK_PRIO_MIN …
        MK_PRIO_MAX (higher runs first), 0 for MK_PRIO_DEFAULT. Called from
        a body, the new process is that body's child (only it may wait).
        MkError: MK_EEXIST, MK_ENOSPC, MK_ERANGE, MK_EINVAL, MK_ENOMEM.
        """
        if not callable(fn):
            raise TypeError("spawn() needs a callable, not %s"
                            % type(fn).__name__)
        attr = new(mk_proc_attr_t, priority=cv.u32(priority, "priority"),
                   stack_size=cv.u64(stack_size, "stack_size"),
                   flags=MK_PROC_THREAD)
        st = self._sched()
        with st.lock:
            key = st.next_key
            st.next_key += 1
            st.bodies[key] = (fn, args, kwargs)
        out = _lib.pid()
        try:
            self._call("mk_proc_spawn", cv.u32(pid, "pid"),
                       ctypes.byref(attr), st.tramp, ctypes.c_void_p(key),
                       ctypes.byref(out))
        except BaseException:
            with st.lock:
                st.bodies.pop(key, None)
            raise
        return out.value

    def run(self, max_ticks=MK_FOREVER, raise_errors=True):
        """Run the simulated CPU until every spawned process has ended,
        ``max_ticks`` ticks have passed, or :meth:`stop`. Returns
        "done", "ticks" or "stopped". With ``raise_errors`` (the default)
        an exception that escaped a body or handler is raised afterwards
        as :class:`BodyError`. MkError: MK_EBUSY (already running, or
        called from a body)."""
        reason = ctypes.c_uint32()
        self._call("mk_run", cv.u64(max_ticks, "max_ticks"),
                   ctypes.byref(reason))
        if raise_errors:
            self._raise_body_errors()
        return RUN_REASONS.get(reason.value, reason.value)

    def stop(self):
        """Ask :meth:`run` to return ("stopped") before the next pick."""
        self._call("mk_stop")

    def getpid(self):
        """The calling body's pid (mk_self, the mini-kernel's getpid); 0
        from host code."""
        return self._rc("mk_self")

    self_pid = getpid

    def yield_(self):
        """Give the CPU to the next ready process of the same priority."""
        self._call("mk_yield")

    def sleep(self, ticks):
        """Sleep ``ticks`` virtual ticks (a host thread waits wall time)."""
        self._call("mk_sleep", cv.u64(ticks, "ticks"))

    def compute(self, ticks):
        """Use ``ticks`` ticks of CPU time (preemptible)."""
        self._call("mk_compute", cv.u64(ticks, "ticks"))

    def exit(self, status=0):
        """End the calling body with ``status``: raises ProcessExit, which
        unwinds the body's function. MkError(MK_EPERM) from host code."""
        status = _status(status)
        self._call("mk_exit", ctypes.c_int32(status))
        raise ProcessExit(status)

    def kill(self, pid):
        """Kill process ``pid`` (status -1); everything it owns is released.
        MkError: MK_ENOENT, MK_EPERM (pid 0)."""
        self._call("mk_kill", cv.u32(pid, "pid"))

    def wait(self, pid, timeout=MK_FOREVER):
        """Wait for child ``pid`` to end, reap it and return its exit
        status. MkError: MK_EAGAIN (timeout 0, still running),
        MK_ETIMEDOUT, MK_ENOENT, MK_EPERM (not its parent), MK_EBUSY."""
        status = ctypes.c_int32()
        self._call("mk_wait", cv.u32(pid, "pid"), cv.u64(timeout, "timeout"),
                   ctypes.byref(status))
        return status.value

    def set_priority(self, pid, priority):
        """Change the base priority of ``pid`` (0 = the calling body)."""
        self._call("mk_proc_set_priority", cv.u32(pid, "pid"),
                   cv.u32(priority, "priority"))

    def priority(self, pid=0):
        """(base, effective) priority of ``pid``; the effective one is
        raised by priority inheritance."""
        base, eff = ctypes.c_uint32(), ctypes.c_uint32()
        self._call("mk_proc_priority", cv.u32(pid, "pid"), ctypes.byref(base),
                   ctypes.byref(eff))
        return base.value, eff.value

    def cpu_ticks(self, pid):
        """CPU time ``pid`` has used, in ticks."""
        t = ctypes.c_uint64()
        self._call("mk_proc_cpu_ticks", cv.u32(pid, "pid"), ctypes.byref(t))
        return t.value

    # -- mutexes ---------------------------------------------------------------
    @staticmethod
    def _m(m):
        return cv.handle(m.handle if isinstance(m, Mutex) else m, "mutex")

    def mutex_create(self, name, recursive=False):
        """Create mutex ``name`` and open it for the caller (a body, or the
        kernel from host code); return a :class:`Mutex`. A body waits for
        a free slot when MK_MUTEX_SYS_MAX mutexes exist. MkError:
        MK_EEXIST, MK_EMFILE, MK_ENOSPC (host), MK_ENAMETOOLONG."""
        out = ctypes.c_uint64()
        self._call("mk_mutex_create", cv.name(name),
                   MK_MUTEX_RECURSIVE if recursive else 0, ctypes.byref(out))
        return Mutex(self, out.value, name)

    def mutex_open(self, name, pid=0):
        """Open mutex ``name`` for ``pid`` (0 = caller). MK_ENOENT, MK_EMFILE."""
        out = ctypes.c_uint64()
        self._call("mk_mutex_open", cv.u32(pid, "pid"), cv.name(name),
                   ctypes.byref(out))
        return Mutex(self, out.value, name)

    def mutex_close(self, m, pid=0):
        """Close ``m`` for ``pid``; releases it if held; the last close
        destroys it. MK_EPERM (not open), MK_EBADH."""
        self._call("mk_mutex_close", cv.u32(pid, "pid"), self._m(m))

    def mutex_lock(self, m, timeout=MK_FOREVER, pid=0):
        """Lock ``m`` for ``pid`` (0 = calling body). MkError: MK_EAGAIN
        (timeout 0), MK_ETIMEDOUT, MK_EDEADLK (relock or wait-for cycle),
        MK_EPERM (not open), MK_EDESTROYED."""
        self._call("mk_mutex_lock", cv.u32(pid, "pid"), self._m(m),
                   cv.u64(timeout, "timeout"))

    def mutex_unlock(self, m, pid=0):
        """Unlock ``m`` (one level of a recursive mutex). MK_EPERM."""
        self._call("mk_mutex_unlock", cv.u32(pid, "pid"), self._m(m))

    def mutex_owner(self, m):
        """(owner pid or 0, lock count) of ``m``."""
        owner, count = ctypes.c_uint32(), ctypes.c_uint32()
        self._call("mk_mutex_owner", self._m(m), ctypes.byref(owner),
                   ctypes.byref(count))
        return owner.value, count.value

    def deadlock_report(self):
        """The last wait-for cycle refused with MK_EDEADLK, as a list of
        (pid, mutex handle): each pid waits for its mutex, held by the next
        pid; the last mutex is held by the first pid. [] if none yet."""
        n = ctypes.c_uint32()
        self._call("mk_mutex_deadlock_report", None, None, 0, ctypes.byref(n))
        cap = n.value
        if cap == 0:
            return []
        pids = (ctypes.c_uint32 * cap)()
        ms = (ctypes.c_uint64 * cap)()
        self._call("mk_mutex_deadlock_report", pids, ms, cap, ctypes.byref(n))
        return list(zip(pids[:min(cap, n.value)], ms[:min(cap, n.value)]))
