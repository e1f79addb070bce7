"""Kernel: the whole libmk C API in Pythonic form.

A :class:`Kernel` owns one ``mk_t``. Close it with :meth:`Kernel.close` or
use it as a context manager; closing flushes every dirty buffer and
unmounts (``mk_destroy``). Every failed call raises :class:`mk.MkError`
(a subclass per common code) carrying the ``MK_E…`` code; data goes in and
out as ``bytes``. Host code acts for a pid it names; where a method takes
``pid=0`` it acts as the kernel (``MK_PID_KERNEL``).

The methods are grouped by module in mixins (``_proc.py``, ``_mem.py``,
``_ipc.py``, ``_sync.py``, ``_blk.py``, ``_vfs.py``) so each file stays
small; this file holds the context itself.
"""

import ctypes

from . import _conv as cv
from . import _lib
from ._structs import as_dict, mk_config_t, new
from .errors import MkError, MK_EBADH, check
from ._proc import ProcMixin
from ._mem import MemMixin
from ._ipc import IpcMixin
from ._sync import SyncMixin
from ._blk import BlkMixin
from ._vfs import VfsMixin
from ._trace import TraceMixin
from ._sched import SchedMixin
from ._irq import IrqMixin
from ._rpc import RpcMixin

MK_PID_KERNEL = 0
MK_PID_MAX = 0x7FFFFFFF
MK_NO_WAIT = 0
MK_FOREVER = 2 ** 64 - 1
MK_NAME_MAX = 59


def version():
    """Version of the loaded library as (number, "x.y.z")."""
    return _lib.lib.mk_version(), _lib.lib.mk_version_string().decode()


class Kernel(ProcMixin, MemMixin, IpcMixin, SyncMixin, BlkMixin, VfsMixin,
             TraceMixin, SchedMixin, IrqMixin, RpcMixin):
    """One libmk context (``mk_t``).

    Keyword arguments set fields of ``mk_config_t`` (``tick_hz``,
    ``mem_size``, ``default_heap_size``, ``cache_blocks``,
    ``quantum_ticks``, ``default_quota``); 0 or absent means the library's
    default. Raises MkError (MK_EINVAL) for a value out of range.
    """

    def __init__(self, **config):
        cfg = new(mk_config_t)
        _lib.lib.mk_config_init(ctypes.byref(cfg))
        for key, value in config.items():
            if key in ("size", "mem_region", "mem_region_size") or \
                    key not in dict(mk_config_t._fields_):
                raise TypeError("Kernel() got an unexpected config %r" % key)
            ctype = dict(mk_config_t._fields_)[key]
            conv = cv.u32 if ctype is ctypes.c_uint32 else cv.u64
            setattr(cfg, key, conv(value, key))
        k = ctypes.c_void_p()
        check(_lib.lib.mk_create(ctypes.byref(cfg), ctypes.byref(k)),
              "mk_create")
        self._k = k
        self._closed = False

    # -- life cycle -------------------------------------------------------
    def close(self):
        """Destroy the context (flush, unmount, release). Idempotent.

        Raises MkError(MK_EIO) when some dirty data could not be written
        back; the context is destroyed all the same.
        """
        if self._closed:
            return
        self._closed = True
        check(_lib.lib.mk_destroy(self._k), "mk_destroy")

    @property
    def closed(self):
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            if not getattr(self, "_closed", True):
                self.close()
        except Exception:
            pass

    _clib = _lib.lib  # for the mixins

    def _call(self, fname, *args):
        """Call ``fname(k, *args)``; raise MkError on a negative result.

        After close() the destroyed pointer is still passed, so the library
        itself answers MK_EBADH (it keeps destroyed contexts recognisable).
        """
        rc = getattr(_lib.lib, fname)(self._k, *args)
        if rc < 0:
            raise MkError(rc, fname)
        return rc

    def _rc(self, fname, *args):
        """Call ``fname(k, *args)`` and return its code without raising."""
        return getattr(_lib.lib, fname)(self._k, *args)

    # -- core -------------------------------------------------------------
    def clock(self):
        """Ticks elapsed on the virtual clock."""
        t = ctypes.c_uint64()
        self._call("mk_clock_now", ctypes.byref(t))
        return t.value

    def advance(self, ticks):
        """Advance the virtual clock by ``ticks``."""
        self._call("mk_clock_advance", cv.u64(ticks, "ticks"))

    def config(self):
        """The effective configuration as a dict (defaults resolved)."""
        cfg = new(mk_config_t)
        self._call("mk_config_get", ctypes.byref(cfg))
        d = as_dict(cfg)
        d.pop("mem_region", None)
        return d
