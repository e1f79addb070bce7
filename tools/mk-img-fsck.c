/*
 * mk-img-fsck.c - "mk-img fsck": check (and with --repair, mend) an image.
 *
 * Sits on the public API: mk_fs_fsck() (fs.h) replays a committed
 * journal transaction and checks every on-disk structure of the unmounted
 * device (repairing with --repair); then the image is mounted and every
 * directory walked and every file read to its end through the VFS
 * (img_check_walk), which proves the tree is usable the way a program
 * uses it (a read error or a file that reads short is a problem).
 *
 * Exit codes: 0 clean, 3 problems found (and left, or not all repaired),
 * 7 --repair fixed every problem it found, 1 the check itself failed (I/O).
 */
#include "mk-img.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

static void fsck_print(const mk_fsck_report_t *r)
{
    static const struct {
        const char *what;
        size_t off;
    } kinds[] = {
        {"inodes with a bad type or size", offsetof(mk_fsck_report_t, bad_inodes)},
        {"block pointers outside the data area", offsetof(mk_fsck_report_t, bad_pointers)},
        {"blocks claimed twice", offsetof(mk_fsck_report_t, dup_blocks)},
        {"leaked blocks", offsetof(mk_fsck_report_t, block_leaks)},
        {"used blocks marked free", offsetof(mk_fsck_report_t, block_unmarked)},
        {"leaked inodes", offsetof(mk_fsck_report_t, inode_leaks)},
        {"used inodes marked free", offsetof(mk_fsck_report_t, inode_unmarked)},
        {"wrong link counts", offsetof(mk_fsck_report_t, link_counts)},
        {"wrong block counts", offsetof(mk_fsck_report_t, block_counts)},
        {"bad directory entries", offsetof(mk_fsck_report_t, bad_entries)},
        {"bad directories", offsetof(mk_fsck_report_t, bad_dirs)},
    };
    printf("structural check: %" PRIu64 " directories, %" PRIu64 " files, %" PRIu64
           " blocks in use", r->dirs, r->files, r->blocks_used);
    if (r->journal_replayed)
        printf(", %" PRIu64 " journal blocks replayed", r->journal_replayed);
    printf("; %" PRIu64 " problems, %" PRIu64 " repaired\n", r->problems, r->repaired);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        uint64_t v;
        memcpy(&v, (const char *)r + kinds[i].off, sizeof v);
        if (v)
            printf("  %-40s %" PRIu64 "\n", kinds[i].what, v);
    }
}

/* The library's structural check; returns an exit code, sets *repaired. */
static int fsck_structural(img_t *im, const args_t *a, int *repaired)
{
    mk_fsck_report_t r;
    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    int rc = mk_fs_fsck(im->k, im->dev, a->repair ? MK_FSCK_REPAIR : 0, &r);
    if (rc != 0) {
        img_report("fsck", im->file, rc);
        return img_exit_for(rc);
    }
    if (!a->o.quiet)
        fsck_print(&r);
    if (r.problems > r.repaired) {
        uint64_t left = r.problems - r.repaired;
        printf("%s: %" PRIu64 " problem%s found%s\n", im->file, left, left == 1 ? "" : "s",
               a->repair ? " that could not be repaired" : " (run with --repair)");
        return IMG_EXIT_CORRUPT;
    }
    *repaired = r.repaired != 0;
    return 0;
}

int cmd_fsck(args_t *a)
{
    img_t im;
    int repaired = 0;
    int ec = img_open(&im, a->argv[0], 0);
    if (ec == 0)
        ec = fsck_structural(&im, a, &repaired);
    if (ec != 0)
        return img_close(&im, ec);
    int rc = mk_vfs_mount(im.k, im.dev, "/", 0);
    if (rc != 0) {
        img_report("fsck: mount", im.file, rc);
        return img_close(&im, rc == MK_EIO ? IMG_EXIT_FAIL : IMG_EXIT_CORRUPT);
    }
    im.mounted = 1;
    uint64_t files, dirs, bytes;
    rc = img_check_walk(&im, &files, &dirs, &bytes);
    if (!a->o.quiet)
        printf("read check: %" PRIu64 " directories, %" PRIu64 " files, %" PRIu64
               " bytes read%s\n", dirs, files, bytes, rc == 0 ? ", no errors" : "");
    if (rc != 0)
        ec = rc == MK_EIO || rc == MK_ENOMEM ? IMG_EXIT_FAIL : IMG_EXIT_CORRUPT;
    ec = img_close(&im, ec);
    if (ec == 0 && !a->o.quiet)
        printf("%s: clean%s\n", a->argv[0], repaired ? " after repair" : "");
    return ec == 0 && repaired ? IMG_EXIT_REPAIRED : ec;
}
