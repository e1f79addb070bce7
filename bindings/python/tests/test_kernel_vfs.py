"""Kernel: mounts, files as Python objects, directories (vfs.h)."""

import io
import os
import unittest

import _support
from _support import KernelTest, TempDirTest
import mk


class VfsTest(KernelTest):
    def setUp(self):
        super().setUp()
        self.dev = self.k.blk_create_ram("/dev/sda1", 4096, 4096)  # 16 MiB
        self.k.mount(self.dev, "/mnt", format=True)


class TestMount(VfsTest):
    def test_mount_rules(self):
        self.assertMkError(mk.MK_EBUSY, self.k.mount, self.dev, "/mnt")
        other = self.k.blk_create_ram("/dev/sdb", 1024, 4096)
        self.assertMkError(mk.MK_ENOFS, self.k.mount, other, "/b")
        self.assertEqual(other.probe(), "blank")      # nothing written
        other.write(0, b"not a file system")
        self.assertMkError(mk.MK_ENOFS, self.k.mount, other, "/b",
                           format=True)
        self.assertEqual(other.read(0, 0, 17), b"not a file system")
        self.assertMkError(mk.MK_EINVAL, self.k.mount, self.dev, "mnt")
        self.assertMkError(mk.MK_EBUSY, self.dev.remove)

    def test_unmount(self):
        self.k.write_file("/mnt/f", b"data")
        f = self.k.open("/mnt/f")
        self.assertMkError(mk.MK_EBUSY, self.k.unmount, "/mnt")
        f.close()
        self.k.unmount("/mnt")
        self.assertMkError(mk.MK_ENOENT, self.k.unmount, "/mnt")
        self.assertMkError(mk.MK_ENOENT, self.k.stat, "/mnt/f")
        self.k.mount(self.dev, "/again")
        self.assertEqual(self.k.read_file("/again/f"), b"data")

    def test_statfs(self):
        st = self.k.statfs("/mnt")
        self.assertEqual(st["block_size"], 4096)
        self.assertEqual(st["blocks"], 4096)
        self.assertLess(st["free_blocks"], st["blocks"])


class TestFiles(VfsTest):
    def test_binary_file_object(self):
        with self.k.open("/mnt/a.bin", "wb") as f:
            self.assertIsInstance(f, io.BufferedWriter)
            f.write(b"hello ")
            f.write(b"world")
        with self.k.open("/mnt/a.bin", "rb") as f:
            self.assertEqual(f.read(5), b"hello")
            self.assertEqual(f.tell(), 5)
            f.seek(-5, io.SEEK_END)
            self.assertEqual(f.read(), b"world")
        self.assertEqual(self.k.stat("/mnt/a.bin").bytes, 11)

    def test_modes(self):
        self.k.write_file("/mnt/m", b"12345")
        with self.k.open("/mnt/m", "ab") as f:
            f.write(b"67")
        self.assertEqual(self.k.read_file("/mnt/m"), b"1234567")
        with self.k.open("/mnt/m", "r+b") as f:
            f.seek(2)
            f.write(b"xx")
            f.truncate(5)
        self.assertEqual(self.k.read_file("/mnt/m"), b"12xx5")
        self.assertMkError(mk.MK_EEXIST, self.k.open, "/mnt/m", "xb")
        with self.k.open("/mnt/new", "xb") as f:
            f.write(b"n")
        self.assertMkError(mk.MK_ENOENT, self.k.open, "/mnt/none", "rb")
        with self.assertRaises(ValueError):
            self.k.open("/mnt/m", "rw")

    def test_text_mode(self):
        with self.k.open("/mnt/t.txt", "w", encoding="utf-8") as f:
            f.write("héllo\nwörld\n")
        with self.k.open("/mnt/t.txt") as f:
            self.assertEqual(f.readlines(), ["héllo\n", "wörld\n"])

    def test_unbuffered_and_large(self):
        data = os.urandom(300000)
        with self.k.open("/mnt/big", "wb", buffering=0) as f:
            self.assertIsInstance(f, mk.MkFile)
            n = 0
            while n < len(data):
                n += f.write(data[n:])
            self.assertEqual(f.stat().bytes, len(data))
            f.fsync()
        self.assertEqual(self.k.read_file("/mnt/big"), data)

    def test_descriptor_level(self):
        fd = self.k.vfs_open("/mnt/d", mk.MK_O_RDWR | mk.MK_O_CREAT)
        self.assertEqual(self.k.vfs_write(fd, b"abcdef"), 6)
        self.assertEqual(self.k.vfs_pread(fd, 3, 2), b"cde")
        self.assertEqual(self.k.vfs_pwrite(fd, b"Z", 10), 1)
        self.assertEqual(self.k.vfs_seek(fd, 0, mk.MK_SEEK_SET), 0)
        self.assertEqual(self.k.vfs_read(fd, 100), b"abcdef\0\0\0\0Z")
        self.assertEqual(self.k.vfs_read(fd, 100), b"")
        self.k.vfs_ftruncate(fd, 2)
        self.assertEqual(self.k.vfs_fstat(fd).bytes, 2)
        self.k.vfs_fsync(fd)
        self.k.vfs_close(fd)
        self.assertMkError(mk.MK_EBADH, self.k.vfs_close, fd)
        self.assertMkError(mk.MK_EBADH, self.k.vfs_read, fd, 1)
        self.k.truncate("/mnt/d", 0)
        self.assertEqual(self.k.stat("/mnt/d").bytes, 0)

    def test_descriptors_belong_to_a_pid(self):
        self.k.proc_create(5)
        f = self.k.open("/mnt/p", "wb", pid=5)
        self.assertMkError(mk.MK_EBADH, self.k.vfs_write, f.raw.fd, b"x", 0)
        self.k.proc_destroy(5)               # closes its descriptors
        self.k.unlink("/mnt/p")              # no longer open
        f.close()                # already closed by the library: quiet
        self.assertTrue(f.closed)
        self.assertMkError(mk.MK_ENOENT, self.k.open, "/mnt/q", "wb", pid=6)

    def test_errors(self):
        self.k.mkdir("/mnt/dir")
        self.assertMkError(mk.MK_EISDIR, self.k.open, "/mnt/dir", "wb")
        self.assertMkError(mk.MK_EISDIR, self.k.unlink, "/mnt/dir")
        self.assertMkError(mk.MK_ENOENT, self.k.unlink, "/mnt/none")
        self.assertMkError(mk.MK_ENOENT, self.k.stat, "/elsewhere/x")
        self.assertMkError(mk.MK_ENAMETOOLONG, self.k.open,
                           "/mnt/" + "n" * 60, "wb")
        self.assertMkError(mk.MK_EINVAL, self.k.stat, "relative")
        with self.assertRaises(TypeError):
            self.k.stat(42)
        with self.k.open("/mnt/f", "wb") as f:
            self.k.unlink("/mnt/f")  # the name goes; the open file lives on
            self.assertMkError(mk.MK_ENOENT, self.k.stat, "/mnt/f")
            f.write(b"still open")
        self.assertMkError(mk.MK_ENOENT, self.k.stat, "/mnt/f")
        with self.k.open("/mnt/f", "wb") as f:
            pass
        self.assertMkError(mk.MK_ENOTDIR, self.k.open, "/mnt/f/x", "wb")


