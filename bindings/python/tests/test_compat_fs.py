"""Microkernel: mount/unmount and the file calls."""

import os
import unittest

import _support
from _support import TempDirTest
import mk
from mk import Microkernel


class TestCompatFs(unittest.TestCase):
    def setUp(self):
        self.m = Microkernel()
        self.assertIs(self.m.mount_file_system("/dev/sda1", "/mnt"), True)

    def tearDown(self):
        self.m.close()

    def test_readme_sequence(self):
        f = self.m.create_file("/mnt/test.txt", 10)
        self.assertEqual(f["name"], "/test.txt")
        self.assertEqual(f["size"], 10)
        self.assertEqual(f["path"], "/mnt/test.txt")
        self.assertIs(self.m.write_file("/mnt/test.txt", b"Hello, world!"),
                      True)
        self.assertEqual(self.m.read_file("/mnt/test.txt"), b"Hello, world!")
        self.assertIs(self.m.delete_file("/mnt/test.txt"), True)
        self.assertIsNone(self.m.read_file("/mnt/test.txt"))
        self.assertIs(self.m.delete_file("/mnt/test.txt"), False)
        self.assertIs(self.m.unmount_file_system("/mnt"), True)

    def test_mount_twice_and_unmount_twice(self):
        self.assertIs(self.m.mount_file_system("/dev/sda1", "/mnt"), False)
        self.assertIs(self.m.mount_file_system("/dev/sdb1", "/mnt"), False)
        self.assertIs(self.m.mount_file_system("/dev/sda1", "/other"), False)
        self.assertIs(self.m.unmount_file_system("/mnt"), True)
        self.assertIs(self.m.unmount_file_system("/mnt"), False)
        self.assertIs(self.m.unmount_file_system("/never"), False)

    def test_files_survive_unmount_and_remount(self):
        self.m.create_file("/mnt/keep", 0)
        self.m.write_file("/mnt/keep", b"kept")
        self.assertTrue(self.m.unmount_file_system("/mnt"))
        self.assertIsNone(self.m.read_file("/mnt/keep"))
        self.assertTrue(self.m.mount_file_system("/dev/sda1", "/mnt"))
        self.assertEqual(self.m.read_file("/mnt/keep"), b"kept")

    def test_write_replaces_whole_content_and_may_grow(self):
        self.m.create_file("/mnt/f", 4)
        self.assertTrue(self.m.write_file("/mnt/f", b"0123456789"))
        self.assertTrue(self.m.write_file("/mnt/f", b"ab"))
        self.assertEqual(self.m.read_file("/mnt/f"), b"ab")
        big = os.urandom(100000)
        self.assertTrue(self.m.write_file("/mnt/f", big))
        self.assertEqual(self.m.read_file("/mnt/f"), big)
        self.assertTrue(self.m.write_file("/mnt/f", "text"))
        self.assertEqual(self.m.read_file("/mnt/f"), b"text")

    def test_create_existing_empties_it(self):
        self.m.create_file("/mnt/e", 1)
        self.m.write_file("/mnt/e", b"old")
        self.assertIsNotNone(self.m.create_file("/mnt/e", 1))
        self.assertEqual(self.m.read_file("/mnt/e"), b"")

    def test_failures(self):
        self.assertIs(self.m.write_file("/mnt/missing", b"x"), False)
        self.assertIsNone(self.m.read_file("/mnt/missing"))
        self.assertIsNone(self.m.create_file("/nowhere/f", 1))
        self.assertIsNone(self.m.create_file("/mnt/huge", 1 << 40))
        self.assertIsNone(self.m.create_file("/mnt/neg", -1))
        self.assertIsNone(self.m.create_file("/mnt/" + "n" * 60, 1))
        self.assertIsNone(self.m.create_file("relative", 1))
        self.assertIsNone(self.m.create_file(None, 1))
        self.assertIs(self.m.write_file("/mnt/x", 12), False)
        self.assertIs(self.m.delete_file("/mnt"), False)
        self.assertIsNone(self.m.read_file("/mnt"))
        self.assertEqual(self.m.kernel.listdir("/mnt"), [])

    def test_blank_device_is_formatted_other_data_refused(self):
        self.m.write_block("/dev/sdb", 0, b"NOT A FILE SYSTEM")
        self.assertIs(self.m.mount_file_system("/dev/sdb", "/b"), False)
        self.assertEqual(self.m.read_block("/dev/sdb", 0)[:17],
                         b"NOT A FILE SYSTEM")
        self.assertEqual(self.m.kernel.fs_probe("/dev/sdb"), "other")
        self.assertIs(self.m.mount_file_system("/dev/sdc", "/c"), True)
        self.assertEqual(self.m.kernel.fs_probe("/dev/sdc"), "mkfs")


class TestCompatFsImages(TempDirTest):
    def test_file_system_persists_in_an_image(self):
        img = os.path.join(self.tmp, "fs.img")
        m = Microkernel(devices={"/dev/sda1": img})
        self.assertTrue(m.mount_file_system("/dev/sda1", "/mnt"))
        self.assertIsNotNone(m.create_file("/mnt/notes.txt", 5))
        self.assertTrue(m.write_file("/mnt/notes.txt", b"persisted"))
        self.assertIs(m.close(), True)        # unmounts and flushes cleanly
        m2 = Microkernel(devices={"/dev/sda1": img})
        self.assertTrue(m2.mount_file_system("/dev/sda1", "/data"))
        self.assertEqual(m2.read_file("/data/notes.txt"), b"persisted")
        self.assertIs(m2.close(), True)
        self.assertIs(m2.close(), True)       # idempotent

    def test_foreign_image_is_never_formatted(self):
        img = os.path.join(self.tmp, "foreign.img")
        with open(img, "wb") as f:
            f.write(b"\x7fELF" + bytes(4092))
            f.truncate(1 << 20)
        with Microkernel(devices={"/dev/sda1": img}) as m:
            self.assertIs(m.mount_file_system("/dev/sda1", "/mnt"), False)
        with open(img, "rb") as f:
            self.assertEqual(f.read(4), b"\x7fELF")


if __name__ == "__main__":
    _support.main()
