"""Kernel methods of the ipc module (ipc.h): mailboxes and named queues.

Messages are bytes with an integer tag. A receive returns ``(tag, data)``.
``timeout`` is in ticks: MK_NO_WAIT (0, the default) tries once and raises
WouldBlock (MK_EAGAIN) when empty or full, MK_FOREVER waits without limit.
"""

import ctypes

from . import _conv as cv
from ._structs import mk_queue_attr_t, new
from .errors import MkError, MK_EAGAIN, MK_EMSGSIZE

MK_MSG_MAX_DEFAULT = 65536
MK_MSG_MAX_LIMIT = 16 << 20
MK_MBOX_CAPACITY_DEFAULT = 64
MK_QUEUE_CAPACITY_MAX = 65536
MK_QUEUE_WORK = 0
MK_QUEUE_PUBSUB = 1
_MODES = {"work": MK_QUEUE_WORK, "pubsub": MK_QUEUE_PUBSUB}


def _receive(kernel, peek, recv, timeout, fname):
    """Shared receive loop: size the buffer from a peek when a message is
    there, else from the largest default; if a longer message slipped in
    (MK_EMSGSIZE, the message stays queued) peek again and retry."""
    timeout = cv.u64(timeout, "timeout")
    while True:
        tag, length = ctypes.c_uint32(), ctypes.c_size_t()
        rc = peek(ctypes.byref(tag), ctypes.byref(length))
        if rc == 0:
            cap = length.value
        elif rc == MK_EAGAIN and timeout != 0:
            cap = MK_MSG_MAX_DEFAULT
        else:
            raise MkError(rc, fname)
        buf = ctypes.create_string_buffer(max(cap, 1))
        rc = recv(ctypes.byref(tag), buf, cap, ctypes.byref(length), timeout)
        if rc == MK_EMSGSIZE:
            continue
        if rc < 0:
            raise MkError(rc, fname)
        return tag.value, buf.raw[:length.value]


class Mailbox:
    """The mailbox of process ``pid`` (every process has exactly one)."""

    def __init__(self, kernel, pid):
        self.kernel, self.pid = kernel, pid

    def send(self, data, tag=0, timeout=0):
        self.kernel.mbox_send(self.pid, data, tag, timeout)

    def recv(self, timeout=0):
        return self.kernel.mbox_recv(self.pid, timeout)

    def peek(self):
        return self.kernel.mbox_peek(self.pid)

    def __len__(self):
        return self.kernel.mbox_count(self.pid)

    def set_capacity(self, n):
        self.kernel.mbox_set_capacity(self.pid, n)


