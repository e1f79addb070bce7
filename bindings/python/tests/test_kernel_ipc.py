"""Kernel: mailboxes and named queues (ipc.h)."""

import threading
import unittest

import _support
from _support import KernelTest
import mk


class TestMailbox(KernelTest):
    def setUp(self):
        super().setUp()
        self.k.proc_create(1)

    def test_fifo_with_tags(self):
        for i in range(5):
            self.k.mbox_send(1, b"m%d" % i, tag=i)
        self.assertEqual(self.k.mbox_count(1), 5)
        self.assertEqual(self.k.mbox_peek(1), (0, 2))
        got = [self.k.mbox_recv(1) for _ in range(5)]
        self.assertEqual(got, [(i, b"m%d" % i) for i in range(5)])
        self.assertMkError(mk.MK_EAGAIN, self.k.mbox_recv, 1)

    def test_empty_and_large_messages(self):
        box = self.k.mailbox(1)
        box.send(b"")
        box.send(b"z" * mk.MK_MSG_MAX_DEFAULT)
        self.assertEqual(box.recv(), (0, b""))
        self.assertEqual(box.recv(), (0, b"z" * mk.MK_MSG_MAX_DEFAULT))
        self.assertMkError(mk.MK_EMSGSIZE, box.send,
                           b"z" * (mk.MK_MSG_MAX_DEFAULT + 1))
        self.assertEqual(len(box), 0)

    def test_capacity_back_pressure(self):
        self.k.mbox_set_capacity(1, 2)
        self.k.mbox_send(1, b"a")
        self.k.mbox_send(1, b"b")
        self.assertMkError(mk.MK_EAGAIN, self.k.mbox_send, 1, b"c")
        self.assertMkError(mk.MK_EBUSY, self.k.mbox_set_capacity, 1, 1)
        self.assertMkError(mk.MK_ERANGE, self.k.mbox_set_capacity, 1, 0)
        self.assertEqual([self.k.mbox_recv(1)[1] for _ in range(2)],
                         [b"a", b"b"])

    def test_blocking_receive_from_another_thread(self):
        def later():
            self.k.mbox_send(1, b"late", tag=7)
        t = threading.Timer(0.05, later)
        t.start()
        self.assertEqual(self.k.mbox_recv(1, timeout=mk.MK_FOREVER),
                         (7, b"late"))
        t.join()

    def test_timeout(self):
        self.assertMkError(mk.MK_ETIMEDOUT, self.k.mbox_recv, 1, 5)

    def test_errors(self):
        self.assertMkError(mk.MK_ENOENT, self.k.mbox_send, 2, b"x")
        self.assertMkError(mk.MK_ENOENT, self.k.mbox_send, 0, b"x")
        self.assertMkError(mk.MK_ENOENT, self.k.mbox_recv, 2)
        self.assertMkError(mk.MK_ENOENT, self.k.mbox_count, 0)
        with self.assertRaises(TypeError):
            self.k.mbox_send(1, "text is not bytes")
        self.k.proc_destroy(1)
        self.assertMkError(mk.MK_ENOENT, self.k.mbox_count, 1)


class TestQueues(KernelTest):
    def test_work_queue(self):
        with self.k.queue_create("jobs") as q:
            q.send(b"1", tag=1)
            q.send(b"2", tag=2)
            self.assertEqual(q.count(), 2)
            self.assertEqual(q.peek(), (1, 1))
            self.assertEqual(self.k.queue_open("jobs").handle, q.handle)
            self.assertEqual(q.recv(), (1, b"1"))
            self.assertEqual(self.k.queue_recv("jobs"), (2, b"2"))
            self.assertMkError(mk.MK_EAGAIN, q.recv)
            self.assertMkError(mk.MK_ENOTSUP, q.subscribe)
        # Deleted on leaving the with block.
        self.assertMkError(mk.MK_ENOENT, self.k.queue_open, "jobs")
        self.assertMkError(mk.MK_EBADH, q.send, b"x")

    def test_pubsub_fan_out(self):
        self.k.proc_create(1)
        self.k.proc_create(2)
        q = self.k.queue_create("news", mode="pubsub")
        q.send(b"before")  # no subscriber: reaches no one
        q.subscribe(1)
        q.subscribe(2)
        q.send(b"a")
        q.send(b"b")
        self.assertEqual([q.recv(1)[1] for _ in range(2)], [b"a", b"b"])
        self.assertEqual(q.count(2), 2)
        self.assertEqual(q.recv(2), (0, b"a"))
        self.assertMkError(mk.MK_EPERM, q.recv, 0)
        self.assertMkError(mk.MK_EEXIST, q.subscribe, 1)
        q.unsubscribe(2)
        self.assertMkError(mk.MK_ENOENT, q.unsubscribe, 2)

    def test_queue_limits(self):
        q = self.k.queue_create("small", capacity=1, msg_max=4)
        self.assertMkError(mk.MK_EMSGSIZE, q.send, b"12345")
        q.send(b"1234")
        self.assertMkError(mk.MK_EAGAIN, q.send, b"x")
        self.assertEqual(q.recv(), (0, b"1234"))

    def test_big_message_in_big_queue(self):
        q = self.k.queue_create("big", msg_max=1 << 20)
        q.send(b"y" * (1 << 20))
        self.assertEqual(q.recv(timeout=10), (0, b"y" * (1 << 20)))

    def test_errors(self):
        self.k.queue_create("q")
        self.assertMkError(mk.MK_EEXIST, self.k.queue_create, "q")
        self.assertMkError(mk.MK_ENAMETOOLONG, self.k.queue_create, "n" * 60)
        self.k.queue_create("n" * 59).delete()
        self.assertMkError(mk.MK_EINVAL, self.k.queue_create, "")
        self.assertMkError(mk.MK_EINVAL, self.k.queue_create, "a\0b")
        self.assertMkError(mk.MK_EINVAL, self.k.queue_create, "m", mode=7)
        self.assertMkError(mk.MK_ERANGE, self.k.queue_create, "c",
                           capacity=mk.MK_QUEUE_CAPACITY_MAX + 1)
        self.assertMkError(mk.MK_ENOENT, self.k.queue_open, "nope")
        self.assertMkError(mk.MK_EBADH, self.k.queue_send, 12345, b"x")
        self.assertMkError(mk.MK_ENOENT, self.k.queue_recv, "q", 77)


if __name__ == "__main__":
    _support.main()
