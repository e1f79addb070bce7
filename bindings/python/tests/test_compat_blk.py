"""Microkernel: write_block / read_block / flush_buffer / evict_cache and
image-backed devices."""

import os
import unittest

import _support
from _support import TempDirTest
import mk
from mk import Microkernel


def file_block(path, n, size=4096):
    with open(path, "rb") as f:
        f.seek(n * size)
        return f.read(size)


class TestCompatBlocks(unittest.TestCase):
    def setUp(self):
        self.m = Microkernel()

    def tearDown(self):
        self.m.close()

    def test_unknown_device_is_a_zeroed_default_device(self):
        self.assertEqual(self.m.read_block("/dev/sda1", 7), bytes(4096))
        dev = self.m.kernel.blk_lookup("/dev/sda1")
        self.assertEqual(dev.info(), (4096, (256 << 20) // 4096))

    def test_write_pads_to_the_block(self):
        self.assertIs(self.m.write_block("/dev/sda1", 1,
                                         b"This is a block of data"), True)
        data = self.m.read_block("/dev/sda1", 1)
        self.assertEqual(len(data), 4096)
        self.assertEqual(data, b"This is a block of data".ljust(4096, b"\0"))
        # A shorter write replaces the whole block (zero padding).
        self.m.write_block("/dev/sda1", 1, b"short")
        self.assertEqual(self.m.read_block("/dev/sda1", 1),
                         b"short".ljust(4096, b"\0"))

    def test_block_size_limits(self):
        self.assertIs(self.m.write_block("/dev/sda1", 2, b"x" * 4096), True)
        self.assertIs(self.m.write_block("/dev/sda1", 2, b"y" * 4097), False)
        self.assertEqual(self.m.read_block("/dev/sda1", 2), b"x" * 4096)

    def test_bad_arguments(self):
        n = (256 << 20) // 4096
        self.assertIs(self.m.write_block("/dev/sda1", n, b"x"), False)
        self.assertIsNone(self.m.read_block("/dev/sda1", n))
        self.assertIs(self.m.write_block("/dev/sda1", -1, b"x"), False)
        self.assertIsNone(self.m.read_block("/dev/sda1", -1))
        self.assertIsNone(self.m.read_block("/dev/sda1", "1"))
        self.assertIs(self.m.write_block("/dev/sda1", 0, 12), False)
        self.assertIs(self.m.write_block("d" * 60, 0, b"x"), False)
        self.assertIsNone(self.m.read_block(None, 0))

    def test_str_data_is_utf8(self):
        self.assertIs(self.m.write_block("/dev/sdc", 0, "héllo"), True)
        self.assertEqual(self.m.read_block("/dev/sdc", 0)[:6],
                         "héllo".encode())

    def test_evict_and_flush_return_values(self):
        self.assertIs(self.m.evict_cache(), False)     # empty cache
        self.assertIs(self.m.flush_buffer(), True)
        self.m.write_block("/dev/sda1", 0, b"a")
        self.assertIs(self.m.evict_cache(), True)
        self.assertIs(self.m.evict_cache(), False)
        self.assertEqual(self.m.read_block("/dev/sda1", 0)[:1], b"a")

    def test_small_device_geometry(self):
        with Microkernel(device_size=1 << 20, block_size=512) as m:
            self.assertEqual(len(m.read_block("/dev/x", 0)), 512)
            self.assertIsNone(m.read_block("/dev/x", 2048))


class TestCompatImages(TempDirTest):
    def test_flush_writes_dirty_blocks_to_the_image(self):
        img = os.path.join(self.tmp, "disk.img")
        with Microkernel(devices={"/dev/sda1": img}) as m:
            self.assertEqual(os.path.getsize(img), 256 << 20)
            m.write_block("/dev/sda1", 3, b"dirty")
            self.assertEqual(file_block(img, 3), bytes(4096))  # write-back
            self.assertIs(m.flush_buffer(), True)
            self.assertEqual(file_block(img, 3)[:5], b"dirty")

    def test_eviction_keeps_dirty_data(self):
        img = os.path.join(self.tmp, "evict.img")
        with Microkernel(devices={"/dev/sda1": img}) as m:
            m.write_block("/dev/sda1", 5, b"precious")
            self.assertEqual(m.kernel.cache_stats()["dirty"], 1)
            self.assertIs(m.evict_cache(), True)
            st = m.kernel.cache_stats()
            self.assertEqual((st["cached"], st["dirty"]), (0, 0))
            self.assertEqual(file_block(img, 5)[:8], b"precious")
            self.assertEqual(m.read_block("/dev/sda1", 5)[:8], b"precious")

    def test_evicts_the_least_recently_used_block(self):
        img = os.path.join(self.tmp, "lru.img")
        with Microkernel(devices={"/dev/sda1": img}) as m:
            for n in (1, 2, 3):
                m.write_block("/dev/sda1", n, b"%d" % n)
            m.read_block("/dev/sda1", 1)        # 2 is now the LRU block
            self.assertIs(m.evict_cache(), True)
            self.assertEqual(file_block(img, 2)[:1], b"2")
            self.assertEqual(file_block(img, 1)[:1], b"\0")
            self.assertEqual(file_block(img, 3)[:1], b"\0")

    def test_image_persists_across_instances(self):
        img = os.path.join(self.tmp, "persist.img")
        m = Microkernel(devices={"/dev/sda1": img})
        self.assertIs(m.write_block("/dev/sda1", 9, b"still here"), True)
        m.close()                       # flushes
        m2 = Microkernel(devices={"/dev/sda1": img})
        self.assertEqual(m2.read_block("/dev/sda1", 9)[:10], b"still here")
        m2.close()

    def test_existing_image_keeps_its_size(self):
        img = os.path.join(self.tmp, "small.img")
        with open(img, "wb") as f:
            f.truncate(64 * 4096)
        with Microkernel(devices={"/dev/sda1": img}) as m:
            self.assertEqual(m.kernel.blk_lookup("/dev/sda1").nblocks, 64)
            self.assertIsNone(m.read_block("/dev/sda1", 64))

    def test_unusable_image_raises_at_construction(self):
        bad = os.path.join(self.tmp, "no", "such", "dir", "x.img")
        with self.assertRaises(mk.MkError):
            Microkernel(devices={"/dev/sda1": bad})


if __name__ == "__main__":
    _support.main()
