"""Kernel methods of the sync module (sync.h): named counting semaphores.

:class:`Semaphore` follows ``threading.Semaphore``: ``acquire(blocking,
timeout)`` returns a bool, ``release()``, and ``with sem:`` holds one unit.
Timeouts of the Kernel methods are in ticks; ``Semaphore.acquire`` takes
ticks too (``timeout=None`` waits forever).
"""

import ctypes

from . import _conv as cv
from .errors import MkError, MK_EAGAIN, MK_ETIMEDOUT

MK_FOREVER = 2 ** 64 - 1


class Semaphore:
    """A named semaphore: ``.name``, ``.handle``."""

    def __init__(self, kernel, handle, name):
        self.kernel, self.handle, self.name = kernel, handle, name

    def __int__(self):
        return self.handle

    def __repr__(self):
        return "<mk.Semaphore %r handle=%#x>" % (self.name, self.handle)

    def acquire(self, blocking=True, timeout=None):
        """Take a unit; False if none came (at once, or within ``timeout``
        ticks). Other errors raise MkError."""
        if not blocking:
            return self.kernel.sem_trywait(self, raise_empty=False)
        return self.kernel.sem_wait(self, MK_FOREVER if timeout is None
                                    else timeout, raise_timeout=False)

    def release(self):
        self.kernel.sem_post(self)

    @property
    def value(self):
        return self.kernel.sem_value(self)

    def delete(self):
        self.kernel.sem_delete(self)

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()
        return False


class SyncMixin:
    def _sem(self, s):
        if isinstance(s, Semaphore):
            return s.handle
        if isinstance(s, (str, bytes)):
            return self.sem_open(s).handle
        return cv.handle(s, "semaphore")

    def sem_create(self, name, initial=0, max=0):
        """New semaphore with count ``initial`` (``max`` 0 = UINT32_MAX).
        AlreadyExists when the name is taken."""
        n = cv.name(name, "semaphore name")
        out = ctypes.c_uint64()
        self._call("mk_sem_create", n, cv.u32(initial, "initial"),
                   cv.u32(max, "max"), ctypes.byref(out))
        return Semaphore(self, out.value, n.decode("utf-8", "replace"))

    def sem_open(self, name):
        n = cv.name(name, "semaphore name")
        out = ctypes.c_uint64()
        self._call("mk_sem_open", n, ctypes.byref(out))
        return Semaphore(self, out.value, n.decode("utf-8", "replace"))

    def sem_trywait(self, sem, raise_empty=True):
        """Take a unit without waiting; at 0 raise WouldBlock (or return
        False with ``raise_empty=False``). True on success."""
        rc = self._rc("mk_sem_trywait", self._sem(sem))
        if rc == MK_EAGAIN and not raise_empty:
            return False
        if rc < 0:
            raise MkError(rc, "mk_sem_trywait")
        return True

    def sem_wait(self, sem, timeout=MK_FOREVER, raise_timeout=True):
        """Take a unit, waiting up to ``timeout`` ticks (TimedOut)."""
        rc = self._rc("mk_sem_wait", self._sem(sem),
                      cv.u64(timeout, "timeout"))
        if rc in (MK_EAGAIN, MK_ETIMEDOUT) and not raise_timeout:
            return False
        if rc < 0:
            raise MkError(rc, "mk_sem_wait")
        return True

    def sem_post(self, sem):
        """Give a unit back. MK_ERANGE at the maximum."""
        self._call("mk_sem_post", self._sem(sem))

    def sem_value(self, sem):
        v = ctypes.c_uint32()
        self._call("mk_sem_value", self._sem(sem), ctypes.byref(v))
        return v.value

    def sem_delete(self, sem):
        self._call("mk_sem_delete", self._sem(sem))
