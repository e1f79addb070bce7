"""Kernel: named semaphores (sync.h)."""

import threading
import unittest

import _support
from _support import KernelTest
import mk


class TestSemaphores(KernelTest):
    def test_counting(self):
        s = self.k.sem_create("s", 2)
        self.assertEqual(s.value, 2)
        self.assertTrue(s.acquire(blocking=False))
        self.assertTrue(self.k.sem_trywait("s"))
        self.assertFalse(s.acquire(blocking=False))
        self.assertMkError(mk.MK_EAGAIN, self.k.sem_trywait, s)
        self.assertFalse(s.acquire(timeout=3))
        self.assertMkError(mk.MK_ETIMEDOUT, self.k.sem_wait, s, 3)
        s.release()
        self.assertEqual(s.value, 1)

    def test_maximum(self):
        s = self.k.sem_create("m", 1, max=1)
        self.assertMkError(mk.MK_ERANGE, s.release)
        self.assertMkError(mk.MK_ERANGE, self.k.sem_create, "m2", 3, 2)
        self.assertEqual(s.value, 1)

    def test_with_statement_and_thread_handoff(self):
        s = self.k.sem_create("lock", 1)
        with s:
            self.assertEqual(s.value, 0)
            got = []
            t = threading.Thread(target=lambda: got.append(s.acquire()))
            t.start()
        t.join(10)
        self.assertEqual(got, [True])
        self.assertEqual(s.value, 0)

    def test_open_delete_errors(self):
        s = self.k.sem_create("x", 0)
        self.assertEqual(self.k.sem_open("x").handle, s.handle)
        self.assertMkError(mk.MK_EEXIST, self.k.sem_create, "x", 0)
        self.assertMkError(mk.MK_ENAMETOOLONG, self.k.sem_create, "x" * 60, 0)
        s.delete()
        self.assertMkError(mk.MK_EBADH, s.release)
        self.assertMkError(mk.MK_EBADH, s.delete)
        self.assertMkError(mk.MK_ENOENT, self.k.sem_open, "x")
        self.assertMkError(mk.MK_EBADH, self.k.sem_post, 999)


if __name__ == "__main__":
    _support.main()
