"""ctypes mirrors of libmk's public structures (field for field, in order).

Every structure starts with ``uint32_t size``; :func:`new` fills it so the
library knows which layout the caller has.
"""

import ctypes
from ctypes import c_uint32, c_uint64, c_void_p

mk_pid_t = c_uint32
mk_handle_t = c_uint64


class mk_config_t(ctypes.Structure):
    """core.h ``mk_config_t``."""
    _fields_ = [
        ("size", c_uint32),
        ("tick_hz", c_uint32),
        ("mem_size", c_uint64),
        ("mem_region", c_void_p),
        ("mem_region_size", c_uint64),
        ("default_heap_size", c_uint64),
        ("cache_blocks", c_uint32),
        ("quantum_ticks", c_uint32),
        ("default_quota", c_uint64),
        # appended after the first layout (size-versioned)
        ("cache_policy", c_uint32),
        ("cache_readahead", c_uint32),
        ("cache_dirty_pct", c_uint32),
        ("reserved0", c_uint32),
    ]


# proc.h ----------------------------------------------------------------
class mk_proc_attr_t(ctypes.Structure):
    """proc.h ``mk_proc_attr_t`` (attributes of a spawned process)."""
    _fields_ = [
        ("size", c_uint32),
        ("priority", c_uint32),
        ("stack_size", c_uint64),
        ("flags", c_uint32),
        ("reserved", c_uint32),
    ]


def new(struct_type, **fields):
    """An instance of ``struct_type`` with ``size`` set and ``fields`` applied."""
    s = struct_type()
    s.size = ctypes.sizeof(struct_type)
    for name, value in fields.items():
        setattr(s, name, value)
    return s


def as_dict(s):
    """A structure's fields as a dict (``size`` left out)."""
    return {name: getattr(s, name) for name, _t in s._fields_ if name != "size"}


# blk.h -----------------------------------------------------------------
BLK_READ_FN = ctypes.CFUNCTYPE(ctypes.c_int, c_void_p, c_uint64, c_void_p,
                               c_uint32)
BLK_WRITE_FN = ctypes.CFUNCTYPE(ctypes.c_int, c_void_p, c_uint64, c_void_p,
                                c_uint32)
BLK_SYNC_FN = ctypes.CFUNCTYPE(ctypes.c_int, c_void_p)
BLK_CLOSE_FN = ctypes.CFUNCTYPE(None, c_void_p)


class mk_blk_ops_t(ctypes.Structure):
    """blk.h ``mk_blk_ops_t``."""
    _fields_ = [
        ("size", c_uint32),
        ("read", BLK_READ_FN),
        ("write", BLK_WRITE_FN),
        ("sync", BLK_SYNC_FN),
        ("close", BLK_CLOSE_FN),
    ]


class mk_cache_stats_t(ctypes.Structure):
    """blk.h ``mk_cache_stats_t``."""
    _fields_ = [
        ("size", c_uint32),
        ("capacity", c_uint32),
        ("cached", c_uint64),
        ("dirty", c_uint64),
        ("pinned", c_uint64),
        ("hits", c_uint64),
        ("misses", c_uint64),
        ("evictions", c_uint64),
        ("writebacks", c_uint64),
        ("dev_reads", c_uint64),
        ("dev_writes", c_uint64),
        # appended after the first layout (size-versioned)
        ("policy", c_uint32),
        ("readahead", c_uint32),
        ("ra_reads", c_uint64),
        ("ra_blocks", c_uint64),
        ("ra_hits", c_uint64),
        ("dirty_limit", c_uint64),
        ("threshold_writebacks", c_uint64),
    ]


# fs.h ------------------------------------------------------------------
class mk_mkfs_opts_t(ctypes.Structure):
    """fs.h ``mk_mkfs_opts_t``."""
    _fields_ = [
        ("size", c_uint32),
        ("inodes", c_uint32),
    ]


class mk_fsck_report_t(ctypes.Structure):
    """fs.h ``mk_fsck_report_t`` (counts per kind of problem)."""
    _fields_ = [
        ("size", c_uint32),
        ("flags", c_uint32),
        ("journal_replayed", c_uint64),
        ("files", c_uint64),
        ("dirs", c_uint64),
        ("blocks_used", c_uint64),
        ("bad_inodes", c_uint64),
        ("bad_pointers", c_uint64),
        ("dup_blocks", c_uint64),
        ("block_leaks", c_uint64),
        ("block_unmarked", c_uint64),
        ("inode_leaks", c_uint64),
        ("inode_unmarked", c_uint64),
        ("link_counts", c_uint64),
        ("block_counts", c_uint64),
        ("bad_entries", c_uint64),
        ("bad_dirs", c_uint64),
        ("problems", c_uint64),
        ("repaired", c_uint64),
    ]


# ipc.h -----------------------------------------------------------------
class mk_queue_attr_t(ctypes.Structure):
    """ipc.h ``mk_queue_attr_t``."""
    _fields_ = [
        ("size", c_uint32),
        ("mode", c_uint32),
        ("capacity", c_uint32),
        ("msg_max", c_uint32),
    ]


# vfs.h -----------------------------------------------------------------
MK_NAME_MAX = 59


class mk_stat_t(ctypes.Structure):
    """vfs.h ``mk_stat_t``."""
    _fields_ = [
        ("size", c_uint32),
        ("type", c_uint32),
        ("ino", c_uint64),
        ("bytes", c_uint64),
        ("blocks", c_uint64),
        ("nlink", c_uint64),
        ("ctime", c_uint64),
        ("mtime", c_uint64),
    ]


class mk_dirent_t(ctypes.Structure):
    """vfs.h ``mk_dirent_t``."""
    _fields_ = [
        ("size", c_uint32),
        ("type", c_uint32),
        ("ino", c_uint64),
        ("name", ctypes.c_char * (MK_NAME_MAX + 1)),
    ]


class mk_statfs_t(ctypes.Structure):
    """vfs.h ``mk_statfs_t``."""
    _fields_ = [
        ("size", c_uint32),
        ("block_size", c_uint32),
        ("blocks", c_uint64),
        ("free_blocks", c_uint64),
        ("inodes", c_uint64),
        ("free_inodes", c_uint64),
    ]


# mem.h -----------------------------------------------------------------
class mk_heap_stats_t(ctypes.Structure):
    """mem.h ``mk_heap_stats_t``."""
    _fields_ = [
        ("size", c_uint32),
        ("kind", c_uint32),
        ("capacity", c_uint64),
        ("used", c_uint64),
        ("free", c_uint64),
        ("largest_free", c_uint64),
        ("high_water", c_uint64),
        ("live_blocks", c_uint64),
        ("allocs", c_uint64),
        ("frees", c_uint64),
        ("failed", c_uint64),
        ("fragmentation_permille", c_uint32),
        ("reserved", c_uint32),
        ("requested", c_uint64),
    ]


class mk_block_info_t(ctypes.Structure):
    """mem.h ``mk_block_info_t``."""
    _fields_ = [
        ("size", c_uint32),
        ("owner", c_uint32),
        ("bytes", c_uint64),
        ("addr", c_uint64),
        ("heap", c_uint64),
        ("shares", c_uint32),
        ("reserved", c_uint32),
    ]


# trace.h ---------------------------------------------------------------
class mk_event_t(ctypes.Structure):
    """trace.h ``mk_event_t`` (fixed layout, no size field)."""
    _fields_ = [
        ("tick", c_uint64),
        ("seq", c_uint64),
        ("type", c_uint32),
        ("pid", c_uint32),
        ("a", c_uint64),
        ("b", c_uint64),
    ]
