"""Kernel: processes (proc.h)."""

import unittest

import _support
from _support import KernelTest
import mk


class TestKernelProc(KernelTest):
    def test_create_exists_destroy(self):
        self.assertEqual(self.k.proc_create(7), 7)
        self.assertTrue(self.k.proc_exists(7))
        self.assertEqual(self.k.proc_state(7), "ready")
        self.k.proc_destroy(7)
        self.assertFalse(self.k.proc_exists(7))
        self.assertMkError(mk.MK_ENOENT, self.k.proc_state, 7)

    def test_assigned_pid_is_lowest_free(self):
        self.k.proc_create(1)
        self.k.proc_create(3)
        self.assertEqual(self.k.proc_create(), 2)
        self.assertEqual(self.k.proc_create(0), 4)

    def test_list_and_count(self):
        for pid in (9, 2, 5):
            self.k.proc_create(pid)
        self.assertEqual(self.k.proc_list(), [2, 5, 9])
        self.assertEqual(self.k.proc_count(), 3)
        self.k.proc_destroy(5)
        self.assertEqual(self.k.proc_list(), [2, 9])
        self.assertEqual(self.k.proc_count(), 2)

    def test_list_many(self):
        for pid in range(1, 301):
            self.k.proc_create(pid)
        self.assertEqual(self.k.proc_list(), list(range(1, 301)))

    def test_errors(self):
        self.k.proc_create(1)
        self.assertMkError(mk.MK_EEXIST, self.k.proc_create, 1)
        self.assertMkError(mk.MK_EINVAL, self.k.proc_create, mk.MK_PID_MAX + 1)
        self.assertMkError(mk.MK_EINVAL, self.k.proc_create, -1)
        self.assertMkError(mk.MK_EINVAL, self.k.proc_create, 2 ** 32 + 1)
        self.assertMkError(mk.MK_EPERM, self.k.proc_destroy, 0)
        self.assertMkError(mk.MK_ENOENT, self.k.proc_destroy, 2)
        self.assertFalse(self.k.proc_exists(0))
        self.assertFalse(self.k.proc_exists(mk.MK_PID_MAX + 1))
        with self.assertRaises(TypeError):
            self.k.proc_create("1")
        # Nothing was lost.
        self.assertEqual(self.k.proc_list(), [1])


if __name__ == "__main__":
    _support.main()
