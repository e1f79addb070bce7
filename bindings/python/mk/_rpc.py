"""Kernel methods of synchronous RPC between processes (rpc.h).

A client's :meth:`RpcMixin.rpc_call` blocks (a body is suspended) until
the server answers; the server takes calls in arrival order with
:meth:`RpcMixin.rpc_receive` and answers each with
:meth:`RpcMixin.rpc_reply`, which goes to exactly that caller. Requests
and replies are bytes (str is encoded as UTF-8). ``pid`` arguments left at
0 mean the calling body (or the kernel, from host code).
"""

import ctypes

from . import _conv as cv
from .errors import MkError, MK_EMSGSIZE

MK_RPC_MSG_MAX = 1 << 20
MK_FOREVER = 2 ** 64 - 1
REPLY_CAP_DEFAULT = 65536


def _bytes(data, what):
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError("%s must be bytes or str, not %s"
                    % (what, type(data).__name__))


class RpcMixin:
    def rpc_call(self, server, data=b"", client=0, timeout=MK_FOREVER,
                 cap=REPLY_CAP_DEFAULT):
        """Call ``server`` with ``data`` and return its reply (bytes),
        waiting up to ``timeout`` ticks (0 is refused: a call always
        waits). ``cap`` bounds the reply. MkError: MK_ENOENT (no server),
        MK_ETIMEDOUT (withdrawn), MK_EDESTROYED (server gone),
        MK_EMSGSIZE (request > MK_RPC_MSG_MAX), MK_EINVAL."""
        req = _bytes(data, "data")
        cap = min(cv.u64(cap, "cap"), MK_RPC_MSG_MAX)
        reply = ctypes.create_string_buffer(max(cap, 1))
        n = ctypes.c_size_t()
        self._call("mk_rpc_call", cv.u32(client, "client"),
                   cv.u32(server, "server"), req, len(req), reply, cap,
                   ctypes.byref(n), cv.u64(timeout, "timeout"))
        return reply.raw[:n.value]

    def rpc_receive(self, server=0, timeout=MK_FOREVER,
                    cap=REPLY_CAP_DEFAULT):
        """Take the oldest call for ``server``: (call_id, client pid,
        request bytes). A request longer than ``cap`` is taken with a
        buffer of MK_RPC_MSG_MAX. MkError: MK_EAGAIN (timeout 0),
        MK_ETIMEDOUT, MK_ENOENT, MK_EDESTROYED."""
        server = cv.u32(server, "server")
        timeout = cv.u64(timeout, "timeout")
        cap = min(cv.u64(cap, "cap"), MK_RPC_MSG_MAX)
        while True:
            buf = ctypes.create_string_buffer(max(cap, 1))
            cid, client, n = ctypes.c_uint64(), ctypes.c_uint32(), \
                ctypes.c_size_t()
            rc = self._rc("mk_rpc_receive", server, ctypes.byref(cid),
                          ctypes.byref(client), buf, cap, ctypes.byref(n),
                          timeout)
            if rc == MK_EMSGSIZE and cap < MK_RPC_MSG_MAX:
                cap = MK_RPC_MSG_MAX
                continue
            if rc < 0:
                raise MkError(rc, "mk_rpc_receive")
            return cid.value, client.value, buf.raw[:n.value]

    def rpc_reply(self, call_id, data=b"", server=0):
        """Answer call ``call_id`` with ``data``; never blocks. MkError:
        MK_ENOENT (no such open call), MK_EPERM (another server's),
        MK_EMSGSIZE (longer than the caller's buffer; the call stays
        open)."""
        rep = _bytes(data, "data")
        self._call("mk_rpc_reply", cv.u32(server, "server"),
                   cv.u64(call_id, "call_id"), rep, len(rep))

    def rpc_pending(self, server=0):
        """(calls queued, calls received and not yet answered) of
        ``server``."""
        q, o = ctypes.c_uint32(), ctypes.c_uint32()
        self._call("mk_rpc_pending", cv.u32(server, "server"),
                   ctypes.byref(q), ctypes.byref(o))
        return q.value, o.value

    def rpc_serve(self, handler, calls=None, server=0, timeout=MK_FOREVER):
        """Serve calls with ``handler(request, client) -> reply`` until
        ``calls`` calls were answered (None: until an error, e.g. the
        timeout, raises). Returns the number answered."""
        done = 0
        while calls is None or done < calls:
            cid, client, req = self.rpc_receive(server, timeout)
            self.rpc_reply(cid, handler(req, client), server)
            done += 1
        return done
