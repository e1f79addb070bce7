"""Kernel: fsck (fs.h mk_fs_fsck) and the journal, from Python.

Damage is made at places of the documented on-disk layout
(src/fs/fs_format.h: superblock fields bmap_start at byte 32 and
itable_start at byte 56; inode i at byte (i % (B/128)) * 128 of the table,
nlink at byte 4 of an inode).
"""

import ctypes
import struct
import unittest

import _support
from _support import KernelTest
import mk
from mk._structs import mk_fsck_report_t, new

BS = 4096


def sb_u64(dev, off):
    return struct.unpack_from("<Q", dev.read(0, off, 8))[0]


class FsckTest(KernelTest):
    def setUp(self):
        super().setUp()
        self.dev = self.k.blk_create_ram("/dev/f", 2048, BS)   # 8 MiB
        self.dev.mkfs()


class TestFsck(FsckTest):
    def test_clean_and_counts(self):
        r = self.dev.fsck()
        self.assertEqual((r["problems"], r["repaired"], r["dirs"], r["files"]),
                         (0, 0, 1, 0))
        self.assertTrue(r["clean"])
        self.k.mount(self.dev, "/m")
        self.k.makedirs("/m/a/b")
        for i in range(5):
            self.k.write_file("/m/a/b/f%d" % i, b"x" * (i * 5000))
        self.k.unmount("/m")
        r = self.k.fs_fsck("/dev/f")                  # by name too
        self.assertEqual((r["problems"], r["dirs"], r["files"]), (0, 3, 5))
        self.assertGreater(r["blocks_used"], 0)
        self.assertEqual(r["flags"], 0)
        self.assertEqual(self.dev.fsck(repair=True)["flags"], 1)

    def test_refusals(self):
        self.k.mount(self.dev, "/m")
        self.assertMkError(mk.MK_EBUSY, self.dev.fsck)
        self.k.unmount("/m")
        blank = self.k.blk_create_ram("/dev/blank", 256, BS)
        self.assertMkError(mk.MK_ENOFS, blank.fsck)
        blank.write(0, b"foreign")
        self.assertMkError(mk.MK_ENOFS, blank.fsck, True)
        self.assertEqual(blank.read(0, 0, 7), b"foreign")   # untouched
        self.assertMkError(mk.MK_EBADH, self.k.fs_fsck, 12345)
        r = new(mk_fsck_report_t)
        dev = self.dev.handle
        self.assertEqual(self.k._rc("mk_fs_fsck", dev, 2, ctypes.byref(r)),
                         mk.MK_EINVAL)                  # unknown flag
        self.assertEqual(self.k._rc("mk_fs_fsck", dev, 0, None), mk.MK_EINVAL)
        r.size = 8
        self.assertEqual(self.k._rc("mk_fs_fsck", dev, 0, ctypes.byref(r)),
                         mk.MK_EINVAL)                  # size too small
        self.assertEqual(r.problems, 0)                 # not written
        self.assertTrue(self.dev.fsck()["clean"])       # nothing lost
        self.k.close()
        self.assertMkError(mk.MK_EBADH, self.k.fs_fsck, dev)

    def test_leaked_blocks_found_and_repaired(self):
        bm = sb_u64(self.dev, 32)
        self.dev.write(bm, b"\xff", offset=200)          # blocks 1600..1607
        r = self.dev.fsck()
        self.assertEqual((r["block_leaks"], r["problems"], r["repaired"]),
                         (8, 8, 0))
        self.assertFalse(r["clean"])
        self.assertEqual(self.dev.fsck()["block_leaks"], 8)   # check changes nothing
        r = self.dev.fsck(repair=True)
        self.assertEqual((r["problems"], r["repaired"]), (8, 8))
        self.assertTrue(r["clean"])
        self.assertEqual(self.dev.fsck()["problems"], 0)
        self.assertEqual(self.dev.read(bm, 200, 1), b"\x00")

    def test_link_count_repaired_and_data_kept(self):
        self.k.mount(self.dev, "/m")
        self.k.write_file("/m/f", b"payload")
        ino = self.k.stat("/m/f").ino
        self.k.unmount("/m")
        it = sb_u64(self.dev, 56)
        per = BS // 128
        blk, off = it + ino // per, (ino % per) * 128 + 4
        self.assertEqual(struct.unpack("<I", self.dev.read(blk, off, 4))[0], 1)
        self.dev.write(blk, struct.pack("<I", 5), offset=off)
        r = self.dev.fsck()
        self.assertEqual((r["link_counts"], r["problems"]), (1, 1))
        r = self.dev.fsck(repair=True)
        self.assertEqual(r["repaired"], 1)
        self.k.mount(self.dev, "/m")
        self.assertEqual(self.k.stat("/m/f").nlink, 1)
        self.assertEqual(self.k.read_file("/m/f"), b"payload")

    def test_root_beyond_repair(self):
        it = sb_u64(self.dev, 56)
        self.dev.write(it, b"\x07", offset=128)          # root inode type 7
        self.assertMkError(mk.MK_ECORRUPT, self.dev.fsck)
        self.assertMkError(mk.MK_ECORRUPT, self.dev.fsck, True)
        self.assertMkError(mk.MK_ECORRUPT, self.k.mount, self.dev, "/m")


