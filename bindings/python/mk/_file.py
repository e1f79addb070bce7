"""Python file objects over libmk descriptors.

:class:`MkFile` is an ``io.RawIOBase`` over one descriptor of one pid;
:func:`open_file` parses a built-in-style mode and stacks the usual ``io``
buffer and text layers on top. Errors raise MkError. ``fileno()`` is not
supported (a libmk descriptor is not a host file descriptor).
"""

import ctypes
import io

from . import _conv as cv
from .errors import MkError, MK_EBADH, MK_ENOENT

_O_RDONLY, _O_WRONLY, _O_RDWR = 0x0, 0x1, 0x2
_O_CREAT, _O_EXCL, _O_TRUNC, _O_APPEND = 0x40, 0x80, 0x200, 0x400


def parse_mode(mode):
    """(flags, readable, writable, append, binary) for a mode string."""
    chars = set(mode)
    if len(chars) != len(mode) or not chars <= set("rwaxbt+") or \
            len(chars & set("rwax")) != 1 or {"b", "t"} <= chars:
        raise ValueError("invalid mode: %r" % mode)
    plus = "+" in chars
    if "r" in chars:
        flags = _O_RDWR if plus else _O_RDONLY
    else:
        flags = (_O_RDWR if plus else _O_WRONLY) | _O_CREAT
        flags |= {"w": _O_TRUNC, "a": _O_APPEND, "x": _O_EXCL}[
            (chars & set("wax")).pop()]
    readable = "r" in chars or plus
    writable = "r" not in chars or plus
    return flags, readable, writable, "a" in chars, "b" in chars


class MkFile(io.RawIOBase):
    """Raw binary file over a libmk descriptor (``.fd``, ``.pid``)."""

    def __init__(self, kernel, path, flags, pid, readable, writable):
        super().__init__()
        self.kernel, self.pid = kernel, cv.u32(pid, "pid")
        self.name = path
        self.fd = kernel.vfs_open(path, flags, self.pid)
        self._readable, self._writable = readable, writable

    def __repr__(self):
        return "<mk.MkFile %r fd=%#x pid=%d>" % (self.name, self.fd, self.pid)

    def readable(self):
        return self._readable

    def writable(self):
        return self._writable

    def seekable(self):
        return True

    def fileno(self):
        raise io.UnsupportedOperation("libmk descriptors are not host fds")

    def readinto(self, b):
        self._checkClosed()
        view = memoryview(b).cast("B")
        data = self.kernel.vfs_read(self.fd, len(view), self.pid)
        view[:len(data)] = data
        return len(data)

    def readall(self):
        chunks = []
        while True:
            data = self.kernel.vfs_read(self.fd, 1 << 16, self.pid)
            if not data:
                return b"".join(chunks)
            chunks.append(data)

    def write(self, b):
        self._checkClosed()
        return self.kernel.vfs_write(self.fd, b, self.pid)

    def seek(self, offset, whence=io.SEEK_SET):
        self._checkClosed()
        return self.kernel.vfs_seek(self.fd, offset, whence, self.pid)

    def tell(self):
        return self.seek(0, io.SEEK_CUR)

    def truncate(self, size=None):
        self._checkClosed()
        if size is None:
            size = self.tell()
        self.kernel.vfs_ftruncate(self.fd, size, self.pid)
        return size

    def fsync(self):
        """Write the file system holding this file to its device."""
        self.kernel.vfs_fsync(self.fd, self.pid)

    def stat(self):
        return self.kernel.vfs_fstat(self.fd, self.pid)

    def close(self):
        if self.closed:
            return
        try:
            super().close()
        finally:
            try:
                self.kernel.vfs_close(self.fd, self.pid)
            except MkError as e:
                # Already closed by the library: the kernel was closed
                # (mk_destroy), or the owning process was destroyed.
                if not (self.kernel.closed or
                        e.code in (MK_EBADH, MK_ENOENT)):
                    raise


def open_file(kernel, path, mode="r", pid=0, buffering=-1, encoding=None,
              errors=None, newline=None):
    flags, readable, writable, append, binary = parse_mode(mode)
    if binary and (encoding or errors or newline):
        raise ValueError("binary mode takes no encoding, errors or newline")
    if not binary and buffering == 0:
        raise ValueError("can't have unbuffered text I/O")
    raw = MkFile(kernel, path, flags, pid, readable, writable)
    try:
        if append:
            raw.seek(0, io.SEEK_END)
        if buffering == 0:
            return raw
        size = buffering if buffering > 1 else io.DEFAULT_BUFFER_SIZE
        if readable and writable:
            f = io.BufferedRandom(raw, size)
        elif readable:
            f = io.BufferedReader(raw, size)
        else:
            f = io.BufferedWriter(raw, size)
        if binary:
            return f
        return io.TextIOWrapper(f, encoding or "utf-8", errors, newline,
                                line_buffering=(buffering == 1))
    except BaseException:
        raw.close()
        raise
