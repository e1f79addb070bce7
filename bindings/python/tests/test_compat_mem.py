"""Microkernel: allocate_memory / free_memory / check_memory_violation."""

import unittest

import _support
import mk
from mk import Microkernel


class TestCompatMem(unittest.TestCase):
    def setUp(self):
        self.m = Microkernel()
        self.m.add_process(1)
        self.m.add_process(2)

    def tearDown(self):
        self.m.close()

    def test_allocate_returns_the_original_dict(self):
        b = self.m.allocate_memory(1024, 1)
        self.assertIsInstance(b, dict)
        self.assertEqual(b["size"], 1024)
        self.assertIs(b["allocated"], True)
        self.assertEqual(b["process_id"], 1)
        self.assertIsInstance(b["id"], int)
        self.assertIn("address", b)
        self.assertEqual(self.m.kernel.mem_usage(1), (1024, 0))
        b2 = self.m.allocate_memory(10, 1)
        self.assertNotEqual(b["id"], b2["id"])

    def test_free_rules(self):
        b = self.m.allocate_memory(64, 1)
        self.assertIs(self.m.free_memory(b["id"], 2), False)   # not owner
        self.assertEqual(self.m.kernel.mem_usage(1)[0], 64)    # still there
        self.assertIs(self.m.free_memory(b["id"], 1), True)
        self.assertIs(self.m.free_memory(b["id"], 1), False)   # gone
        self.assertIs(self.m.free_memory(1, 1), False)         # never issued
        self.assertIs(self.m.free_memory(b["id"], 99), False)

    def test_refused_allocations_are_none(self):
        self.assertIsNone(self.m.allocate_memory(0, 1))
        self.assertIsNone(self.m.allocate_memory(1 << 40, 1))
        self.assertIsNone(self.m.allocate_memory(16, 99))      # no process
        self.assertIsNone(self.m.allocate_memory(-5, 1))
        self.assertIsNone(self.m.allocate_memory("16", 1))

    def test_limit_and_violation_check(self):
        self.assertIs(self.m.check_memory_violation(10 ** 6, 1), True)
        self.assertIs(self.m.set_memory_limit(1, 100), True)
        self.assertIs(self.m.check_memory_violation(100, 1), True)
        self.assertIs(self.m.check_memory_violation(101, 1), False)
        self.assertIsNotNone(self.m.allocate_memory(60, 1))
        self.assertIs(self.m.check_memory_violation(40, 1), True)
        self.assertIs(self.m.check_memory_violation(41, 1), False)
        self.assertIsNone(self.m.allocate_memory(41, 1))       # refused
        self.assertIs(self.m.check_memory_violation(1, 99), False)
        self.assertIs(self.m.check_memory_violation(-1, 1), False)

    def test_default_quota_from_config(self):
        with Microkernel(default_quota=100) as m:
            m.add_process(1)
            self.assertIs(m.check_memory_violation(101, 1), False)
            self.assertIsNone(m.allocate_memory(1024, 1))


if __name__ == "__main__":
    _support.main()
