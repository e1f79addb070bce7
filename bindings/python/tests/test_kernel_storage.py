"""Kernel: storage helpers — trees in and out of images, image files shared
with the mk-img tool, and the buffer cache's policies and statistics."""

import hashlib
import os
import subprocess
import unittest

import _support
from _support import KernelTest, TempDirTest
import mk


def sha_tree(root):
    """{relative path: sha256} of every regular file under root."""
    out = {}
    for d, _dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def dirs_tree(root):
    return sorted(os.path.relpath(d, root) for d, _x, _y in os.walk(root))


def build_tree(root):
    """Nested directories, empty files and directories, binary data, many
    small files, a name of exactly MK_NAME_MAX bytes."""
    os.makedirs(os.path.join(root, "a", "b", "c", "d"))
    os.makedirs(os.path.join(root, "empty-dir"))
    os.makedirs(os.path.join(root, "many"))
    open(os.path.join(root, "empty"), "wb").close()
    open(os.path.join(root, "a", "b", "c", "d", "empty2"), "wb").close()
    with open(os.path.join(root, "a", "rand.bin"), "wb") as f:
        f.write(os.urandom(3 * 1024 * 1024 + 17))
    with open(os.path.join(root, "a", "b", "block.bin"), "wb") as f:
        f.write(os.urandom(4096))
    for i in range(120):
        with open(os.path.join(root, "many", "f%03d" % i), "wb") as f:
            f.write(("small %d\n" % i).encode() * (i % 7))
    with open(os.path.join(root, "n" * mk.MK_NAME_MAX), "wb") as f:
        f.write(b"fifty-nine")


class TreeTest(KernelTest):
    def setUp(self):
        super().setUp()
        self._tmp = __import__("tempfile").TemporaryDirectory(prefix="mk-py-")
        self.tmp = self._tmp.name
        self.dev = self.k.blk_create_ram("/dev/sda", 8192, 4096)  # 32 MiB
        self.k.mount(self.dev, "/mnt", format=True)

    def tearDown(self):
        super().tearDown()
        self._tmp.cleanup()