class Recorder:
    """A block driver that logs every write, for power-cut replay."""

    def __init__(self, blocks=None):
        self.blocks = dict(blocks or {})
        self.log = []

    def read(self, blockno, count):
        return b"".join(self.blocks.get(blockno + i, bytes(BS))
                        for i in range(count))

    def write(self, blockno, data):
        for i in range(len(data) // BS):
            blk = data[i * BS:(i + 1) * BS]
            self.blocks[blockno + i] = blk
            self.log.append((blockno + i, blk))


class TestJournalPowerCut(unittest.TestCase):
    """Cut power after every device write of a small workload: each state
    mounts, passes fsck, and holds every file whose fsync returned."""

    NBLOCKS = 512

    def test_every_cut_point(self):
        base = Recorder()
        with mk.Kernel() as k:
            dev = k.blk_register("rec", base, self.NBLOCKS, BS)
            dev.mkfs()
            k.cache_flush()
        start = dict(base.blocks)
        rec = Recorder(start)
        durable = []            # (writes done when fsync returned, path, data)
        with mk.Kernel() as k:
            dev = k.blk_register("rec", rec, self.NBLOCKS, BS)
            k.mount(dev, "/m")
            k.makedirs("/m/d")
            for i in range(4):
                path, data = "/m/d/f%d" % i, bytes([65 + i]) * (3000 * (i + 1))
                fd = k.vfs_open(path, mk.MK_O_WRONLY | mk.MK_O_CREAT)
                k.vfs_write(fd, data)
                k.vfs_fsync(fd)
                k.vfs_close(fd)
                durable.append((len(rec.log), path, data))
            k.rename("/m/d/f0", "/m/d/g0")
            k.unlink("/m/d/f1")
            k.sync()
            durable.append((len(rec.log), None, None))   # rename+unlink synced
            k.unmount("/m")
        self.assertGreater(len(rec.log), 40)
        replayed_at = []
        for cut in range(len(rec.log) + 1):
            blocks = dict(start)
            for b, data in rec.log[:cut]:
                blocks[b] = data
            with mk.Kernel() as k:
                dev = k.blk_register("cut", Recorder(blocks), self.NBLOCKS, BS)
                r = dev.fsck()
                self.assertEqual(r["problems"], 0, "cut after %d writes: %r"
                                 % (cut, r))
                if r["journal_replayed"]:
                    replayed_at.append(cut)
                k.mount(dev, "/m")
                final = cut >= durable[-1][0]
                for when, path, data in durable[:4]:
                    if when > cut:
                        continue
                    name = path.rsplit("/", 1)[1]
                    if name in ("f2", "f3"):          # never touched again
                        self.assertEqual(k.read_file(path), data,
                                         "cut %d: %s" % (cut, path))
                    elif name == "f0":                # renamed to g0: atomic
                        there = [p for p in ("/m/d/f0", "/m/d/g0")
                                 if k.exists(p)]
                        self.assertEqual(len(there), 1, "cut %d: %r" % (cut, there))
                        self.assertEqual(k.read_file(there[0]), data)
                        if final:
                            self.assertEqual(there, ["/m/d/g0"])
                    else:                             # f1, unlinked later
                        if k.exists(path):
                            self.assertFalse(final, "cut %d: f1 back" % cut)
                            self.assertEqual(k.read_file(path), data)
                        else:
                            self.assertTrue(when <= cut)
                k.unmount("/m")
        # Some cut fell between a commit and its checkpoint: recovery had
        # work to do. Mount (not fsck) such a state: the mount replays it.
        self.assertTrue(replayed_at)
        blocks = dict(start)
        for b, data in rec.log[:replayed_at[0]]:
            blocks[b] = data
        with mk.Kernel() as k:
            dev = k.blk_register("cut", Recorder(blocks), self.NBLOCKS, BS)
            k.mount(dev, "/m")
            k.unmount("/m")
            r = dev.fsck()
            self.assertEqual((r["journal_replayed"], r["problems"]), (0, 0))


class TestMountFlags(KernelTest):
    def test_flags(self):
        dev = self.k.blk_create_ram("/dev/mf", 1024, BS)
        self.assertMkError(mk.MK_ENOFS, self.k.mount, dev, "/m")
        self.k.mount(dev, "/m", flags=mk.MK_MOUNT_FORMAT)    # same as format=
        self.k.unmount("/m")
        self.assertMkError(mk.MK_EINVAL, self.k.mount, dev, "/m",
                           flags=0x80000000)
        self.assertMkError(mk.MK_EINVAL, self.k.mount, dev, "/m", flags=-1)
        self.k.mount(dev, "/m")
        self.assertEqual(self.k.listdir("/m"), [])


if __name__ == "__main__":
    _support.main()
