"""The loaded libmk and a ctypes prototype for every public function.

``lib`` is the ``ctypes.CDLL``; every function listed in ``PROTOTYPES`` has
its ``argtypes`` and ``restype`` set here, explicitly, so that no argument
is ever passed with ctypes' default int conversion (pids are uint32, handles
and sizes 64-bit). A prototype whose symbol the loaded library lacks is
recorded in ``MISSING`` (a library older than this binding); calling it
raises AttributeError.
"""

import ctypes
from ctypes import (POINTER, c_char_p, c_int, c_int32, c_int64, c_size_t,
                    c_uint32, c_uint64, c_void_p)

from . import _loader
from ._structs import (mk_blk_ops_t, mk_block_info_t, mk_cache_stats_t,
                       mk_config_t, mk_dirent_t, mk_event_t, mk_heap_stats_t,
                       mk_mkfs_opts_t, mk_queue_attr_t, mk_stat_t,
                       mk_statfs_t)
from ._structs import mk_fsck_report_t  # fs.h
from ._structs import mk_proc_attr_t  # proc.h

lib, path = _loader.load()

P = POINTER
mk_t = c_void_p           # opaque ``mk_t *``
pid = c_uint32            # ``mk_pid_t``
h = c_uint64              # every ``mk_*_t`` handle
u32, u64, sz, buf = c_uint32, c_uint64, c_size_t, c_void_p

