"""Kernel: heaps, blocks, quotas, sharing (mem.h)."""

import ctypes
import unittest

import _support
from _support import KernelTest
import mk


class TestKernelMem(KernelTest):
    def setUp(self):
        super().setUp()
        self.k.proc_create(1)
        self.k.proc_create(2)

    def test_alloc_read_write_free(self):
        b = self.k.mem_alloc(64, 1)
        self.assertIsInstance(b, mk.Block)
        b.write(b"abcdef", 10)
        self.assertEqual(b.read(10, 6), b"abcdef")
        info = b.info()
        self.assertEqual(info["owner"], 1)
        self.assertEqual(info["bytes"], 64)
        self.assertEqual(info["addr"] % 16, 0)
        self.assertEqual(len(b), 64)
        self.assertEqual(self.k.mem_usage(1)[0], 64)
        b.free()
        self.assertEqual(self.k.mem_usage(1)[0], 0)
        self.assertMkError(mk.MK_EBADH, b.read, 0, 1)
        self.assertMkError(mk.MK_EBADH, b.free)

    def test_raw_pointer_sees_the_bytes(self):
        with self.k.mem_alloc(16, 1) as b:
            b.write(b"0123456789abcdef")
            addr = b.address()
            self.assertEqual(ctypes.string_at(addr, 16), b"0123456789abcdef")
        self.assertMkError(mk.MK_EBADH, self.k.mem_info, b)

    def test_bounds_and_owner(self):
        b = self.k.mem_alloc(8, 1)
        self.assertMkError(mk.MK_EFAULT, b.write, b"123456789")
        self.assertMkError(mk.MK_EFAULT, b.read, 4, 5)
        self.assertMkError(mk.MK_EPERM, b.read, 0, 1, pid=2)
        self.assertMkError(mk.MK_EPERM, self.k.mem_free, b, 2)
        self.assertEqual(self.k.mem_violations(1), 2)
        self.assertEqual(self.k.mem_violations(2), 1)
        self.assertMkError(mk.MK_ENOENT, self.k.mem_alloc, 8, 99)
        self.assertMkError(mk.MK_EINVAL, self.k.mem_alloc, 0, 1)
        self.assertMkError(mk.MK_EBADH, self.k.mem_free, 12345, 1)
        self.assertMkError(mk.MK_EBADH, self.k.mem_free, 2 ** 64, 1)
        b.write(b"intact")
        self.assertEqual(b.read(0, 6), b"intact")

    def test_share(self):
        b = self.k.mem_alloc(32, 1)
        b.share(2)
        b.write(b"shared", pid=2)
        self.assertEqual(b.read(0, 6), b"shared")
        self.assertEqual(b.info()["shares"], 1)
        self.assertMkError(mk.MK_EEXIST, b.share, 2)
        b.unshare(2)
        self.assertMkError(mk.MK_EPERM, b.read, 0, 1, pid=2)
        self.assertMkError(mk.MK_ENOENT, b.unshare, 2)

    def test_quota_and_check(self):
        self.k.mem_set_quota(1, 100)
        self.assertEqual(self.k.mem_usage(1), (0, 100))
        self.assertTrue(self.k.mem_check(1, 100))
        self.assertFalse(self.k.mem_check(1, 101))
        self.k.mem_alloc(60, 1)
        self.assertFalse(self.k.mem_check(1, 41))
        self.assertMkError(mk.MK_EQUOTA, self.k.mem_alloc, 41, 1)
        self.assertEqual(self.k.mem_violations(1), 1)
        self.assertTrue(self.k.mem_check(0, 10 ** 9))  # kernel: no quota
        self.assertMkError(mk.MK_EPERM, self.k.mem_set_quota, 0, 10)
        self.assertMkError(mk.MK_ENOENT, self.k.mem_check, 42, 1)

    def test_process_destroy_frees_its_blocks(self):
        b = self.k.mem_alloc(128, 2)
        before = self.k.heap_stats()["live_blocks"]
        self.k.proc_destroy(2)
        self.assertMkError(mk.MK_EBADH, self.k.mem_info, b)
        self.assertEqual(self.k.heap_stats()["live_blocks"], before - 1)

    def test_heaps(self):
        for kind in ("bump", "freelist", "fixed"):
            with self.k.heap_create(kind, 64 * 1024) as h:
                st = h.stats()
                self.assertEqual(st["kind"], {"bump": 1, "freelist": 2,
                                              "fixed": 3}[kind])
                self.assertEqual(st["used"] + st["free"], st["capacity"])
                b = h.alloc(100, 1)
                b.write(b"x" * 100)
                self.assertEqual(h.stats()["live_blocks"], 1)
                self.assertMkError(mk.MK_EBUSY, h.destroy)
                b.free()
            self.assertMkError(mk.MK_EBADH, h.stats)

    def test_heap_errors(self):
        self.assertMkError(mk.MK_EINVAL, self.k.heap_create, 9, 4096)
        self.assertMkError(mk.MK_ERANGE, self.k.heap_create, "bump", 100)
        self.assertMkError(mk.MK_ENOMEM, self.k.heap_create, "bump", 1 << 40)
        self.assertMkError(mk.MK_EPERM, self.k.heap_destroy, 0)
        free = self.k.heap_create("freelist", 8192)
        self.assertMkError(mk.MK_ENOTSUP, free.reset)
        bump = self.k.heap_create("bump", 8192)
        bump.reset()
        fixed = self.k.heap_create("fixed", 8192)
        fixed.set_fallback(free)
        self.assertMkError(mk.MK_EBUSY, free.destroy)
        big = fixed.alloc(4000, 1)
        self.assertEqual(big.info()["heap"], free.handle)


if __name__ == "__main__":
    _support.main()
