"""Microkernel: add_process / check_process / stop_process."""

import unittest

import _support
import mk
from mk import Microkernel


class TestCompatProc(unittest.TestCase):
    def setUp(self):
        self.m = Microkernel()

    def tearDown(self):
        self.m.close()

    def test_add_check_stop(self):
        self.assertIs(self.m.add_process(1), True)
        self.assertIs(self.m.check_process(1), True)
        self.assertIs(self.m.check_process(2), False)
        self.assertIs(self.m.stop_process(1), True)
        self.assertIs(self.m.check_process(1), False)
        self.assertIs(self.m.stop_process(1), False)

    def test_add_existing_is_true_and_keeps_the_process(self):
        self.assertIs(self.m.add_process(3), True)
        self.assertTrue(self.m.send_message(3, "kept"))
        self.assertIs(self.m.add_process(3), True)
        self.assertEqual(self.m.receive_message(3), "kept")
        self.assertEqual(self.m.kernel.proc_list(), [3])

    def test_invalid_pids(self):
        for bad in (0, -1, mk.MK_PID_MAX + 1, 2 ** 40, "1", 1.5, None,
                    True):
            self.assertIs(self.m.add_process(bad), False, bad)
            self.assertIs(self.m.check_process(bad), False, bad)
            self.assertIs(self.m.stop_process(bad), False, bad)
        self.assertEqual(self.m.kernel.proc_list(), [])

    def test_stop_releases_memory_and_mailbox(self):
        self.m.add_process(4)
        blk = self.m.allocate_memory(100, 4)
        self.m.send_message(4, "bye")
        self.assertTrue(self.m.stop_process(4))
        self.assertFalse(self.m.free_memory(blk["id"], 4))
        self.assertIsNone(self.m.receive_message(4))
        self.assertEqual(self.m.kernel.mem_usage(0), (0, 0))


if __name__ == "__main__":
    _support.main()
