"""Kernel: interrupt lines with Python handlers, the terminal (keyboard
input, blocked readers) and exceptions with Python handlers."""

import _support
from _support import KernelTest
import mk
from mk._irq import (MK_IRQ_SOFT_FIRST, MK_IRQ_TERMINAL, MK_IRQ_LINES,
                     MK_TERM_BUF_SIZE, MK_EXC_DIVZERO, MK_EXC_USER)
from mk._sched import BodyError

EV_IRQ = 8


class TestIrq(KernelTest):
    def test_python_handler_from_host(self):
        calls = []
        line = MK_IRQ_SOFT_FIRST
        self.k.irq_attach(line, calls.append)
        self.k.irq_raise(line)
        self.k.irq_raise(line)
        self.assertEqual(calls, [line, line])
        self.assertEqual(self.k.irq_count(line), 2)
        self.k.irq_detach(line, calls.append)
        self.k.irq_raise(line)
        self.assertEqual(len(calls), 2)
        self.assertEqual(self.k.irq_count(line), 3)

    def test_mask_keeps_it_pending(self):
        calls = []
        self.k.irq_attach(5, calls.append)
        self.k.irq_mask(5)
        self.k.irq_raise(5)
        self.k.irq_raise(5)  # one pending bit, not a counter
        pending, masked = self.k.irq_pending()
        self.assertEqual((pending >> 5) & 1, 1)
        self.assertEqual((masked >> 5) & 1, 1)
        self.assertEqual(calls, [])
        self.k.irq_unmask(5)
        self.assertEqual(calls, [5])
        self.assertEqual(self.k.irq_pending(), (0, 0))

    def test_priority_order_and_nesting(self):
        order = []

        def low(line):
            order.append(("low", line))
            self.k.irq_raise(3)  # more urgent: nests at once
            order.append(("low-end", line))

        self.k.irq_set_priority(2, 2)
        self.k.irq_set_priority(3, 9)
        self.assertEqual(self.k.irq_priority(3), 9)
        self.k.irq_attach(2, low)
        self.k.irq_attach(3, lambda line: order.append(("high", line)))
        self.k.irq_raise(2)
        self.assertEqual(order, [("low", 2), ("high", 3), ("low-end", 2)])

    def test_raise_from_a_body_is_traced(self):
        calls = []
        self.k.trace_enable()
        self.k.irq_attach(7, lambda line: calls.append(self.k.getpid()))

        def body():
            self.k.compute(2)
            self.k.irq_raise(7)

        pid = self.k.spawn(body)
        self.k.run()
        self.assertEqual(calls, [pid])
        irqs = [e for e in self.k.trace_read() if e["type"] == EV_IRQ]
        self.assertEqual([(e["a"], e["b"]) for e in irqs], [(7, 1)])

    def test_handler_exception_is_reported(self):
        def bad(line):
            raise RuntimeError("handler failed")

        self.k.irq_attach(4, bad)
        with self.assertRaises(BodyError) as cm:
            self.k.irq_raise(4)
        self.assertIsInstance(cm.exception.error, RuntimeError)
        self.assertEqual(self.k.irq_count(4), 1)

    def test_bad_input(self):
        k = self.k
        self.assertMkError(mk.MK_ERANGE, k.irq_raise, MK_IRQ_LINES)
        self.assertMkError(mk.MK_ERANGE, k.irq_attach, MK_IRQ_LINES, print)
        self.assertMkError(mk.MK_ENOENT, k.irq_detach, 3, print)
        self.assertMkError(mk.MK_ERANGE, k.irq_set_priority, 3, 0)
        self.assertMkError(mk.MK_ERANGE, k.irq_set_priority, 3, 16)
        self.assertMkError(mk.MK_ERANGE, k.irq_mask, 99)
        self.assertMkError(mk.MK_EINVAL, k.irq_raise, -1)
        self.assertRaises(TypeError, k.irq_attach, 3, 42)
        k.irq_attach(3, print)
        self.assertMkError(mk.MK_EEXIST, k.irq_attach, 3, print)
        k.close()
        self.assertMkError(mk.MK_EBADH, k.irq_raise, 3)
        self.assertMkError(mk.MK_EBADH, k.term_input, b"x")


