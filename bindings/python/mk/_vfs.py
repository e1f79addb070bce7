"""Kernel methods of the vfs module (vfs.h): mounts, paths, descriptors.

:meth:`VfsMixin.open` returns a Python file object (``io`` buffered or raw
binary, or text) over a libmk descriptor; the lower-level ``vfs_*`` methods
use descriptors as ints. Paths are absolute (``str`` or ``bytes``); every
call acts for ``pid`` (default 0, the kernel's own descriptor table).
"""

import collections
import ctypes
import os

from . import _conv as cv
from ._file import MkFile, open_file
from ._structs import mk_dirent_t, mk_stat_t, mk_statfs_t, new, as_dict
from .errors import MkError, MK_EBUSY, MK_EEXIST, MK_ENOSPC, MK_ENOTDIR

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


# -- trees: walk, makedirs, rmtree, import/export with the host ----------
#
# The same rules as the mk-img tool (tools/README.md): import copies the
# *contents* of a host directory into an image directory, recursively,
# directories and regular files only, in name order; symbolic links,
# special files, names longer than MK_NAME_MAX bytes and image paths longer
# than MK_PATH_MAX bytes are skipped and reported in ``TreeResult.skipped``
# (a skipped directory takes its subtree with it). Host errors raise
# OSError, libmk errors MkError; what was copied before stays copied.

MK_NAME_MAX = 59
COPY_CHUNK = 1 << 20

TreeResult = collections.namedtuple("TreeResult", "files dirs bytes skipped")
TreeResult.__doc__ = """Outcome of import_tree()/export_tree(): files and
directories copied, bytes of file data copied, and ``skipped``, a list of
``(host_path, reason)`` with reason one of "symlink", "special",
"name too long", "path too long"."""


def _b(path):
    return path.encode("utf-8", "surrogateescape") if isinstance(path, str) \
        else bytes(path)


def _join(dirpath, name):
    return dirpath.rstrip("/") + "/" + name


