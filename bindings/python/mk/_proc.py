"""Kernel methods of the proc module (proc.h): the pid table."""

import ctypes

from . import _conv as cv
from .errors import MkError, MK_ENOENT

PROC_STATES = {1: "ready", 2: "running", 3: "blocked", 4: "sleeping",
               5: "zombie"}


class ProcMixin:
    def proc_create(self, pid=0):
        """Create process ``pid`` (0: lowest free pid); return its pid.

        MkError: MK_EEXIST (taken), MK_EINVAL (> MK_PID_MAX), MK_ENOSPC.
        """
        out = ctypes.c_uint32()
        self._call("mk_proc_create", cv.u32(pid, "pid"), ctypes.byref(out))
        return out.value

    def proc_exists(self, pid):
        """True when process ``pid`` exists (never for 0)."""
        pid = cv.u32(pid, "pid")
        rc = self._rc("mk_proc_exists", pid)
        if rc == MK_ENOENT:
            return False
        if rc < 0:
            raise MkError(rc, "mk_proc_exists")
        return True

    def proc_destroy(self, pid):
        """Destroy ``pid``, releasing all it owns. MK_ENOENT, MK_EPERM (0)."""
        self._call("mk_proc_destroy", cv.u32(pid, "pid"))

    def proc_state(self, pid):
        """State of ``pid`` as a name ("ready", …). MK_ENOENT."""
        st = ctypes.c_uint32()
        self._call("mk_proc_state", cv.u32(pid, "pid"), ctypes.byref(st))
        return PROC_STATES.get(st.value, st.value)

    def proc_count(self):
        """Number of processes (the kernel is not counted)."""
        n = ctypes.c_uint32()
        self._call("mk_proc_count", ctypes.byref(n))
        return n.value

    def proc_list(self):
        """Pids of every process, ascending."""
        while True:
            n = ctypes.c_uint32()
            self._call("mk_proc_list", None, 0, ctypes.byref(n))
            cap = n.value + 8
            arr = (ctypes.c_uint32 * cap)()
            self._call("mk_proc_list", arr, cap, ctypes.byref(n))
            if n.value <= cap:
                return list(arr[:n.value])
