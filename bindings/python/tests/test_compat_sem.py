"""Microkernel semaphores and the original Sem object."""

import unittest

import _support
import mk
from mk import Microkernel, Sem


class TestCompatSemaphores(unittest.TestCase):
    def setUp(self):
        self.m = Microkernel()

    def tearDown(self):
        self.m.close()

    def test_create_acquire_release(self):
        self.assertIs(self.m.create_semaphore("s", 2), True)
        self.assertIs(self.m.create_semaphore("s", 5), False)  # exists
        self.assertIs(self.m.acquire_semaphore("s"), True)
        self.assertIs(self.m.acquire_semaphore("s"), True)
        self.assertIs(self.m.acquire_semaphore("s"), False)    # zero: no wait
        self.assertIs(self.m.release_semaphore("s"), True)
        self.assertIs(self.m.acquire_semaphore("s"), True)

    def test_unknown_and_bad(self):
        self.assertIs(self.m.acquire_semaphore("none"), False)
        self.assertIs(self.m.release_semaphore("none"), False)
        self.assertIs(self.m.create_semaphore("neg", -1), False)
        self.assertIs(self.m.create_semaphore("x" * 60, 1), False)
        self.assertIs(self.m.create_semaphore(None, 1), False)
        self.assertIs(self.m.create_semaphore("b", True), False)

    def test_zero_initial_count(self):
        self.assertIs(self.m.create_semaphore("z", 0), True)
        self.assertIs(self.m.acquire_semaphore("z"), False)
        self.assertIs(self.m.release_semaphore("z"), True)
        self.assertIs(self.m.acquire_semaphore("z"), True)

    def test_sem_methods_share_the_same_semaphores(self):
        self.assertIs(self.m.sem_create("shared", 1), True)
        self.assertIs(self.m.acquire_semaphore("shared"), True)
        self.assertIs(self.m.sem_acquire("shared"), False)
        self.assertIs(self.m.sem.sem_release("shared"), True)
        self.assertIs(self.m.sem_acquire("shared"), True)
        self.assertEqual(self.m.sem.sem_value("shared"), 0)

    def test_release_beyond_initial_count(self):
        # The original's count had no ceiling.
        self.m.create_semaphore("up", 0)
        for _ in range(10):
            self.assertIs(self.m.release_semaphore("up"), True)
        self.assertEqual(self.m.sem.sem_value("up"), 10)


class TestSemObject(unittest.TestCase):
    def test_standalone_sem(self):
        s = Sem()
        self.assertIs(s.sem_create("a", 1), True)
        self.assertIs(s.sem_create("a", 1), False)
        self.assertIs(s.sem_acquire("a"), True)
        self.assertIs(s.sem_acquire("a"), False)
        self.assertIs(s.sem_release("a"), True)
        self.assertIs(s.sem_release("b"), False)
        self.assertIs(s.sem_acquire("b"), False)
        self.assertIsNone(s.sem_value("b"))
        s.kernel.close()
        self.assertIs(s.sem_acquire("a"), False)   # closed kernel: no raise


if __name__ == "__main__":
    _support.main()
