"""Kernel: synchronous RPC between Python bodies and host code."""

import _support
from _support import KernelTest
import mk
from mk._rpc import MK_RPC_MSG_MAX

EV_RPC_CALL, EV_RPC_REPLY = 19, 20


class TestRpc(KernelTest):
    def test_call_blocks_until_reply(self):
        got = []
        self.k.trace_enable()

        def server():
            cid, client, req = self.k.rpc_receive()
            self.k.compute(5)  # the client waits meanwhile
            self.k.rpc_reply(cid, req.upper())
            got.append(("server saw", client))

        def client():
            t = self.k.clock()
            got.append(self.k.rpc_call(1, b"hello"))
            got.append(self.k.clock() - t >= 5)

        self.k.spawn(server, pid=1)
        self.k.spawn(client, pid=2)
        self.assertEqual(self.k.run(), "done")
        self.assertEqual(got, [("server saw", 2), b"HELLO", True])
        evs = [(e["type"], e["pid"], e["a"], e["b"])
               for e in self.k.trace_read()
               if e["type"] in (EV_RPC_CALL, EV_RPC_REPLY)]
        self.assertEqual(evs, [(EV_RPC_CALL, 2, 1, 5), (EV_RPC_REPLY, 1, 2, 5)])

    def test_replies_go_to_their_callers(self):
        replies = {}

        def server():
            calls = [self.k.rpc_receive() for _ in range(3)]
            for cid, client, req in reversed(calls):  # any order
                self.k.rpc_reply(cid, b"%d:%s" % (client, req))

        def client(word):
            replies[self.k.getpid()] = self.k.rpc_call(1, word)

        self.k.spawn(server, pid=1)
        for pid, word in ((2, b"a"), (3, b"b"), (4, b"c")):
            self.k.spawn(client, word, pid=pid)
        self.k.run()
        self.assertEqual(replies, {2: b"2:a", 3: b"3:b", 4: b"4:c"})

    def test_serve_loop_and_pending(self):
        out = []

        def server():
            self.k.rpc_serve(lambda req, client: req[::-1], calls=2)

        def client():
            out.append(self.k.rpc_call(1, "abc"))
            out.append(self.k.rpc_call(1, "xyz"))

        self.k.spawn(server, pid=1)
        self.k.spawn(client, pid=2)
        self.k.run()
        self.assertEqual(out, [b"cba", b"zyx"])
        self.k.proc_create(9)
        self.assertEqual(self.k.rpc_pending(9), (0, 0))

    def test_timeout_withdraws_the_call(self):
        res = []

        def server():
            self.k.sleep(10)
            res.append(self.k.rpc_pending())  # the call was taken back

        def client():
            try:
                self.k.rpc_call(1, b"?", timeout=3)
            except mk.MkError as e:
                res.append(e.code)

        self.k.spawn(server, pid=1)
        self.k.spawn(client, pid=2)
        self.k.run()
        self.assertEqual(res, [mk.MK_ETIMEDOUT, (0, 0)])

    def test_server_killed_fails_the_call(self):
        res = []

        def server():
            self.k.sleep(100)

        def client():
            try:
                self.k.rpc_call(1, b"x")
            except mk.MkError as e:
                res.append(e.code)

        def killer():
            self.k.sleep(5)
            self.k.kill(1)

        self.k.spawn(server, pid=1)
        self.k.spawn(client, pid=2)
        self.k.spawn(killer, pid=3)
        self.k.run()
        self.assertEqual(res, [mk.MK_EDESTROYED])

    def test_bad_input(self):
        k = self.k
        k.proc_create(1)
        self.assertMkError(mk.MK_ENOENT, k.rpc_call, 99, b"x", client=1)
        self.assertMkError(mk.MK_EINVAL, k.rpc_call, 1, b"x", client=1)
        self.assertMkError(mk.MK_EINVAL, k.rpc_call, 1, b"x", timeout=0)
        self.assertMkError(mk.MK_EMSGSIZE, k.rpc_call, 1,
                           b"x" * (MK_RPC_MSG_MAX + 1))
        self.assertMkError(mk.MK_EAGAIN, k.rpc_receive, 1, timeout=0)
        self.assertMkError(mk.MK_ENOENT, k.rpc_receive, 99, timeout=0)
        self.assertMkError(mk.MK_ENOENT, k.rpc_reply, 12345, b"", server=1)
        self.assertRaises(TypeError, k.rpc_call, 1, 42)
        k.close()
        self.assertMkError(mk.MK_EBADH, k.rpc_pending, 1)


if __name__ == "__main__":
    _support.main()
