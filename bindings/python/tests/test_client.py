"""mk.client: the Python face of the mkd client API, against a real mkd.

Starts mkd ($MKD, set by meson) on a temporary socket, always stops it, and
fails (does not skip) when mkd was not built.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from _support import MkTestCase

import mk
from mk import client as mc

MKD = os.environ.get("MKD", "")
D = {}


def setUpModule():
    if not MKD or not os.access(MKD, os.X_OK):
        raise RuntimeError("mkd was not built (MKD=%r)" % MKD)
    tmp = tempfile.mkdtemp(prefix="mk-py-client-")
    sock = os.path.join(tmp, "mkd.sock")
    proc = subprocess.Popen([MKD, "--foreground", "--log-level", "warn", "--socket", sock,
                             "--mipc-socket", os.path.join(tmp, "mipc.sock")])
    D.update(tmp=tmp, sock=sock, proc=proc)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            mc.Client(sock).close()
            return
        except mk.MkError:
            time.sleep(0.02)
    proc.kill()
    raise RuntimeError("mkd did not start")


def tearDownModule():
    p = D.get("proc")
    if p and p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if D.get("tmp"):
        shutil.rmtree(D["tmp"], ignore_errors=True)


class ClientTest(MkTestCase):
    def setUp(self):
        self.c = mc.Client(D["sock"])

    def tearDown(self):
        self.c.close()

    def test_connect(self):
        self.assertEqual(self.c.tick_hz, 1000)
        self.assertEqual(self.c.frame_max, 1 << 20)
        self.c.ping(b"abc")
        self.c.ping("text")
        self.assertMkError(mk.MK_ENOENT, mc.Client, "/nonexistent/x.sock")
        self.assertMkError(mk.MK_ENAMETOOLONG, mc.Client, "/" + "x" * 200)
        self.assertTrue(mc.default_path().endswith(".sock"))

    def test_mailbox(self):
        me = self.c.proc_create()
        self.assertTrue(self.c.proc_exists(me))
        with mc.Client(D["sock"]) as other:
            other.mbox_send(me, b"hi", tag=3)
            self.assertMkError(mk.MK_EPERM, other.mbox_recv, me)
        self.assertEqual(self.c.mbox_count(me), 1)
        self.assertEqual(self.c.mbox_recv(me), (3, b"hi"))
        self.assertMkError(mk.MK_EAGAIN, self.c.mbox_recv, me)
        self.assertMkError(mk.MK_ETIMEDOUT, self.c.mbox_recv, me, timeout=10)
        self.c.proc_destroy(me)
        self.assertFalse(self.c.proc_exists(me))

    def test_queue_and_pubsub(self):
        me = self.c.proc_create()
        q = self.c.queue_create("py-work", capacity=4, msg_max=32)
        self.assertEqual(self.c.queue_open("py-work"), q)
        self.c.queue_send(q, b"a", tag=1)
        self.c.queue_send(q, "b", tag=2)
        self.assertEqual(self.c.queue_count(q), 2)
        self.assertEqual(self.c.queue_recv(q, me), (1, b"a"))
        self.assertEqual(self.c.queue_recv(q, me), (2, b"b"))
        self.assertMkError(mk.MK_EMSGSIZE, self.c.queue_send, q, b"x" * 33)
        self.c.queue_delete(q)
        self.assertMkError(mk.MK_EBADH, self.c.queue_send, q, b"x")
        ps = self.c.queue_create("py-pub", mode=mc.QUEUE_PUBSUB, capacity=2, msg_max=8)
        self.c.queue_subscribe(ps, me)
        self.c.queue_send(ps, b"news")
        self.assertEqual(self.c.queue_recv(ps, me), (0, b"news"))
        self.c.queue_unsubscribe(ps, me)
        self.c.queue_delete(ps)

    def test_semaphore_across_processes(self):
        s = self.c.sem_create("py-sem", 0, 1)
        kid = os.fork()
        if kid == 0:
            code = 1
            try:
                with mc.Client(D["sock"]) as k:
                    k.sem_wait(k.sem_open("py-sem"))  # blocks until the post
                    code = 0
            finally:
                os._exit(code)
        self.c.ping()
        self.c.sem_post(s)
        _, st = os.waitpid(kid, 0)
        self.assertEqual(st, 0)
        self.assertEqual(self.c.sem_value(s), 0)
        self.assertMkError(mk.MK_ETIMEDOUT, self.c.sem_wait, s, 10)
        self.c.sem_delete(s)

    def test_files(self):
        me = self.c.proc_create()
        self.c.mkdir("/py")
        fd = self.c.open(me, "/py/f", 0x2 | 0x40)
        self.assertEqual(self.c.write(me, fd, b"hello"), 5)
        self.assertEqual(self.c.seek(me, fd, 0), 0)
        self.assertEqual(self.c.read(me, fd, 10), b"hello")
        self.c.pwrite(me, fd, b"J", 0)
        self.assertEqual(self.c.pread(me, fd, 5, 0), b"Jello")
        self.assertEqual(self.c.stat("/py/f"), (1, 5))
        self.c.close_fd(me, fd)
        self.c.unlink("/py/f")
        self.assertMkError(mk.MK_ENOENT, self.c.stat, "/py/f")

    def test_closed_connection(self):
        c = mc.Client(D["sock"])
        c.close()
        c.close()  # twice is fine
        self.assertRaises(mk.MkError, c.ping)


if __name__ == "__main__":
    unittest.main()
