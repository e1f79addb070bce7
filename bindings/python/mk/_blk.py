"""Kernel methods of the blk and fs modules (blk.h, fs.h): block devices,
the buffer cache, mkfs and probe.

A device is returned as a :class:`Device` (name + handle); every Kernel
method taking ``dev`` also accepts the device's name or its raw handle.
Caller-driven devices (:meth:`BlkMixin.blk_register`) call back into a
Python object; its callbacks may run on any thread and an exception in one
is reported to the library as MK_EIO.
"""

import ctypes

from . import _conv as cv
from ._structs import (BLK_CLOSE_FN, BLK_READ_FN, BLK_SYNC_FN, BLK_WRITE_FN,
                       as_dict, mk_blk_ops_t, mk_cache_stats_t,
                       mk_fsck_report_t, mk_mkfs_opts_t, new)
from .errors import MK_EIO

MK_BLK_SIZE_DEFAULT = 4096
MK_BLK_SIZE_MIN = 512
MK_BLK_SIZE_MAX = 65536
MK_BLK_CREATE = 0x1
MK_FSCK_REPAIR = 0x1
MK_CACHE_POLICY_LRU = 1
MK_CACHE_POLICY_2Q = 2
#: names of the cache replacement policies (``cache_stats()["policy_name"]``)
CACHE_POLICY_NAMES = {MK_CACHE_POLICY_LRU: "lru", MK_CACHE_POLICY_2Q: "2q"}
PROBE_KINDS = {0: "blank", 1: "mkfs", 2: "other"}
#: block sizes tried, in order, when an image's block size is not given
IMAGE_BLOCK_SIZES = (4096, 512, 1024, 2048, 8192, 16384, 32768, 65536)


class Device:
    """A block device of a Kernel: ``.name``, ``.handle``."""

    def __init__(self, kernel, handle, name):
        self.kernel, self.handle, self.name = kernel, handle, name

    def __int__(self):
        return self.handle

    def __repr__(self):
        return "<mk.Device %r handle=%#x>" % (self.name, self.handle)

    def info(self):
        """(block_size, nblocks)."""
        return self.kernel.blk_info(self)

    @property
    def block_size(self):
        return self.info()[0]

    @property
    def nblocks(self):
        return self.info()[1]

    def read(self, blockno, offset=0, length=None):
        return self.kernel.blk_read(self, blockno, offset, length)

    def write(self, blockno, data, offset=0):
        self.kernel.blk_write(self, blockno, data, offset)

    def flush(self):
        self.kernel.cache_flush(self)

    def remove(self):
        self.kernel.blk_remove(self)

    def probe(self):
        return self.kernel.fs_probe(self)

    def mkfs(self, inodes=0):
        self.kernel.fs_mkfs(self, inodes)

    def fsck(self, repair=False):
        return self.kernel.fs_fsck(self, repair)


class _Driver:
    """Keeps a Python driver's callbacks alive while the library holds them."""

    def __init__(self, registry, obj, block_size):
        self.obj, self.block_size, self.registry = obj, block_size, registry

        def read(_ctx, blockno, bufp, count):
            try:
                n = count * self.block_size
                data = bytes(self.obj.read(blockno, count))
                if len(data) != n:
                    return MK_EIO
                ctypes.memmove(bufp, data, n)
                return 0
            except Exception:
                return MK_EIO

        def write(_ctx, blockno, bufp, count):
            try:
                data = ctypes.string_at(bufp, count * self.block_size)
                rc = self.obj.write(blockno, data)
                return 0 if rc in (None, 0, True) else MK_EIO
            except Exception:
                return MK_EIO

        def sync(_ctx):
            try:
                fn = getattr(self.obj, "sync", None)
                rc = fn() if fn else None
                return 0 if rc in (None, 0, True) else MK_EIO
            except Exception:
                return MK_EIO

        def close(_ctx):
            try:
                fn = getattr(self.obj, "close", None)
                if fn:
                    fn()
            except Exception:
                pass
            self.registry.discard(self)

        self.ops = new(mk_blk_ops_t, read=BLK_READ_FN(read),
                       write=BLK_WRITE_FN(write), sync=BLK_SYNC_FN(sync),
                       close=BLK_CLOSE_FN(close))