class TestDirectories(VfsTest):
    def test_mkdir_listdir_rename_rmdir(self):
        self.k.mkdir("/mnt/d")
        self.k.mkdir("/mnt/d/sub")
        self.k.write_file("/mnt/d/f1", b"1")
        self.k.write_file("/mnt/d/f2", b"22")
        self.assertEqual(sorted(self.k.listdir("/mnt/d")),
                         ["f1", "f2", "sub"])
        kinds = {e.name: e.is_dir for e in self.k.scandir("/mnt/d")}
        self.assertEqual(kinds, {"f1": False, "f2": False, "sub": True})
        st = self.k.stat("/mnt/d")
        self.assertTrue(st.is_dir)
        self.assertEqual(st.nlink, 3)
        self.k.rename("/mnt/d/f1", "/mnt/d/sub/g")
        self.assertEqual(self.k.read_file("/mnt/d/sub/g"), b"1")
        self.assertFalse(self.k.exists("/mnt/d/f1"))
        self.assertMkError(mk.MK_ENOTEMPTY, self.k.rmdir, "/mnt/d/sub")
        self.k.unlink("/mnt/d/sub/g")
        self.k.rmdir("/mnt/d/sub")
        self.assertEqual(self.k.listdir("/mnt/d"), ["f2"])
        self.assertMkError(mk.MK_EEXIST, self.k.mkdir, "/mnt/d")
        self.assertMkError(mk.MK_EBUSY, self.k.rmdir, "/mnt")

    def test_rename_across_mounts(self):
        d2 = self.k.blk_create_ram("/dev/sdb", 1024, 4096)
        self.k.mount(d2, "/other", format=True)
        self.k.write_file("/mnt/x", b"x")
        self.assertMkError(mk.MK_EXDEV, self.k.rename, "/mnt/x", "/other/x")


class TestPersistence(TempDirTest):
    def test_files_survive_in_an_image(self):
        img = os.path.join(self.tmp, "fs.img")
        with mk.Kernel() as k:
            d = k.blk_open_image("/dev/img", img, 4096, 2048, create=True)
            k.mount(d, "/", format=True)
            k.mkdir("/etc")
            k.write_file("/etc/motd", b"welcome")
        with mk.Kernel() as k:
            d = k.blk_open_image("/dev/img", img)
            self.assertEqual(d.probe(), "mkfs")
            k.mount(d, "/")
            self.assertEqual(k.listdir("/"), ["etc"])
            self.assertEqual(k.read_file("/etc/motd"), b"welcome")


if __name__ == "__main__":
    _support.main()
