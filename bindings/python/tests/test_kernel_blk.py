"""Kernel: block devices, buffer cache, mkfs/probe (blk.h, fs.h)."""

import os
import unittest

import _support
from _support import KernelTest, TempDirTest
import mk


class Recorder:
    """A Python block driver keeping blocks in a dict, counting I/O."""

    def __init__(self, block_size, fail_writes=False):
        self.bs, self.blocks = block_size, {}
        self.reads = self.writes = self.syncs = self.closed = 0
        self.fail_writes = fail_writes

    def read(self, blockno, count):
        self.reads += 1
        return b"".join(self.blocks.get(blockno + i, bytes(self.bs))
                        for i in range(count))

    def write(self, blockno, data):
        if self.fail_writes:
            raise IOError("refused")
        self.writes += 1
        for i in range(len(data) // self.bs):
            self.blocks[blockno + i] = data[i * self.bs:(i + 1) * self.bs]

    def sync(self):
        self.syncs += 1

    def close(self):
        self.closed += 1


class TestBlk(KernelTest):
    def test_ram_device(self):
        d = self.k.blk_create_ram("/dev/ram0", 32, 1024)
        self.assertEqual(d.info(), (1024, 32))
        self.assertEqual(d.read(5), bytes(1024))
        d.write(5, b"hello", offset=100)
        self.assertEqual(d.read(5, 100, 5), b"hello")
        self.assertEqual(self.k.blk_lookup("/dev/ram0").handle, d.handle)
        self.assertEqual(self.k.blk_read("/dev/ram0", 5, 100, 5), b"hello")
        d.remove()
        self.assertMkError(mk.MK_EBADH, d.read, 5)
        self.assertMkError(mk.MK_ENOENT, self.k.blk_lookup, "/dev/ram0")

    def test_default_block_size(self):
        d = self.k.blk_create_ram("r", 4)
        self.assertEqual(d.block_size, mk.MK_BLK_SIZE_DEFAULT)

    def test_write_back_through_a_python_driver(self):
        drv = Recorder(512)
        d = self.k.blk_register("/dev/py", drv, 16, 512)
        d.write(3, b"A" * 512)
        self.assertEqual(drv.writes, 0)          # write-back: not yet
        self.assertEqual(self.k.cache_stats()["dirty"], 1)
        self.k.cache_flush()
        self.assertEqual(drv.blocks[3], b"A" * 512)
        self.assertGreaterEqual(drv.syncs, 1)
        self.assertEqual(self.k.cache_stats()["dirty"], 0)
        d.remove()
        self.assertEqual(drv.closed, 1)

    def test_eviction_writes_dirty_block_first(self):
        drv = Recorder(512)
        d = self.k.blk_register("/dev/ev", drv, 8, 512)
        d.write(1, b"dirty!")
        self.assertEqual(self.k.cache_evict(), 1)
        self.assertEqual(drv.blocks[1][:6], b"dirty!")
        st = self.k.cache_stats()
        self.assertEqual((st["cached"], st["evictions"], st["writebacks"]),
                         (0, 1, 1))
        self.assertEqual(self.k.cache_evict(), 0)   # nothing left
        self.assertEqual(d.read(1, 0, 6), b"dirty!")

    def test_failing_driver_keeps_data_dirty(self):
        drv = Recorder(512, fail_writes=True)
        d = self.k.blk_register("/dev/bad", drv, 8, 512)
        d.write(2, b"keep me")
        self.assertMkError(mk.MK_EIO, self.k.cache_flush, d)
        self.assertMkError(mk.MK_EIO, self.k.cache_evict)
        self.assertEqual(d.read(2, 0, 7), b"keep me")
        drv.fail_writes = False
        self.k.cache_flush(d)
        self.assertEqual(drv.blocks[2][:7], b"keep me")

    def test_small_cache_evicts_lru(self):
        with mk.Kernel(cache_blocks=2) as k:
            drv = Recorder(512)
            d = k.blk_register("/dev/s", drv, 8, 512)
            for n in range(4):
                d.write(n, bytes([n + 1]) * 512)
            for n in range(4):
                self.assertEqual(d.read(n), bytes([n + 1]) * 512)
            self.assertGreaterEqual(k.cache_stats()["evictions"], 2)

    def test_cache_policy_readahead_and_threshold_stats(self):
        cfg = self.k.config()
        self.assertEqual(cfg["cache_policy"], 2)         # 2Q by default
        self.assertEqual(cfg["cache_readahead"], 16)
        self.assertEqual(cfg["cache_dirty_pct"], 50)
        st = self.k.cache_stats()
        self.assertEqual((st["policy"], st["policy_name"]), (2, "2q"))
        self.assertEqual(st["dirty_limit"], 512)
        with mk.Kernel(cache_blocks=64, cache_policy=1, cache_readahead=8,
                       cache_dirty_pct=25) as k:
            drv = Recorder(512)
            d = k.blk_register("/dev/ra", drv, 128, 512)
            for n in range(32):                          # sequential pass
                d.read(n)
            st = k.cache_stats()
            self.assertEqual((st["policy"], st["policy_name"]), (1, "lru"))
            self.assertEqual(st["readahead"], 8)
            self.assertGreater(st["ra_reads"], 0)
            self.assertGreater(st["ra_hits"], 0)
            self.assertLess(drv.reads, 32)               # fewer driver calls
            self.assertEqual(st["dev_reads"], 1 + 4 * 8)  # 0, then 1..8, …, 25..32
            for n in range(40, 57):                      # 17 dirty > 16
                d.write(n, bytes([n]) * 512)
            st = k.cache_stats()
            self.assertEqual(st["dirty_limit"], 16)
            self.assertGreater(st["threshold_writebacks"], 0)
            self.assertEqual(drv.blocks[40], bytes([40]) * 512)
        self.assertMkError(mk.MK_EINVAL, mk.Kernel, cache_policy=3)
        self.assertMkError(mk.MK_EINVAL, mk.Kernel, cache_readahead=1025)
        self.assertMkError(mk.MK_EINVAL, mk.Kernel, cache_dirty_pct=101)

    def test_errors(self):
        d = self.k.blk_create_ram("dev", 4, 512)
        self.assertMkError(mk.MK_EEXIST, self.k.blk_create_ram, "dev", 4)
        self.assertMkError(mk.MK_EINVAL, self.k.blk_create_ram, "x", 4, 1000)
        self.assertMkError(mk.MK_EINVAL, self.k.blk_create_ram, "x", 0)
        self.assertMkError(mk.MK_ENAMETOOLONG, self.k.blk_create_ram,
                           "d" * 60, 4)
        self.assertMkError(mk.MK_ERANGE, d.read, 4)
        self.assertMkError(mk.MK_EMSGSIZE, d.write, 0, b"x" * 513)
        self.assertMkError(mk.MK_EMSGSIZE, d.read, 0, 500, 13)
        self.assertMkError(mk.MK_EBADH, self.k.blk_read, 12345, 0)
        self.assertMkError(mk.MK_EBADH, self.k.cache_flush, 12345)
        self.assertMkError(mk.MK_ENOENT, self.k.blk_lookup, "missing")

    def test_probe_and_mkfs(self):
        d = self.k.blk_create_ram("fsdev", 1024, 4096)
        self.assertEqual(d.probe(), "blank")
        d.mkfs()
        self.assertEqual(d.probe(), "mkfs")
        d.write(0, b"garbage")
        self.assertEqual(d.probe(), "other")


class TestImages(TempDirTest):
    def test_image_persists_across_kernels(self):
        path = os.path.join(self.tmp, "disk.img")
        with mk.Kernel() as k:
            self.assertMkError(mk.MK_ENOENT, k.blk_open_image, "i", path)
            d = k.blk_open_image("i", path, 512, 64, create=True)
            d.write(10, b"persist")
        self.assertEqual(os.path.getsize(path), 512 * 64)
        with mk.Kernel() as k:
            d = k.blk_open_image("i", path, 512)
            self.assertEqual(d.nblocks, 64)
            self.assertEqual(d.read(10, 0, 7), b"persist")
            self.assertMkError(mk.MK_EBUSY, k.blk_open_image, "j", path, 512)


if __name__ == "__main__":
    _support.main()
