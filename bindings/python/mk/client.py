"""Client of the ``mkd`` daemon: one libmk kernel shared by OS processes.

``from mk.client import Client`` — a thin, Pythonic layer over the C
``mk_client_…`` API (include/microkernel/client.h), so Python and C clients
speak exactly the same protocol. Errors raise :class:`mk.MkError` carrying
the ``MK_E…`` code (``MkError(MK_EAGAIN)`` etc.); the connection is a
context manager::

    with Client() as c:                 # default socket, or Client(path)
        me = c.proc_create()
        q = c.queue_open("jobs")
        c.queue_send(q, b"work item")
        tag, data = c.queue_recv(q, me, timeout=1000)

Timeouts are in daemon ticks (``c.tick_hz`` per second; mkd's default is
1000, i.e. milliseconds); ``None`` waits forever, ``0`` tries once.
Processes created through a connection belong to it and are destroyed by the
daemon when it closes (or the Python process dies).
"""

import ctypes

from ._lib import lib
from ._structs import mk_stat_t
from .errors import MkError

NO_WAIT = 0
FOREVER = (1 << 64) - 1
QUEUE_WORK = 0
QUEUE_PUBSUB = 1


def _check(rc, what):
    if rc != 0:
        raise MkError(rc, what)


def _ticks(timeout):
    return FOREVER if timeout is None else int(timeout)


def _b(data):
    if isinstance(data, str):
        return data.encode()
    return bytes(data)


def default_path():
    """The socket path mkd uses by default for this user."""
    buf = ctypes.create_string_buffer(256)
    _check(lib.mk_client_default_path(buf, len(buf)), "default_path")
    return buf.value.decode()


