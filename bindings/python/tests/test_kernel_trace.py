"""Kernel: the event trace (ring, marks, drops, names, errors)."""

import unittest

import _support
from _support import KernelTest
import mk
from mk._trace import event_name


class TestKernelTrace(KernelTest):
    def test_off_records_nothing(self):
        self.k.trace_mark(1, 2, 3)
        self.assertEqual(self.k.trace_read(), [])

    def test_marks_in_order_with_ticks(self):
        self.k.trace_enable(16)
        self.k.advance(3)
        for i in range(5):
            self.k.trace_mark(9, i, 100 + i)
        evs = self.k.trace_read()
        self.assertEqual([e["a"] for e in evs], [0, 1, 2, 3, 4])
        self.assertEqual([e["b"] for e in evs], [100, 101, 102, 103, 104])
        self.assertEqual({e["name"] for e in evs}, {"user"})
        self.assertEqual({e["pid"] for e in evs}, {9})
        self.assertEqual({e["tick"] for e in evs}, {3})
        seqs = [e["seq"] for e in evs]
        self.assertEqual(seqs, sorted(seqs))
        self.assertEqual(self.k.trace_read(), [])

    def test_ring_drops_oldest(self):
        self.k.trace_enable(2)
        for i in range(5):
            self.k.trace_mark(0, i)
        self.assertEqual(self.k.trace_dropped(), 3)
        self.assertEqual([e["a"] for e in self.k.trace_read(1)], [3])
        self.assertEqual([e["a"] for e in self.k.trace_read()], [4])

    def test_names_and_errors(self):
        self.assertEqual(event_name(3), "switch")
        self.assertEqual(event_name(0), "unknown")
        self.assertMkError(mk.MK_EINVAL, self.k.trace_enable, (1 << 24) + 1)
        self.assertMkError(mk.MK_EINVAL, self.k.trace_mark, -1)
        self.k.close()
        self.assertMkError(mk.MK_EBADH, self.k.trace_enable, 4)


if __name__ == "__main__":
    _support.main()
