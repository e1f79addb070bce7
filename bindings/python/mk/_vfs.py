"""Kernel methods of the vfs module (vfs.h): mounts, paths, descriptors.

:meth:`VfsMixin.open` returns a Python file object (``io`` buffered or raw
binary, or text) over a libmk descriptor; the lower-level ``vfs_*`` methods
use descriptors as ints. Paths are absolute (``str`` or ``bytes``); every
call acts for ``pid`` (default 0, the kernel's own descriptor table).
"""

import collections
import ctypes

from . import _conv as cv
from ._file import MkFile, open_file
from ._structs import mk_dirent_t, mk_stat_t, mk_statfs_t, new, as_dict

MK_PATH_MAX = 1023
MK_VFS_OPEN_MAX = 1024
MK_O_RDONLY, MK_O_WRONLY, MK_O_RDWR = 0x0, 0x1, 0x2
MK_O_CREAT, MK_O_EXCL, MK_O_TRUNC = 0x40, 0x80, 0x200
MK_O_APPEND, MK_O_DIRECTORY = 0x400, 0x10000
MK_SEEK_SET, MK_SEEK_CUR, MK_SEEK_END = 0, 1, 2
MK_MOUNT_FORMAT = 0x1
MK_FT_REG, MK_FT_DIR = 1, 2

StatResult = collections.namedtuple(
    "StatResult", "type ino bytes blocks nlink ctime mtime")
StatResult.is_dir = property(lambda s: s.type == MK_FT_DIR)
StatResult.is_file = property(lambda s: s.type == MK_FT_REG)
DirEntry = collections.namedtuple("DirEntry", "name type ino")
DirEntry.is_dir = property(lambda s: s.type == MK_FT_DIR)


def _stat(st):
    return StatResult(st.type, st.ino, st.bytes, st.blocks, st.nlink,
                      st.ctime, st.mtime)