class TestTerminal(KernelTest):
    def test_full_buffer_refuses(self):
        data = bytes(range(97, 123)) * 12  # 312 characters
        self.assertEqual(self.k.term_input(data), MK_TERM_BUF_SIZE)
        self.assertEqual(self.k.term_status(), (MK_TERM_BUF_SIZE,
                                                len(data) - MK_TERM_BUF_SIZE))
        got = b""
        while len(got) < MK_TERM_BUF_SIZE:
            got += self.k.term_read(cap=100, timeout=0)
        self.assertEqual(got, data[:MK_TERM_BUF_SIZE])
        self.assertMkError(mk.MK_EAGAIN, self.k.term_read, timeout=0)

    def test_blocked_readers_served_in_order(self):
        got = []

        def reader(name):
            got.append((name, self.k.term_read(cap=8)))

        def keyboard():
            for text in ("ab", "cd"):
                self.k.sleep(10)
                self.k.term_input(text)

        r1 = self.k.spawn(reader, "r1")
        r2 = self.k.spawn(reader, "r2")
        self.k.spawn(keyboard, priority=30)
        self.assertEqual(self.k.run(8), "ticks")
        self.assertEqual(self.k.proc_state(r1), "blocked")
        self.assertEqual(self.k.proc_state(r2), "blocked")
        self.assertEqual(self.k.run(), "done")
        self.assertEqual(got, [("r1", b"ab"), ("r2", b"cd")])

    def test_read_timeout_in_a_body(self):
        res = []

        def reader():
            try:
                self.k.term_read(timeout=5)
            except mk.MkError as e:
                res.append((e.code, self.k.clock()))

        self.k.spawn(reader)
        self.k.run()
        self.assertEqual(res[0][0], mk.MK_ETIMEDOUT)
        self.assertGreaterEqual(res[0][1], 5)

    def test_terminal_line_is_traced(self):
        self.k.trace_enable()
        self.k.term_input("x")
        lines = [e["a"] for e in self.k.trace_read() if e["type"] == EV_IRQ]
        self.assertIn(MK_IRQ_TERMINAL, lines)


class TestExceptions(KernelTest):
    def test_handler_keeps_the_process(self):
        seen = []

        def body():
            self.assertFalse(self.k.exc_raise(self.k.getpid(),
                                              MK_EXC_DIVZERO, 17))
            return 5

        pid = self.k.spawn(body)
        self.k.exc_set_handler(
            pid, lambda p, exc, detail: seen.append((p, exc, detail)) or True)
        self.k.run()
        self.assertEqual(seen, [(pid, MK_EXC_DIVZERO, 17)])
        self.assertEqual(self.k.wait(pid), 5)

    def test_default_kills(self):
        after = []

        def body():
            self.k.exc_raise(self.k.getpid(), MK_EXC_DIVZERO, 0)
            after.append("not reached")

        pid = self.k.spawn(body)
        self.k.run()
        self.assertEqual(after, [])
        self.assertEqual(self.k.wait(pid), -1)

    def test_host_raise_and_count(self):
        pid = self.k.proc_create()
        self.k.exc_set_handler(pid, lambda p, e, d: True)
        self.assertFalse(self.k.exc_raise(pid, MK_EXC_USER, 1))
        self.assertEqual(self.k.exc_count(pid), 1)
        self.k.exc_set_handler(pid, None)
        self.assertTrue(self.k.exc_raise(pid, MK_EXC_USER, 2))
        self.assertFalse(self.k.proc_exists(pid))

    def test_bad_input(self):
        self.assertMkError(mk.MK_ENOENT, self.k.exc_raise, 999, MK_EXC_USER)
        self.assertMkError(mk.MK_ENOENT, self.k.exc_set_handler, 0, None)
        pid = self.k.proc_create()
        self.assertMkError(mk.MK_ERANGE, self.k.exc_raise, pid, 0)
        self.assertMkError(mk.MK_ERANGE, self.k.exc_raise, pid, 64)
        self.assertRaises(TypeError, self.k.exc_set_handler, pid, 3)


if __name__ == "__main__":
    _support.main()