PROTOTYPES = {
    # version.h
    "mk_version": (u32, []),
    "mk_version_string": (c_char_p, []),
    # error.h
    "mk_strerror": (c_char_p, [c_int]),
    "mk_err_name": (c_char_p, [c_int]),
    # core.h
    "mk_config_init": (None, [P(mk_config_t)]),
    "mk_create": (c_int, [P(mk_config_t), P(mk_t)]),
    "mk_destroy": (c_int, [mk_t]),
    "mk_clock_now": (c_int, [mk_t, P(u64)]),
    "mk_clock_advance": (c_int, [mk_t, u64]),
    "mk_config_get": (c_int, [mk_t, P(mk_config_t)]),
    # trace.h
    "mk_trace_enable": (c_int, [mk_t, u32]),
    "mk_trace_read": (c_int, [mk_t, P(mk_event_t), sz, P(sz)]),
    "mk_trace_dropped": (c_int, [mk_t, P(u64)]),
    "mk_trace_set_callback": (c_int, [mk_t, c_void_p, c_void_p]),
    "mk_trace_mark": (c_int, [mk_t, pid, u64, u64]),
    "mk_event_name": (c_char_p, [u32]),
    # proc.h
    "mk_proc_create": (c_int, [mk_t, pid, P(pid)]),
    "mk_proc_exists": (c_int, [mk_t, pid]),
    "mk_proc_destroy": (c_int, [mk_t, pid]),
    "mk_proc_state": (c_int, [mk_t, pid, P(u32)]),
    "mk_proc_count": (c_int, [mk_t, P(u32)]),
    "mk_proc_list": (c_int, [mk_t, P(pid), u32, P(u32)]),
    "mk_proc_attr_init": (None, [P(mk_proc_attr_t)]),
    "mk_proc_spawn": (c_int, [mk_t, pid, P(mk_proc_attr_t), c_void_p,
                              c_void_p, P(pid)]),
    "mk_run": (c_int, [mk_t, u64, P(u32)]),
    "mk_stop": (c_int, [mk_t]),
    "mk_self": (pid, [mk_t]),
    "mk_yield": (c_int, [mk_t]),
    "mk_exit": (c_int, [mk_t, c_int32]),
    "mk_kill": (c_int, [mk_t, pid]),
    "mk_wait": (c_int, [mk_t, pid, u64, P(c_int32)]),
    "mk_sleep": (c_int, [mk_t, u64]),
    "mk_compute": (c_int, [mk_t, u64]),
    "mk_proc_set_priority": (c_int, [mk_t, pid, u32]),
    "mk_proc_priority": (c_int, [mk_t, pid, P(u32), P(u32)]),
    "mk_proc_cpu_ticks": (c_int, [mk_t, pid, P(u64)]),
    # mem.h
    "mk_heap_create": (c_int, [mk_t, u32, u64, P(h)]),
    "mk_heap_destroy": (c_int, [mk_t, h]),
    "mk_heap_reset": (c_int, [mk_t, h]),
    "mk_heap_set_fallback": (c_int, [mk_t, h, h]),
    "mk_heap_stats": (c_int, [mk_t, h, P(mk_heap_stats_t)]),
    "mk_mem_alloc": (c_int, [mk_t, pid, h, u64, P(h)]),
    "mk_mem_free": (c_int, [mk_t, pid, h]),
    "mk_mem_read": (c_int, [mk_t, pid, h, u64, buf, u64]),
    "mk_mem_write": (c_int, [mk_t, pid, h, u64, buf, u64]),
    "mk_mem_ptr": (c_int, [mk_t, pid, h, P(c_void_p)]),
    "mk_mem_info": (c_int, [mk_t, h, P(mk_block_info_t)]),
    "mk_mem_share": (c_int, [mk_t, pid, h, pid]),
    "mk_mem_unshare": (c_int, [mk_t, pid, h, pid]),
    "mk_mem_set_quota": (c_int, [mk_t, pid, u64]),
    "mk_mem_usage": (c_int, [mk_t, pid, P(u64), P(u64)]),
    "mk_mem_check": (c_int, [mk_t, pid, u64]),
    "mk_mem_violations": (c_int, [mk_t, pid, P(u64)]),
    # ipc.h
    "mk_mbox_send": (c_int, [mk_t, pid, u32, buf, sz, u64]),
    "mk_mbox_recv": (c_int, [mk_t, pid, P(u32), buf, sz, P(sz), u64]),
    "mk_mbox_peek": (c_int, [mk_t, pid, P(u32), P(sz)]),
    "mk_mbox_count": (c_int, [mk_t, pid, P(u32)]),
    "mk_mbox_set_capacity": (c_int, [mk_t, pid, u32]),
    "mk_queue_attr_init": (None, [P(mk_queue_attr_t)]),
    "mk_queue_create": (c_int, [mk_t, c_char_p, P(mk_queue_attr_t), P(h)]),
    "mk_queue_open": (c_int, [mk_t, c_char_p, P(h)]),
    "mk_queue_delete": (c_int, [mk_t, h]),
    "mk_queue_send": (c_int, [mk_t, h, u32, buf, sz, u64]),
    "mk_queue_recv": (c_int, [mk_t, h, pid, P(u32), buf, sz, P(sz), u64]),
    "mk_queue_peek": (c_int, [mk_t, h, pid, P(u32), P(sz)]),
    "mk_queue_subscribe": (c_int, [mk_t, h, pid]),
    "mk_queue_unsubscribe": (c_int, [mk_t, h, pid]),
    "mk_queue_count": (c_int, [mk_t, h, pid, P(u32)]),
    # sync.h
    "mk_sem_create": (c_int, [mk_t, c_char_p, u32, u32, P(h)]),
    "mk_sem_open": (c_int, [mk_t, c_char_p, P(h)]),
    "mk_sem_trywait": (c_int, [mk_t, h]),
    "mk_sem_wait": (c_int, [mk_t, h, u64]),
    "mk_sem_post": (c_int, [mk_t, h]),
    "mk_sem_value": (c_int, [mk_t, h, P(u32)]),
    "mk_sem_delete": (c_int, [mk_t, h]),
    "mk_mutex_create": (c_int, [mk_t, c_char_p, u32, P(h)]),
    "mk_mutex_open": (c_int, [mk_t, pid, c_char_p, P(h)]),
    "mk_mutex_close": (c_int, [mk_t, pid, h]),
    "mk_mutex_lock": (c_int, [mk_t, pid, h, u64]),
    "mk_mutex_unlock": (c_int, [mk_t, pid, h]),
    "mk_mutex_owner": (c_int, [mk_t, h, P(pid), P(u32)]),
    "mk_mutex_deadlock_report": (c_int, [mk_t, P(pid), P(h), u32, P(u32)]),
    # irq.h (handlers are C function pointers: pass a CFUNCTYPE object)
    "mk_irq_attach": (c_int, [mk_t, u32, c_void_p, c_void_p]),
    "mk_irq_detach": (c_int, [mk_t, u32, c_void_p, c_void_p]),
    "mk_irq_raise": (c_int, [mk_t, u32]),
    "mk_irq_mask": (c_int, [mk_t, u32]),
    "mk_irq_unmask": (c_int, [mk_t, u32]),
    "mk_irq_set_priority": (c_int, [mk_t, u32, u32]),
    "mk_irq_get_priority": (c_int, [mk_t, u32, P(u32)]),
    "mk_irq_pending": (c_int, [mk_t, P(u32), P(u32)]),
    "mk_irq_count": (c_int, [mk_t, u32, P(u64)]),
    "mk_term_input": (c_int, [mk_t, buf, sz, P(sz)]),
    "mk_term_read": (c_int, [mk_t, pid, buf, sz, P(sz), u64]),
    "mk_term_status": (c_int, [mk_t, P(u32), P(u64)]),
    "mk_exc_set_handler": (c_int, [mk_t, pid, c_void_p, c_void_p]),
    "mk_exc_raise": (c_int, [mk_t, pid, u32, u64, P(u32)]),
    "mk_exc_count": (c_int, [mk_t, pid, P(u64)]),
    # rpc.h
    "mk_rpc_call": (c_int, [mk_t, pid, pid, buf, sz, buf, sz, P(sz), u64]),
    "mk_rpc_receive": (c_int, [mk_t, pid, P(u64), P(pid), buf, sz, P(sz),
                               u64]),
    "mk_rpc_reply": (c_int, [mk_t, pid, u64, buf, sz]),
    "mk_rpc_pending": (c_int, [mk_t, pid, P(u32), P(u32)]),
    # blk.h
    "mk_blk_create_ram": (c_int, [mk_t, c_char_p, u32, u64, P(h)]),
    "mk_blk_open_image": (c_int, [mk_t, c_char_p, c_char_p, u32, u64, u32,
                                  P(h)]),
    "mk_blk_register": (c_int, [mk_t, c_char_p, P(mk_blk_ops_t), c_void_p,
                                u32, u64, P(h)]),
    "mk_blk_lookup": (c_int, [mk_t, c_char_p, P(h)]),
    "mk_blk_remove": (c_int, [mk_t, h]),
    "mk_blk_info": (c_int, [mk_t, h, P(u32), P(u64)]),
    "mk_blk_read": (c_int, [mk_t, h, u64, u32, buf, sz]),
    "mk_blk_write": (c_int, [mk_t, h, u64, u32, buf, sz]),
    "mk_cache_flush": (c_int, [mk_t, h]),
    "mk_cache_evict": (c_int, [mk_t, P(u64)]),
    "mk_cache_stats": (c_int, [mk_t, P(mk_cache_stats_t)]),
    # fs.h
    "mk_mkfs_opts_init": (None, [P(mk_mkfs_opts_t)]),
    "mk_fs_mkfs": (c_int, [mk_t, h, P(mk_mkfs_opts_t)]),
    "mk_fs_probe": (c_int, [mk_t, h, P(u32)]),
    "mk_fs_fsck": (c_int, [mk_t, h, u32, P(mk_fsck_report_t)]),
    # vfs.h
    "mk_vfs_mount": (c_int, [mk_t, h, c_char_p, u32]),
    "mk_vfs_unmount": (c_int, [mk_t, c_char_p]),
    "mk_vfs_open": (c_int, [mk_t, pid, c_char_p, u32, P(h)]),
    "mk_vfs_close": (c_int, [mk_t, pid, h]),
    "mk_vfs_read": (c_int, [mk_t, pid, h, buf, sz, P(sz)]),
    "mk_vfs_write": (c_int, [mk_t, pid, h, buf, sz, P(sz)]),
    "mk_vfs_pread": (c_int, [mk_t, pid, h, buf, sz, u64, P(sz)]),
    "mk_vfs_pwrite": (c_int, [mk_t, pid, h, buf, sz, u64, P(sz)]),
    "mk_vfs_seek": (c_int, [mk_t, pid, h, c_int64, u32, P(u64)]),
    "mk_vfs_ftruncate": (c_int, [mk_t, pid, h, u64]),
    "mk_vfs_truncate": (c_int, [mk_t, c_char_p, u64]),
    "mk_vfs_fsync": (c_int, [mk_t, pid, h]),
    "mk_vfs_sync": (c_int, [mk_t]),
    "mk_vfs_unlink": (c_int, [mk_t, c_char_p]),
    "mk_vfs_mkdir": (c_int, [mk_t, c_char_p]),
    "mk_vfs_rmdir": (c_int, [mk_t, c_char_p]),
    "mk_vfs_rename": (c_int, [mk_t, c_char_p, c_char_p]),
    "mk_vfs_stat": (c_int, [mk_t, c_char_p, P(mk_stat_t)]),
    "mk_vfs_fstat": (c_int, [mk_t, pid, h, P(mk_stat_t)]),
    "mk_vfs_readdir": (c_int, [mk_t, pid, h, P(mk_dirent_t), P(u32)]),
    "mk_vfs_statfs": (c_int, [mk_t, c_char_p, P(mk_statfs_t)]),
    # client.h (connection to mkd; ``cl`` is an opaque ``mk_client_t *``)
    "mk_client_default_path": (c_int, [c_char_p, sz]),
    "mk_client_connect": (c_int, [c_char_p, P(c_void_p)]),
    "mk_client_close": (c_int, [c_void_p]),
    "mk_client_ping": (c_int, [c_void_p, buf, sz]),
    "mk_client_tick_hz": (c_int, [c_void_p, P(u32)]),
    "mk_client_frame_max": (c_int, [c_void_p, P(u32)]),
    "mk_client_proc_create": (c_int, [c_void_p, pid, P(pid)]),
    "mk_client_proc_destroy": (c_int, [c_void_p, pid]),
    "mk_client_proc_exists": (c_int, [c_void_p, pid]),
    "mk_client_mbox_send": (c_int, [c_void_p, pid, u32, buf, sz, u64]),
    "mk_client_mbox_recv": (c_int, [c_void_p, pid, P(u32), buf, sz, P(sz), u64]),
    "mk_client_mbox_count": (c_int, [c_void_p, pid, P(u32)]),
    "mk_client_queue_create": (c_int, [c_void_p, c_char_p, u32, u32, u32, P(h)]),
    "mk_client_queue_open": (c_int, [c_void_p, c_char_p, P(h)]),
    "mk_client_queue_delete": (c_int, [c_void_p, h]),
    "mk_client_queue_send": (c_int, [c_void_p, h, u32, buf, sz, u64]),
    "mk_client_queue_recv": (c_int, [c_void_p, h, pid, P(u32), buf, sz, P(sz), u64]),
    "mk_client_queue_subscribe": (c_int, [c_void_p, h, pid]),
    "mk_client_queue_unsubscribe": (c_int, [c_void_p, h, pid]),
    "mk_client_queue_count": (c_int, [c_void_p, h, pid, P(u32)]),
    "mk_client_sem_create": (c_int, [c_void_p, c_char_p, u32, u32, P(h)]),
    "mk_client_sem_open": (c_int, [c_void_p, c_char_p, P(h)]),
    "mk_client_sem_wait": (c_int, [c_void_p, h, u64]),
    "mk_client_sem_post": (c_int, [c_void_p, h]),
    "mk_client_sem_value": (c_int, [c_void_p, h, P(u32)]),
    "mk_client_sem_delete": (c_int, [c_void_p, h]),
    "mk_client_vfs_open": (c_int, [c_void_p, pid, c_char_p, u32, P(h)]),
    "mk_client_vfs_close": (c_int, [c_void_p, pid, h]),
    "mk_client_vfs_read": (c_int, [c_void_p, pid, h, buf, sz, P(sz)]),
    "mk_client_vfs_write": (c_int, [c_void_p, pid, h, buf, sz, P(sz)]),
    "mk_client_vfs_pread": (c_int, [c_void_p, pid, h, buf, sz, u64, P(sz)]),
    "mk_client_vfs_pwrite": (c_int, [c_void_p, pid, h, buf, sz, u64, P(sz)]),
    "mk_client_vfs_seek": (c_int, [c_void_p, pid, h, c_int64, u32, P(u64)]),
    "mk_client_vfs_unlink": (c_int, [c_void_p, c_char_p]),
    "mk_client_vfs_mkdir": (c_int, [c_void_p, c_char_p]),
    "mk_client_vfs_stat": (c_int, [c_void_p, c_char_p, P(mk_stat_t)]),
}

MISSING = []


def _bind():
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            MISSING.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes


_bind()