class Client:
    """A connection to mkd. Calls on one connection are serialised; use one
    connection per thread that blocks."""

    def __init__(self, path=None):
        h = ctypes.c_void_p()
        p = None if path is None else str(path).encode()
        _check(lib.mk_client_connect(p, ctypes.byref(h)), "connect")
        self._h = h
        hz, fmax = ctypes.c_uint32(), ctypes.c_uint32()
        lib.mk_client_tick_hz(h, ctypes.byref(hz))
        lib.mk_client_frame_max(h, ctypes.byref(fmax))
        self.tick_hz = hz.value
        self.frame_max = fmax.value
        self._buf = ctypes.create_string_buffer(max(4096, self.frame_max))

    # -- life cycle ---------------------------------------------------------
    def close(self):
        """Close; the daemon destroys this connection's processes."""
        if self._h:
            lib.mk_client_close(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _c(self):
        if not self._h:
            raise MkError(-1, "connection closed")
        return self._h

    def ping(self, data=b""):
        d = _b(data)
        _check(lib.mk_client_ping(self._c(), d, len(d)), "ping")

    # -- processes ----------------------------------------------------------
    def proc_create(self, pid=0):
        out = ctypes.c_uint32()
        _check(lib.mk_client_proc_create(self._c(), pid, ctypes.byref(out)), "proc_create")
        return out.value

    def proc_destroy(self, pid):
        _check(lib.mk_client_proc_destroy(self._c(), pid), "proc_destroy")

    def proc_exists(self, pid):
        rc = lib.mk_client_proc_exists(self._c(), pid)
        if rc not in (0, -2):
            raise MkError(rc, "proc_exists")
        return rc == 0

    # -- messages -----------------------------------------------------------
    def _recv(self, fn, *args, timeout):
        tag, n = ctypes.c_uint32(), ctypes.c_size_t()
        rc = fn(self._c(), *args, ctypes.byref(tag), self._buf, len(self._buf),
                ctypes.byref(n), _ticks(timeout))
        _check(rc, fn.__name__)
        return tag.value, self._buf.raw[:n.value]

    def mbox_send(self, to, data, tag=0, timeout=NO_WAIT):
        d = _b(data)
        _check(lib.mk_client_mbox_send(self._c(), to, tag, d, len(d), _ticks(timeout)),
               "mbox_send")

    def mbox_recv(self, pid, timeout=NO_WAIT):
        """Return ``(tag, bytes)``; MkError(MK_EAGAIN/MK_ETIMEDOUT) if none."""
        return self._recv(lib.mk_client_mbox_recv, pid, timeout=timeout)

    def mbox_count(self, pid):
        n = ctypes.c_uint32()
        _check(lib.mk_client_mbox_count(self._c(), pid, ctypes.byref(n)), "mbox_count")
        return n.value

    # -- queues -------------------------------------------------------------
    def queue_create(self, name, mode=QUEUE_WORK, capacity=0, msg_max=0):
        q = ctypes.c_uint64()
        _check(lib.mk_client_queue_create(self._c(), name.encode(), mode, capacity, msg_max,
                                          ctypes.byref(q)), "queue_create")
        return q.value

    def queue_open(self, name):
        q = ctypes.c_uint64()
        _check(lib.mk_client_queue_open(self._c(), name.encode(), ctypes.byref(q)),
               "queue_open")
        return q.value

    def queue_delete(self, q):
        _check(lib.mk_client_queue_delete(self._c(), q), "queue_delete")

    def queue_send(self, q, data, tag=0, timeout=NO_WAIT):
        d = _b(data)
        _check(lib.mk_client_queue_send(self._c(), q, tag, d, len(d), _ticks(timeout)),
               "queue_send")

    def queue_recv(self, q, pid, timeout=NO_WAIT):
        return self._recv(lib.mk_client_queue_recv, q, pid, timeout=timeout)

    def queue_subscribe(self, q, pid):
        _check(lib.mk_client_queue_subscribe(self._c(), q, pid), "queue_subscribe")

    def queue_unsubscribe(self, q, pid):
        _check(lib.mk_client_queue_unsubscribe(self._c(), q, pid), "queue_unsubscribe")

    def queue_count(self, q, pid=0):
        n = ctypes.c_uint32()
        _check(lib.mk_client_queue_count(self._c(), q, pid, ctypes.byref(n)), "queue_count")
        return n.value

    # -- semaphores ---------------------------------------------------------
    def sem_create(self, name, initial=0, max=1):
        s = ctypes.c_uint64()
        _check(lib.mk_client_sem_create(self._c(), name.encode(), initial, max,
                                        ctypes.byref(s)), "sem_create")
        return s.value

    def sem_open(self, name):
        s = ctypes.c_uint64()
        _check(lib.mk_client_sem_open(self._c(), name.encode(), ctypes.byref(s)), "sem_open")
        return s.value

    def sem_wait(self, s, timeout=None):
        """Take one unit; blocks (across OS processes) up to ``timeout``."""
        _check(lib.mk_client_sem_wait(self._c(), s, _ticks(timeout)), "sem_wait")

    def sem_post(self, s):
        _check(lib.mk_client_sem_post(self._c(), s), "sem_post")

    def sem_value(self, s):
        v = ctypes.c_uint32()
        _check(lib.mk_client_sem_value(self._c(), s, ctypes.byref(v)), "sem_value")
        return v.value

    def sem_delete(self, s):
        _check(lib.mk_client_sem_delete(self._c(), s), "sem_delete")

    # -- files --------------------------------------------------------------
    def open(self, pid, path, flags):
        fd = ctypes.c_uint64()
        _check(lib.mk_client_vfs_open(self._c(), pid, path.encode(), flags, ctypes.byref(fd)),
               "open")
        return fd.value

    def close_fd(self, pid, fd):
        _check(lib.mk_client_vfs_close(self._c(), pid, fd), "close")

    def write(self, pid, fd, data):
        d = _b(data)
        n = ctypes.c_size_t()
        _check(lib.mk_client_vfs_write(self._c(), pid, fd, d, len(d), ctypes.byref(n)), "write")
        return n.value

    def read(self, pid, fd, size):
        n = ctypes.c_size_t()
        buf = ctypes.create_string_buffer(max(1, size))
        _check(lib.mk_client_vfs_read(self._c(), pid, fd, buf, size, ctypes.byref(n)), "read")
        return buf.raw[:n.value]

    def pwrite(self, pid, fd, data, offset):
        d = _b(data)
        n = ctypes.c_size_t()
        _check(lib.mk_client_vfs_pwrite(self._c(), pid, fd, d, len(d), offset,
                                        ctypes.byref(n)), "pwrite")
        return n.value

    def pread(self, pid, fd, size, offset):
        n = ctypes.c_size_t()
        buf = ctypes.create_string_buffer(max(1, size))
        _check(lib.mk_client_vfs_pread(self._c(), pid, fd, buf, size, offset,
                                       ctypes.byref(n)), "pread")
        return buf.raw[:n.value]

    def seek(self, pid, fd, offset, whence=0):
        pos = ctypes.c_uint64()
        _check(lib.mk_client_vfs_seek(self._c(), pid, fd, offset, whence, ctypes.byref(pos)),
               "seek")
        return pos.value

    def unlink(self, path):
        _check(lib.mk_client_vfs_unlink(self._c(), path.encode()), "unlink")

    def mkdir(self, path):
        _check(lib.mk_client_vfs_mkdir(self._c(), path.encode()), "mkdir")

    def stat(self, path):
        """Return ``(type, bytes)`` of a path (type 1 file, 2 directory)."""
        st = mk_stat_t()
        st.size = ctypes.sizeof(st)
        _check(lib.mk_client_vfs_stat(self._c(), path.encode(), ctypes.byref(st)), "stat")
        return st.type, st.bytes