class TestImportExport(TreeTest):
    def test_round_trip_sha256(self):
        src, dst = os.path.join(self.tmp, "src"), os.path.join(self.tmp, "dst")
        build_tree(src)
        seen = []
        r = self.k.import_tree(src, "/mnt/data",
                               progress=lambda *a: seen.append(a))
        want = sha_tree(src)
        self.assertEqual(r.files, len(want))
        self.assertEqual(r.dirs, len(dirs_tree(src)) - 1)
        self.assertEqual(r.bytes, sum(os.path.getsize(os.path.join(src, p))
                                      for p in want))
        self.assertEqual(r.skipped, [])
        self.assertEqual(len(seen), r.files)
        self.assertEqual(seen[-1], (r.files, r.files, r.bytes, r.bytes))
        self.assertEqual(self.k.stat("/mnt/data/a/rand.bin").bytes,
                         3 * 1024 * 1024 + 17)
        # Through a remount, so the data came from the device, not memory.
        self.k.unmount("/mnt")
        self.k.mount(self.dev, "/m2")
        e = self.k.export_tree("/m2/data", dst)
        self.assertEqual((e.files, e.dirs, e.bytes),
                         (r.files, r.dirs, r.bytes))
        self.assertEqual(sha_tree(dst), want)
        self.assertEqual(dirs_tree(dst), dirs_tree(src))

    def test_skips_links_special_and_long_names(self):
        src = os.path.join(self.tmp, "s")
        os.makedirs(os.path.join(src, "sub"))
        with open(os.path.join(src, "keep"), "wb") as f:
            f.write(b"keep")
        os.symlink("keep", os.path.join(src, "link"))
        os.mkfifo(os.path.join(src, "fifo"))
        long = "L" * (mk.MK_NAME_MAX + 1)
        with open(os.path.join(src, long), "wb") as f:
            f.write(b"x")
        os.makedirs(os.path.join(src, "sub", long))
        with open(os.path.join(src, "sub", long, "inner"), "wb") as f:
            f.write(b"y")
        r = self.k.import_tree(src, "/mnt")
        reasons = sorted((os.path.relpath(p, src), why) for p, why in r.skipped)
        self.assertEqual(reasons, sorted([
            ("fifo", "special"), (long, "name too long"), ("link", "symlink"),
            (os.path.join("sub", long), "name too long")]))
        self.assertEqual((r.files, r.dirs), (1, 1))
        self.assertEqual(sorted(self.k.listdir("/mnt")), ["keep", "sub"])
        self.assertEqual(self.k.listdir("/mnt/sub"), [])

    def test_path_too_long_is_skipped(self):
        src = os.path.join(self.tmp, "deep")
        part = "d" * 50
        p = src
        for _ in range(25):                       # 25 * 51 > MK_PATH_MAX
            p = os.path.join(p, part)
        os.makedirs(p)
        r = self.k.import_tree(src, "/mnt")
        self.assertEqual(len(r.skipped), 1)
        self.assertEqual(r.skipped[0][1], "path too long")
        self.assertEqual(r.dirs, (mk.MK_PATH_MAX - len("/mnt")) // 51)

    def test_overwrite_and_dest_created(self):
        src = os.path.join(self.tmp, "o")
        os.makedirs(src)
        with open(os.path.join(src, "f"), "wb") as f:
            f.write(b"new")
        self.k.makedirs("/mnt/x")
        self.k.write_file("/mnt/x/f", b"old and longer")
        self.k.import_tree(src, "/mnt/x")
        self.assertEqual(self.k.read_file("/mnt/x/f"), b"new")
        self.k.import_tree(src, "/mnt/p/q/r")      # parents made
        self.assertEqual(self.k.read_file("/mnt/p/q/r/f"), b"new")

    def test_export_file_and_errors(self):
        self.k.write_file("/mnt/one", b"1" * 5000)
        out = os.path.join(self.tmp, "out")
        r = self.k.export_tree("/mnt/one", out)
        self.assertEqual((r.files, r.dirs, r.bytes), (1, 0, 5000))
        with open(os.path.join(out, "one"), "rb") as f:
            self.assertEqual(f.read(), b"1" * 5000)
        self.assertMkError(mk.MK_ENOENT, self.k.export_tree, "/mnt/nope", out)
        self.assertMkError(mk.MK_ENOENT, self.k.export_tree, "/elsewhere", out)
        # A symbolic link in the way is not followed.
        victim = os.path.join(self.tmp, "victim")
        with open(victim, "wb") as f:
            f.write(b"untouched")
        os.remove(os.path.join(out, "one"))
        os.symlink(victim, os.path.join(out, "one"))
        with self.assertRaises(OSError):
            self.k.export_tree("/mnt/one", out)
        with open(victim, "rb") as f:
            self.assertEqual(f.read(), b"untouched")

    def test_import_errors(self):
        with self.assertRaises(OSError):
            self.k.import_tree(os.path.join(self.tmp, "missing"), "/mnt")
        f = os.path.join(self.tmp, "file")
        open(f, "wb").close()
        with self.assertRaises(OSError):
            self.k.import_tree(f, "/mnt")
        self.k.write_file("/mnt/afile", b"")
        self.assertMkError(mk.MK_ENOTDIR, self.k.import_tree, self.tmp,
                           "/mnt/afile")
        self.assertMkError(mk.MK_ENOENT, self.k.import_tree, self.tmp, "/nomount")

    def test_no_space_keeps_what_fit(self):
        small = self.k.blk_create_ram("/dev/small", 64, 4096)   # 256 KiB
        self.k.mount(small, "/small", format=True)
        src = os.path.join(self.tmp, "big")
        os.makedirs(src)
        with open(os.path.join(src, "a"), "wb") as f:
            f.write(b"a" * 1000)
        with open(os.path.join(src, "b"), "wb") as f:
            f.write(os.urandom(1024 * 1024))
        self.assertMkError(mk.MK_ENOSPC, self.k.import_tree, src, "/small")
        self.assertEqual(self.k.read_file("/small/a"), b"a" * 1000)
        self.k.unmount("/small")
        self.k.mount(small, "/small")                  # still mounts

    def test_walk_makedirs_rmtree(self):
        self.k.makedirs("/mnt/a/b/c")
        self.k.makedirs("/mnt/a/b/c")                  # exist_ok
        self.assertMkError(mk.MK_EEXIST, self.k.makedirs, "/mnt/a/b",
                           exist_ok=False)
        self.k.write_file("/mnt/a/f1", b"1")
        self.k.write_file("/mnt/a/b/f2", b"2")
        self.assertMkError(mk.MK_ENOTDIR, self.k.makedirs, "/mnt/a/f1/x")
        got = list(self.k.walk("/mnt"))
        self.assertEqual(got, [("/mnt", ["a"], []),
                               ("/mnt/a", ["b"], ["f1"]),
                               ("/mnt/a/b", ["c"], ["f2"]),
                               ("/mnt/a/b/c", [], [])])
        before = self.k.statfs("/mnt")
        self.k.rmtree("/mnt/a")
        self.assertFalse(self.k.exists("/mnt/a"))
        self.k.makedirs("/mnt/z/y")
        self.k.rmtree("/mnt")                          # mount root emptied
        self.assertEqual(self.k.listdir("/mnt"), [])
        after = self.k.statfs("/mnt")
        self.assertGreater(after["free_inodes"], before["free_inodes"])
        self.assertMkError(mk.MK_ENOENT, self.k.rmtree, "/mnt/none")


class TestImages(TempDirTest):
    def test_create_reopen_and_detect_block_size(self):
        img = os.path.join(self.tmp, "d.img")
        with mk.Kernel() as k:
            dev = k.mount_image(img, "/", size=4 * 1024 * 1024 + 1,
                                block_size=1024)
            self.assertEqual(dev.info(), (1024, 4097))
            k.write_file("/hello", b"hi")
        self.assertEqual(os.path.getsize(img), 4097 * 1024)
        with mk.Kernel() as k:
            dev = k.mount_image(img, "/mnt")         # block size found
            self.assertEqual(dev.block_size, 1024)
            self.assertEqual(k.read_file("/mnt/hello"), b"hi")
            dev2 = k.open_image(os.path.join(self.tmp, "d.img2"), size=8192)
            self.assertEqual(dev2.probe(), "blank")
            self.assertNotEqual(dev2.name, dev.name)
        with mk.Kernel() as k:
            self.assertMkError(mk.MK_ENOENT, k.mount_image,
                               os.path.join(self.tmp, "missing.img"))
            junk = os.path.join(self.tmp, "junk.img")
            with open(junk, "wb") as f:
                f.write(b"\xff" * 65536)
            self.assertMkError(mk.MK_ENOFS, k.mount_image, junk)
            with self.assertRaises(mk.MkError):
                k.blk_lookup("image1")                # removed after failing
            with open(junk, "rb") as f:
                self.assertEqual(f.read(), b"\xff" * 65536)  # untouched


def mk_img_path():
    """The mk-img built next to the library (MK_LIBRARY's build tree)."""
    lib = os.environ.get("MK_LIBRARY") or mk.LIBRARY_PATH
    root = os.path.dirname(os.path.abspath(lib))
    for cand in (os.environ.get("MK_IMG"), os.path.join(root, "tools", "mk-img"),
                 os.path.join(os.path.dirname(root), "tools", "mk-img")):
        if cand and os.access(cand, os.X_OK):
            return cand
    raise AssertionError("mk-img not found next to %s (build it, or set MK_IMG)"
                         % lib)


class TestMkImgInterop(TempDirTest):
    """Images written by Python read back with mk-img, and the other way."""

    def test_python_to_mk_img_and_back(self):
        tool = mk_img_path()
        src = os.path.join(self.tmp, "src")
        build_tree(src)
        img = os.path.join(self.tmp, "x.img")
        with mk.Kernel() as k:
            k.mount_image(img, "/", size=32 << 20)
            k.import_tree(src, "/t")
        out = os.path.join(self.tmp, "by-tool")
        p = subprocess.run([tool, "export", img, "/t", out, "-q"],
                           capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sha_tree(out), sha_tree(src))
        p = subprocess.run([tool, "fsck", img, "-q"], capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        # mk-img writes, Python reads.
        p = subprocess.run([tool, "rm", img, "/t/many", "-r"],
                           capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = subprocess.run([tool, "import", img, os.path.join(src, "many"),
                            "/again", "-q"], capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with mk.Kernel() as k:
            k.mount_image(img, "/")
            self.assertFalse(k.exists("/t/many"))
            back = os.path.join(self.tmp, "back")
            k.export_tree("/again", back)
        self.assertEqual(sha_tree(back), sha_tree(os.path.join(src, "many")))


class TestCacheStats(TempDirTest):
    def test_fields_and_policies(self):
        with mk.Kernel() as k:
            st = k.cache_stats()
            for f in ("capacity", "cached", "dirty", "pinned", "hits",
                      "misses", "evictions", "writebacks", "dev_reads",
                      "dev_writes", "policy", "readahead", "ra_reads",
                      "ra_blocks", "ra_hits", "dirty_limit",
                      "threshold_writebacks", "policy_name"):
                self.assertIn(f, st)
            self.assertEqual(st["policy_name"], "2q")          # default
            self.assertEqual(st["readahead"], 16)
            self.assertEqual(st["dirty_limit"], st["capacity"] * 50 // 100)
        with mk.Kernel(cache_policy=1, cache_readahead=1, cache_blocks=100,
                       cache_dirty_pct=10) as k:
            st = k.cache_stats()
            self.assertEqual((st["policy_name"], st["readahead"],
                              st["dirty_limit"]), ("lru", 1, 10))
            cfg = k.config()
            self.assertEqual((cfg["cache_policy"], cfg["cache_readahead"],
                              cfg["cache_dirty_pct"]), (1, 1, 10))
        for bad in ({"cache_policy": 3}, {"cache_readahead": 1025},
                    {"cache_dirty_pct": 101}):
            self.assertMkError(mk.MK_EINVAL, mk.Kernel, **bad)

    def test_readahead_on_a_sequential_image_read(self):
        img = os.path.join(self.tmp, "ra.img")
        data = os.urandom(2 * 1024 * 1024)
        with mk.Kernel() as k:
            k.mount_image(img, "/", size=16 << 20)
            k.write_file("/big", data)
        with mk.Kernel(cache_readahead=32) as k:
            k.mount_image(img, "/")
            s0 = k.cache_stats()
            self.assertEqual(k.read_file("/big"), data)
            s1 = k.cache_stats()
            self.assertGreater(s1["ra_reads"], s0["ra_reads"])
            self.assertGreater(s1["ra_blocks"], s1["ra_reads"])
            self.assertGreater(s1["ra_hits"], s0["ra_hits"])
            self.assertLessEqual(s1["ra_hits"], s1["ra_blocks"])
        with mk.Kernel(cache_readahead=1) as k:
            k.mount_image(img, "/")
            self.assertEqual(k.read_file("/big"), data)
            self.assertEqual(k.cache_stats()["ra_reads"], 0)

    def test_threshold_writeback(self):
        with mk.Kernel(cache_blocks=64, cache_dirty_pct=25) as k:
            dev = k.blk_create_ram("/dev/r", 256, 4096)
            for b in range(40):
                dev.write(b, bytes([b]) * 16)
            st = k.cache_stats()
            self.assertEqual(st["dirty_limit"], 16)
            self.assertLessEqual(st["dirty"], 16)
            self.assertGreaterEqual(st["threshold_writebacks"], 40 - 16)
            self.assertGreaterEqual(st["writebacks"], st["threshold_writebacks"])
            for b in range(40):
                self.assertEqual(dev.read(b, 0, 16), bytes([b]) * 16)


if __name__ == "__main__":
    _support.main()