class VfsMixin:
    # -- mounts -----------------------------------------------------------
    def mount(self, dev, mountpoint, format=False):
        """Mount the file system on ``dev`` at ``mountpoint``. With
        ``format`` a blank device is formatted first (never one holding
        other data: NotAFileSystem, MK_ENOFS). Busy when taken."""
        self._call("mk_vfs_mount", self._dev(dev),
                   cv.name(mountpoint, "mountpoint"),
                   MK_MOUNT_FORMAT if format else 0)

    def unmount(self, mountpoint):
        """Flush and unmount. NotFound when nothing is mounted there."""
        self._call("mk_vfs_unmount", cv.name(mountpoint, "mountpoint"))

    def sync(self):
        """Write every mounted file system to its device."""
        self._call("mk_vfs_sync")

    def statfs(self, path):
        """Capacity of the file system holding ``path`` (dict)."""
        st = new(mk_statfs_t)
        self._call("mk_vfs_statfs", cv.name(path, "path"), ctypes.byref(st))
        return as_dict(st)

    # -- files as Python objects -----------------------------------------
    def open(self, path, mode="r", pid=0, buffering=-1, encoding=None,
             errors=None, newline=None):
        """Open a file like the built-in ``open`` (modes r w a x, + b t)."""
        return open_file(self, path, mode, pid, buffering, encoding, errors,
                         newline)

    def read_file(self, path, pid=0):
        """The whole content of a file, as bytes."""
        with self.open(path, "rb", pid=pid) as f:
            return f.read()

    def write_file(self, path, data, pid=0):
        """Replace a file's content with ``data`` (created if missing)."""
        with self.open(path, "wb", pid=pid) as f:
            f.write(cv.data(data))

    # -- descriptors ------------------------------------------------------
    def vfs_open(self, path, flags=MK_O_RDONLY, pid=0):
        """Open with ``MK_O_*`` flags; return the descriptor (int)."""
        fd = ctypes.c_uint64()
        self._call("mk_vfs_open", cv.u32(pid, "pid"), cv.name(path, "path"),
                   cv.u32(flags, "flags"), ctypes.byref(fd))
        return fd.value

    def vfs_close(self, fd, pid=0):
        self._call("mk_vfs_close", cv.u32(pid, "pid"), cv.handle(fd, "fd"))

    def vfs_read(self, fd, size, pid=0):
        """Up to ``size`` bytes from the descriptor's offset (b"" at EOF)."""
        size = cv.u64(size, "size")
        buf = ctypes.create_string_buffer(max(size, 1))
        n = ctypes.c_size_t()
        self._call("mk_vfs_read", cv.u32(pid, "pid"), cv.handle(fd, "fd"),
                   buf, size, ctypes.byref(n))
        return buf.raw[:n.value]

    def vfs_write(self, fd, data, pid=0):
        """Write at the offset; return the count written (short when the
        device filled up)."""
        b = cv.data(data)
        n = ctypes.c_size_t()
        self._call("mk_vfs_write", cv.u32(pid, "pid"), cv.handle(fd, "fd"),
                   b, len(b), ctypes.byref(n))
        return n.value

    def vfs_pread(self, fd, size, offset, pid=0):
        size = cv.u64(size, "size")
        buf = ctypes.create_string_buffer(max(size, 1))
        n = ctypes.c_size_t()
        self._call("mk_vfs_pread", cv.u32(pid, "pid"), cv.handle(fd, "fd"),
                   buf, size, cv.u64(offset, "offset"), ctypes.byref(n))
        return buf.raw[:n.value]

    def vfs_pwrite(self, fd, data, offset, pid=0):
        b = cv.data(data)
        n = ctypes.c_size_t()
        self._call("mk_vfs_pwrite", cv.u32(pid, "pid"), cv.handle(fd, "fd"),
                   b, len(b), cv.u64(offset, "offset"), ctypes.byref(n))
        return n.value

    def vfs_seek(self, fd, offset, whence=MK_SEEK_SET, pid=0):
        """Move the offset; return the new one."""
        pos = ctypes.c_uint64()
        self._call("mk_vfs_seek", cv.u32(pid, "pid"), cv.handle(fd, "fd"),
                   cv.i64(offset, "offset"), cv.u32(whence, "whence"),
                   ctypes.byref(pos))
        return pos.value

    def vfs_ftruncate(self, fd, length, pid=0):
        self._call("mk_vfs_ftruncate", cv.u32(pid, "pid"),
                   cv.handle(fd, "fd"), cv.u64(length, "length"))

    def vfs_fsync(self, fd, pid=0):
        self._call("mk_vfs_fsync", cv.u32(pid, "pid"), cv.handle(fd, "fd"))

    def vfs_fstat(self, fd, pid=0):
        st = new(mk_stat_t)
        self._call("mk_vfs_fstat", cv.u32(pid, "pid"), cv.handle(fd, "fd"),
                   ctypes.byref(st))
        return _stat(st)

    def vfs_readdir(self, fd, pid=0):
        """The next :class:`DirEntry` of a directory descriptor, or None."""
        ent, got = new(mk_dirent_t), ctypes.c_uint32()
        self._call("mk_vfs_readdir", cv.u32(pid, "pid"), cv.handle(fd, "fd"),
                   ctypes.byref(ent), ctypes.byref(got))
        if not got.value:
            return None
        return DirEntry(ent.name.decode("utf-8", "surrogateescape"),
                        ent.type, ent.ino)

    # -- paths ------------------------------------------------------------
    def truncate(self, path, length):
        self._call("mk_vfs_truncate", cv.name(path, "path"),
                   cv.u64(length, "length"))

    def unlink(self, path):
        """Remove a regular file (Busy while it is open)."""
        self._call("mk_vfs_unlink", cv.name(path, "path"))

    remove = unlink

    def mkdir(self, path):
        self._call("mk_vfs_mkdir", cv.name(path, "path"))

    def rmdir(self, path):
        self._call("mk_vfs_rmdir", cv.name(path, "path"))

    def rename(self, src, dst):
        self._call("mk_vfs_rename", cv.name(src, "path"), cv.name(dst, "path"))

    def stat(self, path):
        """:class:`StatResult` of ``path`` (type, ino, bytes, …)."""
        st = new(mk_stat_t)
        self._call("mk_vfs_stat", cv.name(path, "path"), ctypes.byref(st))
        return _stat(st)

    def exists(self, path):
        try:
            self.stat(path)
            return True
        except Exception:
            return False

    def scandir(self, path, pid=0):
        """Every :class:`DirEntry` of a directory except "." and ".."."""
        fd = self.vfs_open(path, MK_O_RDONLY | MK_O_DIRECTORY, pid)
        try:
            out = []
            while True:
                e = self.vfs_readdir(fd, pid)
                if e is None:
                    return out
                if e.name not in (".", ".."):
                    out.append(e)
        finally:
            self.vfs_close(fd, pid)

    def listdir(self, path, pid=0):
        """Names in a directory (without "." and ".."), in on-disk order."""
        return [e.name for e in self.scandir(path, pid)]


__all__ = ["MkFile", "StatResult", "DirEntry", "VfsMixin"]
