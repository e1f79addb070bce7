/*
 * layout-probe - prints the size and field offsets of every public libmk
 * structure as "struct size field:offset ..." lines, one struct a line.
 * test_layout.py compares them with the ctypes mirrors in mk/_structs.py,
 * so a field added, moved or resized in a header fails the Python suite.
 * Built by bindings/python/meson.build against the public headers only.
 */
#include <stddef.h>
#include <stdio.h>

#include <microkernel/mk.h>

#define S(t) printf("\n%s %zu", #t, sizeof(t))
#define F(t, f) printf(" %s:%zu", #f, offsetof(t, f))

int main(void)
{
    S(mk_event_t); F(mk_event_t, tick); F(mk_event_t, seq); F(mk_event_t, type);
    F(mk_event_t, pid); F(mk_event_t, a); F(mk_event_t, b);

    S(mk_config_t); F(mk_config_t, size); F(mk_config_t, tick_hz);
    F(mk_config_t, mem_size); F(mk_config_t, mem_region);
    F(mk_config_t, mem_region_size); F(mk_config_t, default_heap_size);
    F(mk_config_t, cache_blocks); F(mk_config_t, quantum_ticks);
    F(mk_config_t, default_quota); F(mk_config_t, cache_policy);
    F(mk_config_t, cache_readahead); F(mk_config_t, cache_dirty_pct);
    F(mk_config_t, reserved0);

    S(mk_proc_attr_t); F(mk_proc_attr_t, size); F(mk_proc_attr_t, priority);
    F(mk_proc_attr_t, stack_size); F(mk_proc_attr_t, flags);
    F(mk_proc_attr_t, reserved);

    S(mk_heap_stats_t); F(mk_heap_stats_t, size); F(mk_heap_stats_t, kind);
    F(mk_heap_stats_t, capacity); F(mk_heap_stats_t, used);
    F(mk_heap_stats_t, free); F(mk_heap_stats_t, largest_free);
    F(mk_heap_stats_t, high_water); F(mk_heap_stats_t, live_blocks);
    F(mk_heap_stats_t, allocs); F(mk_heap_stats_t, frees);
    F(mk_heap_stats_t, failed); F(mk_heap_stats_t, fragmentation_permille);
    F(mk_heap_stats_t, reserved); F(mk_heap_stats_t, requested);

    S(mk_block_info_t); F(mk_block_info_t, size); F(mk_block_info_t, owner);
    F(mk_block_info_t, bytes); F(mk_block_info_t, addr);
    F(mk_block_info_t, heap); F(mk_block_info_t, shares);
    F(mk_block_info_t, reserved);

    S(mk_queue_attr_t); F(mk_queue_attr_t, size); F(mk_queue_attr_t, mode);
    F(mk_queue_attr_t, capacity); F(mk_queue_attr_t, msg_max);

    S(mk_blk_ops_t); F(mk_blk_ops_t, size); F(mk_blk_ops_t, read);
    F(mk_blk_ops_t, write); F(mk_blk_ops_t, sync); F(mk_blk_ops_t, close);

    S(mk_cache_stats_t); F(mk_cache_stats_t, size);
    F(mk_cache_stats_t, capacity); F(mk_cache_stats_t, cached);
    F(mk_cache_stats_t, dirty); F(mk_cache_stats_t, pinned);
    F(mk_cache_stats_t, hits); F(mk_cache_stats_t, misses);
    F(mk_cache_stats_t, evictions); F(mk_cache_stats_t, writebacks);
    F(mk_cache_stats_t, dev_reads); F(mk_cache_stats_t, dev_writes);
    F(mk_cache_stats_t, policy); F(mk_cache_stats_t, readahead);
    F(mk_cache_stats_t, ra_reads); F(mk_cache_stats_t, ra_blocks);
    F(mk_cache_stats_t, ra_hits); F(mk_cache_stats_t, dirty_limit);
    F(mk_cache_stats_t, threshold_writebacks);

    S(mk_mkfs_opts_t); F(mk_mkfs_opts_t, size); F(mk_mkfs_opts_t, inodes);

    S(mk_fsck_report_t); F(mk_fsck_report_t, size); F(mk_fsck_report_t, flags);
    F(mk_fsck_report_t, journal_replayed); F(mk_fsck_report_t, files);
    F(mk_fsck_report_t, dirs); F(mk_fsck_report_t, blocks_used);
    F(mk_fsck_report_t, bad_inodes); F(mk_fsck_report_t, bad_pointers);
    F(mk_fsck_report_t, dup_blocks); F(mk_fsck_report_t, block_leaks);
    F(mk_fsck_report_t, block_unmarked); F(mk_fsck_report_t, inode_leaks);
    F(mk_fsck_report_t, inode_unmarked); F(mk_fsck_report_t, link_counts);
    F(mk_fsck_report_t, block_counts); F(mk_fsck_report_t, bad_entries);
    F(mk_fsck_report_t, bad_dirs); F(mk_fsck_report_t, problems);
    F(mk_fsck_report_t, repaired);

    S(mk_stat_t); F(mk_stat_t, size); F(mk_stat_t, type); F(mk_stat_t, ino);
    F(mk_stat_t, bytes); F(mk_stat_t, blocks); F(mk_stat_t, nlink);
    F(mk_stat_t, ctime); F(mk_stat_t, mtime);

    S(mk_dirent_t); F(mk_dirent_t, size); F(mk_dirent_t, type);
    F(mk_dirent_t, ino); F(mk_dirent_t, name);

    S(mk_statfs_t); F(mk_statfs_t, size); F(mk_statfs_t, block_size);
    F(mk_statfs_t, blocks); F(mk_statfs_t, free_blocks);
    F(mk_statfs_t, inodes); F(mk_statfs_t, free_inodes);
    printf("\n");
    return 0;
}
