"""Microkernel: send_message / receive_message and named message queues."""

import threading
import unittest

import _support
import mk
from mk import Microkernel


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return (self.x, self.y) == (other.x, other.y)


class TestCompatMessages(unittest.TestCase):
    def setUp(self):
        self.m = Microkernel()
        self.m.add_process(2)

    def tearDown(self):
        self.m.close()

    def test_readme_message(self):
        self.assertIs(self.m.send_message(2, "Hello from process 1"), True)
        self.assertEqual(self.m.receive_message(2), "Hello from process 1")
        self.assertIsNone(self.m.receive_message(2))

    def test_types_and_order_are_kept(self):
        msgs = ["text", b"raw\x00bytes", "", b"", 42, 3.5, None,
                {"k": [1, 2]}, ("t", 1), bytearray(b"ba"), Point(1, 2),
                "ünïcødé \U0001F600"]
        for msg in msgs:
            self.assertIs(self.m.send_message(2, msg), True, msg)
        got = [self.m.receive_message(2) for _ in msgs]
        self.assertEqual(got, msgs)
        for sent, back in zip(msgs, got):
            self.assertIs(type(back), type(sent))
        self.assertIsNone(self.m.receive_message(2))

    def test_unknown_pid(self):
        self.assertIs(self.m.send_message(3, "x"), False)
        self.assertIs(self.m.send_message(0, "x"), False)
        self.assertIsNone(self.m.receive_message(3))
        self.assertIsNone(self.m.receive_message(0))

    def test_unpicklable_and_too_big(self):
        self.assertIs(self.m.send_message(2, threading.Lock()), False)
        self.assertIs(self.m.send_message(2, b"x" * (1 << 20)), False)
        self.assertIsNone(self.m.receive_message(2))

    def test_c_messages_come_out_as_bytes(self):
        self.m.kernel.mbox_send(2, b"from C", tag=12345)
        self.assertEqual(self.m.receive_message(2), b"from C")

    def test_many_messages(self):
        # The original's lists were unbounded: more than the C default 64.
        for i in range(500):
            self.assertTrue(self.m.send_message(2, i))
        self.assertEqual([self.m.receive_message(2) for _ in range(500)],
                         list(range(500)))


class TestCompatQueues(unittest.TestCase):
    def setUp(self):
        self.m = Microkernel()

    def tearDown(self):
        self.m.close()

    def test_queue_round_trip(self):
        self.assertIs(self.m.create_message_queue("queue1"), True)
        self.assertIs(self.m.send_message_queue("queue1",
                                                "Hello from process 1"), True)
        self.assertIs(self.m.send_message_queue("queue1", b"two"), True)
        self.assertIs(self.m.send_message_queue("queue1", [3]), True)
        self.assertEqual(self.m.receive_message_queue("queue1"),
                         "Hello from process 1")
        self.assertEqual(self.m.receive_message_queue("queue1"), b"two")
        self.assertEqual(self.m.receive_message_queue("queue1"), [3])
        self.assertIsNone(self.m.receive_message_queue("queue1"))

    def test_unknown_queue(self):
        self.assertIs(self.m.send_message_queue("nope", "x"), False)
        self.assertIsNone(self.m.receive_message_queue("nope"))

    def test_create_existing_keeps_messages(self):
        self.m.create_message_queue("q")
        self.m.send_message_queue("q", "first")
        self.assertIs(self.m.create_message_queue("q"), True)
        self.assertEqual(self.m.receive_message_queue("q"), "first")

    def test_bad_names(self):
        self.assertIs(self.m.create_message_queue(""), False)
        self.assertIs(self.m.create_message_queue("q" * 60), False)
        self.assertIs(self.m.create_message_queue(None), False)
        self.assertIs(self.m.create_message_queue("q" * 59), True)

    def test_work_queue_shared_by_threads(self):
        self.m.create_message_queue("work")
        for i in range(200):
            self.m.send_message_queue("work", i)
        got, lock = [], threading.Lock()

        def worker():
            while True:
                msg = self.m.receive_message_queue("work")
                if msg is None:
                    return
                with lock:
                    got.append(msg)
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(sorted(got), list(range(200)))   # each exactly once


if __name__ == "__main__":
    _support.main()
