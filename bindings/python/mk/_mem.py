"""Kernel methods of the mem module (mem.h): heaps, blocks, quotas.

:meth:`MemMixin.mem_alloc` returns a :class:`Block` (handle + owner pid)
whose bytes are read and written with bounds-checked calls; a
:class:`Heap` wraps a heap handle. Both are context managers that release
what they hold on exit.
"""

import ctypes

from . import _conv as cv
from ._structs import as_dict, mk_block_info_t, mk_heap_stats_t, new
from .errors import MkError, MK_EQUOTA

MK_HEAP_DEFAULT = 0
MK_HEAP_BUMP, MK_HEAP_FREELIST, MK_HEAP_FIXED = 1, 2, 3
MK_HEAP_MIN_SIZE = 256
MK_MEM_ALIGN = 16
MK_HEAP_FREELIST_OVERHEAD = 16
MK_HEAP_FIXED_MIN_CLASS = 16
MK_HEAP_FIXED_MAX_CLASS = 2048
MK_HEAP_FIXED_SLAB = 4096
_KINDS = {"bump": MK_HEAP_BUMP, "freelist": MK_HEAP_FREELIST,
          "fixed": MK_HEAP_FIXED}


class Heap:
    """A heap (``.handle``; 0 is the default heap)."""

    def __init__(self, kernel, handle):
        self.kernel, self.handle = kernel, handle

    def __int__(self):
        return self.handle

    def __repr__(self):
        return "<mk.Heap handle=%#x>" % self.handle

    def alloc(self, size, pid=0):
        return self.kernel.mem_alloc(size, pid, self)

    def stats(self):
        return self.kernel.heap_stats(self)

    def reset(self):
        self.kernel.heap_reset(self)

    def set_fallback(self, fallback):
        self.kernel.heap_set_fallback(self, fallback)

    def destroy(self):
        self.kernel.heap_destroy(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.handle != MK_HEAP_DEFAULT:
            try:
                self.destroy()
            except MkError:
                if exc[0] is None:
                    raise
        return False


class Block:
    """A memory block (``.handle``) used on behalf of ``.pid``."""

    def __init__(self, kernel, handle, pid):
        self.kernel, self.handle, self.pid = kernel, handle, pid

    def __int__(self):
        return self.handle

    def __repr__(self):
        return "<mk.Block handle=%#x pid=%d>" % (self.handle, self.pid)

    def __len__(self):
        return self.info()["bytes"]

    def read(self, offset=0, length=None, pid=None):
        """``length`` bytes from ``offset`` (to the end by default)."""
        if length is None:
            length = len(self) - offset
        return self.kernel.mem_read(self, offset, length,
                                    self.pid if pid is None else pid)

    def write(self, data, offset=0, pid=None):
        self.kernel.mem_write(self, data, offset,
                              self.pid if pid is None else pid)

    def info(self):
        return self.kernel.mem_info(self)

    def address(self, pid=None):
        """Host address of the first byte (``mk_mem_ptr``), an int."""
        return self.kernel.mem_ptr(self, self.pid if pid is None else pid)

    def share(self, other):
        self.kernel.mem_share(self, other, self.pid)

    def unshare(self, other):
        self.kernel.mem_unshare(self, other, self.pid)

    def free(self):
        self.kernel.mem_free(self, self.pid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.free()
        except MkError:
            if exc[0] is None:
                raise
        return False


class MemMixin:
    def _heap(self, h):
        if isinstance(h, Heap):
            return h.handle
        return cv.handle(h, "heap")

    def _blk(self, b):
        if isinstance(b, Block):
            return b.handle
        return cv.handle(b, "block")

    # -- heaps ------------------------------------------------------------
    @property
    def default_heap(self):
        return Heap(self, MK_HEAP_DEFAULT)

    def heap_create(self, kind, size):
        """New heap: ``kind`` "bump", "freelist", "fixed" (or the int)."""
        out = ctypes.c_uint64()
        self._call("mk_heap_create", cv.u32(_KINDS.get(kind, kind), "kind"),
                   cv.u64(size, "size"), ctypes.byref(out))
        return Heap(self, out.value)

    def heap_destroy(self, heap):
        self._call("mk_heap_destroy", self._heap(heap))

    def heap_reset(self, heap):
        self._call("mk_heap_reset", self._heap(heap))

    def heap_set_fallback(self, fixed, fallback):
        self._call("mk_heap_set_fallback", self._heap(fixed),
                   self._heap(fallback))

    def heap_stats(self, heap=MK_HEAP_DEFAULT):
        """Statistics dict (capacity, used, free, largest_free, …)."""
        st = new(mk_heap_stats_t)
        self._call("mk_heap_stats", self._heap(heap), ctypes.byref(st))
        d = as_dict(st)
        d.pop("reserved", None)
        return d

    # -- blocks -----------------------------------------------------------
    def mem_alloc(self, size, pid=0, heap=MK_HEAP_DEFAULT):
        """Allocate ``size`` bytes owned by ``pid``. QuotaExceeded
        (MK_EQUOTA), OutOfMemory, NotFound (pid)."""
        p = cv.u32(pid, "pid")
        out = ctypes.c_uint64()
        self._call("mk_mem_alloc", p, self._heap(heap), cv.u64(size, "size"),
                   ctypes.byref(out))
        return Block(self, out.value, p)

    def mem_free(self, block, pid=None):
        """Free a block; ``pid`` must own it (PermissionDenied)."""
        if pid is None:
            pid = block.pid if isinstance(block, Block) else 0
        self._call("mk_mem_free", cv.u32(pid, "pid"), self._blk(block))

    def mem_read(self, block, offset, length, pid=0):
        length = cv.u64(length, "length")
        buf = ctypes.create_string_buffer(max(length, 1))
        self._call("mk_mem_read", cv.u32(pid, "pid"), self._blk(block),
                   cv.u64(offset, "offset"), buf, length)
        return buf.raw[:length]

    def mem_write(self, block, data, offset=0, pid=0):
        b = cv.data(data)
        self._call("mk_mem_write", cv.u32(pid, "pid"), self._blk(block),
                   cv.u64(offset, "offset"), b, len(b))

    def mem_ptr(self, block, pid=0):
        out = ctypes.c_void_p()
        self._call("mk_mem_ptr", cv.u32(pid, "pid"), self._blk(block),
                   ctypes.byref(out))
        return out.value

    def mem_info(self, block):
        """dict: owner, bytes, addr, heap, shares."""
        st = new(mk_block_info_t)
        self._call("mk_mem_info", self._blk(block), ctypes.byref(st))
        d = as_dict(st)
        d.pop("reserved", None)
        return d

    def mem_share(self, block, other, owner=None):
        if owner is None:
            owner = block.pid if isinstance(block, Block) else 0
        self._call("mk_mem_share", cv.u32(owner, "pid"), self._blk(block),
                   cv.u32(other, "pid"))

    def mem_unshare(self, block, other, owner=None):
        if owner is None:
            owner = block.pid if isinstance(block, Block) else 0
        self._call("mk_mem_unshare", cv.u32(owner, "pid"), self._blk(block),
                   cv.u32(other, "pid"))

    # -- quotas -----------------------------------------------------------
    def mem_set_quota(self, pid, nbytes):
        """Set ``pid``'s quota in bytes (0 = unlimited)."""
        self._call("mk_mem_set_quota", cv.u32(pid, "pid"),
                   cv.u64(nbytes, "bytes"))

    def mem_usage(self, pid=0):
        """(used, quota) in bytes for ``pid``."""
        used, quota = ctypes.c_uint64(), ctypes.c_uint64()
        self._call("mk_mem_usage", cv.u32(pid, "pid"), ctypes.byref(used),
                   ctypes.byref(quota))
        return used.value, quota.value

    def mem_check(self, pid, size):
        """True if ``size`` more bytes would fit ``pid``'s quota."""
        rc = self._rc("mk_mem_check", cv.u32(pid, "pid"), cv.u64(size, "size"))
        if rc == MK_EQUOTA:
            return False
        if rc < 0:
            raise MkError(rc, "mk_mem_check")
        return True

    def mem_violations(self, pid=0):
        n = ctypes.c_uint64()
        self._call("mk_mem_violations", cv.u32(pid, "pid"), ctypes.byref(n))
        return n.value