class Queue:
    """A named queue: ``.name``, ``.handle``, ``.mode``.

    As a context manager it deletes the queue on exit when this object
    created it (:meth:`IpcMixin.queue_create`); an opened one is left alone.
    """

    def __init__(self, kernel, handle, name, owned):
        self.kernel, self.handle, self.name = kernel, handle, name
        self._owned = owned

    def __repr__(self):
        return "<mk.Queue %r handle=%#x>" % (self.name, self.handle)

    def __int__(self):
        return self.handle

    def send(self, data, tag=0, timeout=0):
        """Queue ``data`` (bytes) with ``tag``. WouldBlock when full."""
        self.kernel.queue_send(self, data, tag, timeout)

    def recv(self, pid=0, timeout=0):
        """(tag, data) of the oldest message for ``pid``."""
        return self.kernel.queue_recv(self, pid, timeout)

    def peek(self, pid=0):
        """(tag, length) of the next message for ``pid``, left queued."""
        return self.kernel.queue_peek(self, pid)

    def count(self, pid=0):
        return self.kernel.queue_count(self, pid)

    def subscribe(self, pid=0):
        self.kernel.queue_subscribe(self, pid)

    def unsubscribe(self, pid=0):
        self.kernel.queue_unsubscribe(self, pid)

    def delete(self):
        self.kernel.queue_delete(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._owned:
            try:
                self.delete()
            except MkError:
                if exc[0] is None:
                    raise
        return False


class IpcMixin:
    # -- mailboxes --------------------------------------------------------
    def mailbox(self, pid):
        """A :class:`Mailbox` view of process ``pid``'s mailbox."""
        return Mailbox(self, cv.u32(pid, "pid"))

    def mbox_send(self, to, data, tag=0, timeout=0):
        """Send ``data`` to process ``to``. NotFound for an unknown pid."""
        b = cv.data(data)
        self._call("mk_mbox_send", cv.u32(to, "pid"), cv.u32(tag, "tag"),
                   b, len(b), cv.u64(timeout, "timeout"))

    def mbox_recv(self, pid, timeout=0):
        """(tag, data) of the oldest message of ``pid``'s mailbox."""
        p = cv.u32(pid, "pid")
        lib = self._clib
        return _receive(
            self,
            lambda t, n: lib.mk_mbox_peek(self._k, p, t, n),
            lambda t, b, c, n, to: lib.mk_mbox_recv(self._k, p, t, b, c, n,
                                                    to),
            timeout, "mk_mbox_recv")

    def mbox_peek(self, pid):
        """(tag, length) of the oldest message, left in the mailbox."""
        tag, n = ctypes.c_uint32(), ctypes.c_size_t()
        self._call("mk_mbox_peek", cv.u32(pid, "pid"), ctypes.byref(tag),
                   ctypes.byref(n))
        return tag.value, n.value

    def mbox_count(self, pid):
        n = ctypes.c_uint32()
        self._call("mk_mbox_count", cv.u32(pid, "pid"), ctypes.byref(n))
        return n.value

    def mbox_set_capacity(self, pid, max_messages):
        self._call("mk_mbox_set_capacity", cv.u32(pid, "pid"),
                   cv.u32(max_messages, "max_messages"))

    # -- named queues -----------------------------------------------------
    def _q(self, q):
        if isinstance(q, Queue):
            return q.handle
        if isinstance(q, (str, bytes)):
            return self.queue_open(q).handle
        return cv.handle(q, "queue")

    def queue_create(self, name, mode="work", capacity=0, msg_max=0):
        """Create a queue; ``mode`` is "work" or "pubsub" (or the int).
        AlreadyExists (MK_EEXIST) when the name is taken."""
        a = new(mk_queue_attr_t)
        self._clib.mk_queue_attr_init(ctypes.byref(a))
        a.mode = cv.u32(_MODES.get(mode, mode), "mode")
        a.capacity = cv.u32(capacity, "capacity")
        a.msg_max = cv.u32(msg_max, "msg_max")
        n = cv.name(name, "queue name")
        out = ctypes.c_uint64()
        self._call("mk_queue_create", n, ctypes.byref(a), ctypes.byref(out))
        return Queue(self, out.value, n.decode("utf-8", "replace"), True)

    def queue_open(self, name):
        """The existing queue ``name``; NotFound when there is none."""
        n = cv.name(name, "queue name")
        out = ctypes.c_uint64()
        self._call("mk_queue_open", n, ctypes.byref(out))
        return Queue(self, out.value, n.decode("utf-8", "replace"), False)

    def queue_delete(self, q):
        self._call("mk_queue_delete", self._q(q))

    def queue_send(self, q, data, tag=0, timeout=0):
        b = cv.data(data)
        self._call("mk_queue_send", self._q(q), cv.u32(tag, "tag"), b,
                   len(b), cv.u64(timeout, "timeout"))

    def queue_recv(self, q, pid=0, timeout=0):
        h, p, lib = self._q(q), cv.u32(pid, "pid"), self._clib
        return _receive(
            self,
            lambda t, n: lib.mk_queue_peek(self._k, h, p, t, n),
            lambda t, b, c, n, to: lib.mk_queue_recv(self._k, h, p, t, b, c,
                                                     n, to),
            timeout, "mk_queue_recv")

    def queue_peek(self, q, pid=0):
        tag, n = ctypes.c_uint32(), ctypes.c_size_t()
        self._call("mk_queue_peek", self._q(q), cv.u32(pid, "pid"),
                   ctypes.byref(tag), ctypes.byref(n))
        return tag.value, n.value

    def queue_subscribe(self, q, pid=0):
        self._call("mk_queue_subscribe", self._q(q), cv.u32(pid, "pid"))

    def queue_unsubscribe(self, q, pid=0):
        self._call("mk_queue_unsubscribe", self._q(q), cv.u32(pid, "pid"))

    def queue_count(self, q, pid=0):
        n = ctypes.c_uint32()
        self._call("mk_queue_count", self._q(q), cv.u32(pid, "pid"),
                   ctypes.byref(n))
        return n.value