class BlkMixin:
    # -- devices ----------------------------------------------------------
    def _dev(self, dev):
        """A raw handle from a Device, a name or an int."""
        if isinstance(dev, Device):
            return dev.handle
        if isinstance(dev, (str, bytes)):
            return self.blk_lookup(dev).handle
        return cv.handle(dev, "device")

    def _new_dev(self, fname, name, *args):
        n = cv.name(name, "device name")
        out = ctypes.c_uint64()
        self._call(fname, n, *args, ctypes.byref(out))
        return Device(self, out.value, n.decode("utf-8", "replace"))

    def blk_create_ram(self, name, nblocks, block_size=0):
        """Create a zeroed, sparse RAM device. MK_EEXIST, MK_EINVAL, …"""
        return self._new_dev("mk_blk_create_ram", name,
                             cv.u32(block_size, "block_size"),
                             cv.u64(nblocks, "nblocks"))

    def blk_open_image(self, name, path, block_size=0, nblocks=0,
                       create=False):
        """Open a host file as a device; ``create`` makes/extends it."""
        return self._new_dev("mk_blk_open_image", name,
                             cv.name(path, "path"),
                             cv.u32(block_size, "block_size"),
                             cv.u64(nblocks, "nblocks"),
                             MK_BLK_CREATE if create else 0)

    def blk_register(self, name, driver, nblocks, block_size=0):
        """Register a device driven by ``driver``, an object with
        ``read(blockno, count) -> bytes`` and ``write(blockno, data)``
        (optional ``sync()``, ``close()``); sizes in blocks."""
        bs = cv.u32(block_size, "block_size") or MK_BLK_SIZE_DEFAULT
        if not hasattr(self, "_drivers"):
            self._drivers = set()
        drv = _Driver(self._drivers, driver, bs)
        self._drivers.add(drv)
        try:
            return self._new_dev("mk_blk_register", name,
                                 ctypes.byref(drv.ops), None,
                                 cv.u32(block_size, "block_size"),
                                 cv.u64(nblocks, "nblocks"))
        except BaseException:
            self._drivers.discard(drv)
            raise

    def blk_lookup(self, name):
        """The device called ``name``; MK_ENOENT when there is none."""
        n = cv.name(name, "device name")
        out = ctypes.c_uint64()
        self._call("mk_blk_lookup", n, ctypes.byref(out))
        return Device(self, out.value, n.decode("utf-8", "replace"))

    def blk_remove(self, dev):
        """Write back, close and forget a device. MK_EBUSY when mounted."""
        self._call("mk_blk_remove", self._dev(dev))

    def blk_info(self, dev):
        """(block_size, nblocks) of a device."""
        bs, n = ctypes.c_uint32(), ctypes.c_uint64()
        self._call("mk_blk_info", self._dev(dev), ctypes.byref(bs),
                   ctypes.byref(n))
        return bs.value, n.value

    def blk_read(self, dev, blockno, offset=0, length=None):
        """Bytes of block ``blockno`` through the cache (whole block by
        default, else ``length`` bytes from ``offset``)."""
        d = self._dev(dev)
        if length is None:
            length = self.blk_info(d)[0] - cv.u32(offset, "offset")
            length = max(length, 0)
        buf = ctypes.create_string_buffer(cv.u64(length, "length"))
        self._call("mk_blk_read", d, cv.u64(blockno, "blockno"),
                   cv.u32(offset, "offset"), buf, length)
        return buf.raw

    def blk_write(self, dev, blockno, data, offset=0):
        """Write ``data`` into block ``blockno`` at ``offset`` (write-back:
        the device sees it at flush/eviction). MK_EMSGSIZE past the block."""
        b = cv.data(data)
        self._call("mk_blk_write", self._dev(dev), cv.u64(blockno, "blockno"),
                   cv.u32(offset, "offset"), b, len(b))

    # -- cache ------------------------------------------------------------
    def cache_flush(self, dev=None):
        """Write every dirty block of ``dev`` (all devices by default)."""
        self._call("mk_cache_flush", 0 if dev is None else self._dev(dev))

    def cache_evict(self):
        """Evict the unpinned block the replacement policy picks (written
        back first if dirty); return how many were evicted (0 or 1)."""
        n = ctypes.c_uint64()
        self._call("mk_cache_evict", ctypes.byref(n))
        return n.value

    def cache_stats(self):
        """Cache statistics as a dict (capacity, cached, dirty, hits, …,
        read-ahead and threshold write-back counters, the active
        ``policy`` and its ``policy_name``: "lru" or "2q")."""
        st = new(mk_cache_stats_t)
        self._call("mk_cache_stats", ctypes.byref(st))
        d = as_dict(st)
        d["policy_name"] = CACHE_POLICY_NAMES.get(d["policy"], "unknown")
        return d

    # -- images (the mk-img tool's files) ---------------------------------
    def open_image(self, path, name=None, block_size=0, size=None):
        """Open an image file as a device, the way ``mk-img`` does.

        With ``size`` (bytes, rounded up to whole blocks) the file is
        created or extended (``block_size`` default 4096). Without it the
        file must exist; ``block_size`` 0 finds the block size by probing
        for a libmk superblock at each legal size (4096 first), falling
        back to 4096 for a blank or foreign file. ``name`` defaults to a
        fresh "image<N>". MkError(MK_ENOENT) when the file is missing."""
        import os
        if name is None:
            n = getattr(self, "_image_seq", 0)
            while True:
                n += 1
                name = "image%d" % n
                try:
                    self.blk_lookup(name)
                except Exception:
                    break
            self._image_seq = n
        if size is not None:
            bs = cv.u32(block_size, "block_size") or MK_BLK_SIZE_DEFAULT
            nblocks = -(-cv.u64(size, "size") // bs)
            return self.blk_open_image(name, path, bs, nblocks, create=True)
        if block_size:
            return self.blk_open_image(name, path, block_size)
        fsize = os.stat(path).st_size if os.path.exists(path) else 0
        for bs in IMAGE_BLOCK_SIZES:
            if fsize == 0 or fsize % bs:
                continue
            dev = self.blk_open_image(name, path, bs)
            if self.fs_probe(dev) == "mkfs":
                return dev
            self.blk_remove(dev)
        return self.blk_open_image(name, path, MK_BLK_SIZE_DEFAULT)

    def mount_image(self, path, mountpoint="/", size=None, block_size=0,
                    name=None):
        """Open an image file (see :meth:`open_image`) and mount it at
        ``mountpoint``, formatting it when it is blank (a new file). Returns
        the :class:`Device`; ``unmount(mountpoint)`` then ``blk_remove``
        (or closing the Kernel) writes everything to the file."""
        dev = self.open_image(path, name, block_size, size)
        try:
            self.mount(dev, mountpoint, format=True)
        except BaseException:
            self.blk_remove(dev)
            raise
        return dev

    # -- fs ---------------------------------------------------------------
    def fs_mkfs(self, dev, inodes=0):
        """Format ``dev`` with an empty file system (destroys its data)."""
        o = new(mk_mkfs_opts_t)
        self._clib.mk_mkfs_opts_init(ctypes.byref(o))
        o.inodes = cv.u32(inodes, "inodes")
        self._call("mk_fs_mkfs", self._dev(dev), ctypes.byref(o))

    def fs_fsck(self, dev, repair=False):
        """Check (with ``repair``, mend) the file system of an unmounted
        device; return the report as a dict: ``files``, ``dirs``,
        ``blocks_used``, ``journal_replayed``, a count per kind of problem
        (``block_leaks``, ``link_counts``, ``bad_entries``, …), their sum
        ``problems`` and ``repaired``, and ``clean``: True when no problem
        is left (none found, or every one repaired).
        MK_EBUSY while mounted, MK_ENOFS for a blank or foreign device,
        MK_ECORRUPT when beyond repair."""
        r = new(mk_fsck_report_t)
        self._call("mk_fs_fsck", self._dev(dev),
                   MK_FSCK_REPAIR if repair else 0, ctypes.byref(r))
        d = as_dict(r)
        d["clean"] = d["problems"] == d["repaired"]
        return d

    def fs_probe(self, dev):
        """What ``dev`` holds: "blank", "mkfs" or "other"."""
        kind = ctypes.c_uint32()
        self._call("mk_fs_probe", self._dev(dev), ctypes.byref(kind))
        return PROBE_KINDS.get(kind.value, kind.value)