class TreeMixin:
    def walk(self, path="/"):
        """Like ``os.walk`` (top-down): yield ``(dirpath, dirnames,
        filenames)`` for ``path`` and every directory below it, names
        sorted; prune by editing ``dirnames`` in place."""
        entries = sorted(self.scandir(path), key=lambda e: e.name)
        dirs = [e.name for e in entries if e.is_dir]
        files = [e.name for e in entries if not e.is_dir]
        yield path, dirs, files
        for d in dirs:
            yield from self.walk(_join(path, d))

    def makedirs(self, path, exist_ok=True):
        """Create ``path`` and its missing parents. MkError(MK_EEXIST) when
        it exists and not ``exist_ok``; MK_ENOTDIR when a component is a
        file."""
        parts = [p for p in path.split("/") if p]
        cur = ""
        for i, p in enumerate(parts):
            cur += "/" + p
            try:
                self.mkdir(cur)
            except MkError as e:
                if e.code != MK_EEXIST:
                    raise
                if not self.stat(cur).is_dir:
                    raise MkError(MK_ENOTDIR, "makedirs %s" % cur) from None
                if i == len(parts) - 1 and not exist_ok:
                    raise

    def rmtree(self, path):
        """Remove a directory and everything under it (a file: just it).
        The root of a mount is emptied, not removed."""
        if not self.stat(path).is_dir:
            self.unlink(path)
            return
        for e in self.scandir(path):
            self.rmtree(_join(path, e.name))
        try:
            self.rmdir(path)
        except MkError as e:
            if e.code != MK_EBUSY or self.listdir(path):
                raise                       # a mount point stays, emptied

    def import_tree(self, host_dir, path="/", progress=None):
        """Copy the contents of host directory ``host_dir`` into image
        directory ``path`` (created with its parents), recursively.

        ``progress(files_done, files_total, bytes_done, bytes_total)`` is
        called after each file when given. Returns a :class:`TreeResult`.
        Existing files are overwritten."""
        plan, skipped = [], []
        host_dir = os.fspath(host_dir)

        def scan(hdir, idir):
            with os.scandir(hdir) as it:
                ents = sorted(it, key=lambda e: e.name)
            for e in ents:
                hp = os.path.join(hdir, e.name)
                if e.is_symlink():
                    skipped.append((hp, "symlink"))
                    continue
                is_dir = e.is_dir(follow_symlinks=False)
                if not is_dir and not e.is_file(follow_symlinks=False):
                    skipped.append((hp, "special"))
                    continue
                ip = _join(idir, e.name)
                if len(_b(e.name)) > MK_NAME_MAX:
                    skipped.append((hp, "name too long"))
                elif len(_b(ip)) > MK_PATH_MAX:
                    skipped.append((hp, "path too long"))
                elif is_dir:
                    plan.append((hp, ip, True, 0))
                    scan(hp, ip)
                else:
                    plan.append((hp, ip, False,
                                 e.stat(follow_symlinks=False).st_size))

        if not os.path.isdir(host_dir):
            raise NotADirectoryError(20 if os.path.exists(host_dir) else 2,
                                     "not a directory", host_dir)
        self.makedirs(path)
        scan(host_dir, "" if path.rstrip("/") == "" else path.rstrip("/"))
        files_total = sum(1 for p in plan if not p[2])
        bytes_total = sum(p[3] for p in plan)
        nfiles = ndirs = nbytes = 0
        for hp, ip, is_dir, _size in plan:
            if is_dir:
                self.makedirs(ip)
                ndirs += 1
                continue
            fd = self.vfs_open(ip, MK_O_WRONLY | MK_O_CREAT | MK_O_TRUNC)
            try:
                with open(hp, "rb") as f:
                    while True:
                        chunk = f.read(COPY_CHUNK)
                        if not chunk:
                            break
                        view = memoryview(chunk)
                        while view:
                            n = self.vfs_write(fd, view)
                            if n == 0:
                                raise MkError(MK_ENOSPC, "import %s" % ip)
                            view = view[n:]
                            nbytes += n
            finally:
                self.vfs_close(fd)
            nfiles += 1
            if progress:
                progress(nfiles, files_total, nbytes, bytes_total)
        return TreeResult(nfiles, ndirs, nbytes, skipped)

    def export_tree(self, path, host_dir, progress=None):
        """Copy image directory ``path`` recursively into host directory
        ``host_dir`` (created if missing); a file ``path`` is copied into
        it. Host files are overwritten; symbolic links in the way are not
        followed (OSError). Returns a :class:`TreeResult` (nothing is ever
        skipped: every image name fits a host)."""
        host_dir = os.fspath(host_dir)
        os.makedirs(host_dir, exist_ok=True)
        st = self.stat(path)
        plan = []
        if st.is_dir:
            for dpath, dnames, fnames in self.walk(path):
                rel = dpath[len(path.rstrip("/")):].lstrip("/")
                hdir = os.path.join(host_dir, rel) if rel else host_dir
                for d in dnames:
                    plan.append((_join(dpath, d), os.path.join(hdir, d), True))
                for f in fnames:
                    plan.append((_join(dpath, f), os.path.join(hdir, f), False))
        else:
            plan.append((path, os.path.join(host_dir, path.rsplit("/", 1)[-1]),
                         False))
        # Directories come before their contents in walk order already.
        sizes = {ip: self.stat(ip).bytes for ip, _h, d in plan if not d}
        files_total, bytes_total = len(sizes), sum(sizes.values())
        nfiles = ndirs = nbytes = 0
        for ip, hp, is_dir in plan:
            if is_dir:
                os.makedirs(hp, exist_ok=True)
                ndirs += 1
                continue
            fd = self.vfs_open(ip, MK_O_RDONLY)
            try:
                hfd = os.open(hp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC |
                              os.O_NOFOLLOW, 0o644)
                with open(hfd, "wb") as f:
                    while True:
                        chunk = self.vfs_read(fd, COPY_CHUNK)
                        if not chunk:
                            break
                        f.write(chunk)
                        nbytes += len(chunk)
            finally:
                self.vfs_close(fd)
            nfiles += 1
            if progress:
                progress(nfiles, files_total, nbytes, bytes_total)
        return TreeResult(nfiles, ndirs, nbytes, [])


class VfsMixin(TreeMixin):
    # -- mounts -----------------------------------------------------------
    def mount(self, dev, mountpoint, format=False, flags=0):
        """Mount the file system on ``dev`` at ``mountpoint``. With
        ``format`` a blank device is formatted first (never one holding
        other data: NotAFileSystem, MK_ENOFS). Busy when taken.

        The file system is journaled: a committed transaction left by a
        crash is replayed here, before anything else. ``flags`` passes
        further ``MK_MOUNT_*`` bits of vfs.h as they are (unknown bits:
        MK_EINVAL)."""
        self._call("mk_vfs_mount", self._dev(dev),
                   cv.name(mountpoint, "mountpoint"),
                   cv.u32(flags, "flags") | (MK_MOUNT_FORMAT if format else 0))

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
        """Remove a regular file's name. As in POSIX an open file stays
        usable through its open descriptors and is freed when the last one
        closes."""
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


__all__ = ["MkFile", "StatResult", "DirEntry", "TreeResult", "VfsMixin",
           "TreeMixin"]
