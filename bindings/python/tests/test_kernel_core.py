"""Kernel: context life cycle, configuration, clock, argument checks."""

import unittest

import _support
from _support import KernelTest
import mk


class TestKernelCore(KernelTest):
    def test_config_defaults_resolved(self):
        cfg = self.k.config()
        self.assertEqual(cfg["tick_hz"], 1000)
        self.assertEqual(cfg["mem_size"], 64 << 20)
        self.assertEqual(cfg["cache_blocks"], 1024)
        self.assertEqual(cfg["quantum_ticks"], 10)

    def test_config_keywords(self):
        with mk.Kernel(cache_blocks=8, tick_hz=100,
                       default_quota=4096) as k:
            cfg = k.config()
            self.assertEqual(cfg["cache_blocks"], 8)
            self.assertEqual(cfg["tick_hz"], 100)
            self.assertEqual(cfg["default_quota"], 4096)

    def test_config_errors(self):
        self.assertMkError(mk.MK_EINVAL, mk.Kernel, tick_hz=2000000)
        self.assertMkError(mk.MK_EINVAL, mk.Kernel, cache_blocks=2 ** 32)
        self.assertMkError(mk.MK_EINVAL, mk.Kernel, mem_size=-1)
        with self.assertRaises(TypeError):
            mk.Kernel(mem_region=1)
        with self.assertRaises(TypeError):
            mk.Kernel(no_such_field=1)
        with self.assertRaises(TypeError):
            mk.Kernel(tick_hz="fast")

    def test_clock(self):
        self.assertEqual(self.k.clock(), 0)
        self.k.advance(25)
        self.k.advance(0)
        self.assertEqual(self.k.clock(), 25)
        self.assertMkError(mk.MK_EINVAL, self.k.advance, 2 ** 63)
        self.assertMkError(mk.MK_EINVAL, self.k.advance, -1)
        self.assertEqual(self.k.clock(), 25)

    def test_closed_kernel_raises_ebadh(self):
        k = mk.Kernel()
        with k:
            k.proc_create(3)
        self.assertTrue(k.closed)
        k.close()  # idempotent
        self.assertMkError(mk.MK_EBADH, k.clock)
        self.assertMkError(mk.MK_EBADH, k.proc_create, 4)
        self.assertMkError(mk.MK_EBADH, k.proc_exists, 3)
        self.assertMkError(mk.MK_EBADH, k.config)

    def test_context_manager_closes_on_exception(self):
        with self.assertRaises(ZeroDivisionError):
            with mk.Kernel() as k:
                1 / 0
        self.assertTrue(k.closed)

    def test_constants(self):
        self.assertEqual(mk.MK_PID_KERNEL, 0)
        self.assertEqual(mk.MK_PID_MAX, 0x7FFFFFFF)
        self.assertEqual(mk.MK_NO_WAIT, 0)
        self.assertEqual(mk.MK_FOREVER, 2 ** 64 - 1)
        self.assertEqual(mk.MK_NAME_MAX, 59)


if __name__ == "__main__":
    _support.main()
