/*
 * test-powercut.c - power-cut testing of the journaled file system, after
 * littlefs's emulated block device and Linux's dm-log-writes: a callback
 * block device over host memory counts every block write and can "cut the
 * power" after the N-th (dropping it and every later one, or tearing it:
 * only its first half reaches the medium).
 *
 * The runner plays one workload (creates, appends, renames with and
 * without a victim, unlinks, truncates, directory churn, fsyncs, a sync,
 * an unmount) once without a cut, recording the tree after every
 * operation and the writes each operation issued; then once per write
 * point N (every one, both modes), cutting at N. After each cut a fresh
 * mk_t takes the medium: mk_fs_fsck must find nothing wrong, and the tree
 * that mounts must be exactly the tree after some operation between the
 * last durability point (fsync, sync, unmount) that returned before the
 * cut and the operation the cut interrupted: the journal makes every
 * operation all-or-nothing and never loses what a durability point
 * vouched for.
 *
 * Public API only. Bounded: a 512 KiB device, a workload of ~160 ops
 * (~115 of them grow one directory past its first index block).
 */
#include <microkernel/mk.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Check's ck_assert_* writes to a pipe on every call (even when it
 * passes); the runner checks ~10^5 conditions, so it tests quietly and
 * calls into Check only on a failure. */
#define REQ_EQ(a, b)                                                                   \
    do {                                                                               \
        long long req_a_ = (long long)(a), req_b_ = (long long)(b);                    \
        if (req_a_ != req_b_)                                                          \
            ck_abort_msg("%s:%d: %s == %lld, expected %lld", __FILE__, __LINE__, #a,   \
                         req_a_, req_b_);                                              \
    } while (0)
#define REQ(c)                                                                         \
    do {                                                                               \
        if (!(c))                                                                      \
            ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                         \
    } while (0)

#define BS 1024u
#define NB 512u
#define MAXOPS 256
#define SNAP 8192
/* A directory that grows past one index block (fs_format.h: 1 KiB blocks
 * hold 14 entries, then the name index; an index leaf holds 105 names). */
#define NBIG 112
/* Steps of two files written a block at a time in turn (format version 3:
 * each is fragmented into more extents than its inode holds, so extent
 * tree blocks are made, split and freed), a truncate, an fsync, an unlink. */
#define NFRAG_B 10
#define NFRAG (2 * NFRAG_B + 3)

/* ---- the power-cut device ---------------------------------------------- */

struct pcdev {
    uint8_t disk[NB * BS];
    long writes;  /* block writes seen (counted even after the cut) */
    long cut_at;  /* 0 = never; else the write number that loses power */
    int torn;     /* the cut write lands half */
};

static int pc_read(void *ctx, uint64_t blockno, void *buf, uint32_t count)
{
    struct pcdev *p = ctx;
    memcpy(buf, p->disk + blockno * BS, (size_t)count * BS);
    return 0;
}

static int pc_write(void *ctx, uint64_t blockno, const void *buf, uint32_t count)
{
    struct pcdev *p = ctx;
    for (uint32_t i = 0; i < count; i++) {
        long n = ++p->writes;
        if (p->cut_at != 0 && n > p->cut_at)
            continue; /* no power: dropped */
        size_t len = BS;
        if (p->cut_at != 0 && n == p->cut_at) {
            if (!p->torn)
                continue;
            len = BS / 2;
        }
        memcpy(p->disk + (blockno + i) * BS, (const uint8_t *)buf + (size_t)i * BS, len);
    }
    return 0;
}

static mk_dev_t pc_attach(mk_t *k, struct pcdev *p)
{
    mk_blk_ops_t ops;
    memset(&ops, 0, sizeof ops);
    ops.size = sizeof ops;
    ops.read = pc_read;
    ops.write = pc_write;
    mk_dev_t d = 0;
    ck_assert_int_eq(mk_blk_register(k, "pc", &ops, p, BS, NB, &d), 0);
    return d;
}

/* ---- the tree, as a string --------------------------------------------- */

static uint32_t fnv(const uint8_t *p, size_t n, uint32_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void walk(mk_t *k, const char *dir, char *out, size_t cap);

static void walk(mk_t *k, const char *dir, char *out, size_t cap)
{
    mk_fd_t fd;
    REQ_EQ(mk_vfs_open(k, MK_PID_KERNEL, dir, MK_O_RDONLY | MK_O_DIRECTORY, &fd), 0);
    /* Entries come in slot order, which differs between equal trees
     * reached different ways: collect and sort names first. */
    char names[NBIG + 16][MK_NAME_MAX + 1];
    int n = 0;
    for (;;) {
        mk_dirent_t e;
        e.size = sizeof e;
        uint32_t got = 0;
        REQ_EQ(mk_vfs_readdir(k, MK_PID_KERNEL, fd, &e, &got), 0);
        if (!got)
            break;
        if (strcmp(e.name, ".") == 0 || strcmp(e.name, "..") == 0)
            continue;
        REQ(n < NBIG + 16);
        strcpy(names[n++], e.name);
    }
    REQ_EQ(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < n; i++) {
        char path[256];
        snprintf(path, sizeof path, "%.180s%s%.59s", dir, strcmp(dir, "/") ? "/" : "",
                 names[i]);
        mk_stat_t st;
        st.size = sizeof st;
        REQ_EQ(mk_vfs_stat(k, path, &st), 0);
        char line[400];
        if (st.type == MK_FT_DIR) {
            snprintf(line, sizeof line, "%s/ n%llu\n", path, (unsigned long long)st.nlink);
            REQ(strlen(out) + strlen(line) < cap);
            strcat(out, line);
            walk(k, path, out, cap);
            continue;
        }
        static uint8_t buf[65536];
        REQ(st.bytes <= sizeof buf);
        REQ_EQ(mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_RDONLY, &fd), 0);
        size_t got = 0;
        if (st.bytes > 0)
            REQ_EQ(mk_vfs_read(k, MK_PID_KERNEL, fd, buf, sizeof buf, &got), 0);
        REQ_EQ(got, st.bytes);
        REQ_EQ(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
        snprintf(line, sizeof line, "%s %llu n%llu h%08x\n", path,
                 (unsigned long long)st.bytes, (unsigned long long)st.nlink,
                 fnv(buf, got, 2166136261u));
        REQ(strlen(out) + strlen(line) < cap);
        strcat(out, line);
    }
}

/* ---- the workload ------------------------------------------------------ */

struct run {
    mk_t *k;
    struct pcdev *p;
    int nops;
    long wend[MAXOPS];  /* writes issued when op i returned */
    int durable[MAXOPS]; /* op i is a durability point */
    char (*snap)[SNAP]; /* [MAXOPS + 1] tree after op i (0 = before any) */
    int nowalk;         /* a crash run: no snapshots */
};

static void fill(uint8_t *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 8));
}

static void mark(int durable);

/* Create/open, then write in calls of at most 8 KiB (each one a step: a
 * write call may span transactions only past MK__TX_WCHUNK blocks). */
static void put(mk_t *k, const char *path, uint32_t flags, size_t len, unsigned seed)
{
    static uint8_t buf[48000];
    fill(buf, len, seed);
    mk_fd_t fd;
    REQ_EQ(mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_WRONLY | MK_O_CREAT | flags, &fd),
                     0);
    mark(0);
    for (size_t off = 0; off < len;) {
        size_t n = 0, want = len - off > 8192 ? 8192 : len - off;
        REQ_EQ(mk_vfs_write(k, MK_PID_KERNEL, fd, buf + off, want, &n), 0);
        REQ_EQ(n, want);
        off += n;
        mark(0);
    }
    REQ_EQ(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
}

static void fsync_path(mk_t *k, const char *path)
{
    mk_fd_t fd;
    REQ_EQ(mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_RDONLY, &fd), 0);
    REQ_EQ(mk_vfs_fsync(k, MK_PID_KERNEL, fd), 0);
    REQ_EQ(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
}

/* Operation i of the workload: each file system call in it ends with
 * mark(durable). Returns -1 past the end. */
static int op(mk_t *k, int i)
{
    switch (i) {
    case 0: REQ_EQ(mk_vfs_mkdir(k, "/a"), 0); mark(0); return 0;
    case 1: put(k, "/a/f1", 0, 3000, 1); return 0;
    case 2: fsync_path(k, "/a/f1"); mark(1); return 0;
    case 3: put(k, "/b.txt", 0, 100, 2); return 0;
    case 4: put(k, "/a/f1", MK_O_APPEND, 2500, 3); return 0;
    case 5: REQ_EQ(mk_vfs_rename(k, "/b.txt", "/a/b2"), 0); mark(0); return 0;
    case 6: REQ_EQ(mk_vfs_mkdir(k, "/a/sub"), 0); mark(0); return 0;
    case 7: put(k, "/a/sub/x", 0, 5000, 4); return 0;
    case 8: REQ_EQ(mk_vfs_sync(k), 0); mark(1); return 0;
    case 9: REQ_EQ(mk_vfs_unlink(k, "/a/f1"), 0); mark(0); return 0;
    case 10: REQ_EQ(mk_vfs_truncate(k, "/a/sub/x", 700), 0); mark(0); return 0;
    case 11: put(k, "/c", 0, 40000, 5); return 0; /* several transactions */
    case 12: REQ_EQ(mk_vfs_rename(k, "/c", "/a/b2"), 0); mark(0); return 0; /* replaces */
    case 13: REQ_EQ(mk_vfs_mkdir(k, "/d"), 0); mark(0); return 0;
    case 14: put(k, "/d/e", 0, 1500, 6); return 0;
    case 15: REQ_EQ(mk_vfs_rename(k, "/d/e", "/a/sub/e"), 0); mark(0); return 0;
    case 16: REQ_EQ(mk_vfs_rmdir(k, "/d"), 0); mark(0); return 0;
    case 17: fsync_path(k, "/a/sub/e"); mark(1); return 0;
    case 18: REQ_EQ(mk_vfs_rename(k, "/a/sub", "/s"), 0); mark(0); return 0; /* dir move */
    case 19: REQ_EQ(mk_vfs_truncate(k, "/s/x", 9000), 0); mark(0); return 0; /* grows */
    case 20: put(k, "/s/x", MK_O_APPEND, 800, 7); return 0;
    case 21: put(k, "/a/b2", MK_O_TRUNC, 300, 8); return 0;
    case 22: REQ_EQ(mk_vfs_unlink(k, "/s/e"), 0); mark(0); return 0;
    default:
        if (i < 23 + 8) { /* churn: create, unlink, rename small files */
            int j = i - 23;
            char p[32], q[32];
            snprintf(p, sizeof p, "/t%d", j / 2);
            snprintf(q, sizeof q, "/a/t%dr", j / 2);
            if (j % 2 == 0) {
                put(k, p, 0, 200u * (unsigned)(j + 1), (unsigned)i);
                return 0;
            }
            if (j % 4 == 1)
                REQ_EQ(mk_vfs_unlink(k, p), 0);
            else
                REQ_EQ(mk_vfs_rename(k, p, q), 0);
            mark(0);
            return 0;
        }
        if (i >= 31 && i < 31 + NBIG + 4) { /* a large directory */
            int j = i - 31;
            char p[32];
            snprintf(p, sizeof p, "/g/n%03d", j - 1);
            if (j == 0) {
                REQ_EQ(mk_vfs_mkdir(k, "/g"), 0);
            } else if (j <= NBIG) {
                mk_fd_t fd;
                REQ_EQ(mk_vfs_open(k, MK_PID_KERNEL, p, MK_O_WRONLY | MK_O_CREAT | MK_O_EXCL,
                                   &fd), 0);
                REQ_EQ(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
            } else if (j == NBIG + 1) {
                REQ_EQ(mk_vfs_rename(k, "/g/n007", "/g/m007"), 0); /* within */
            } else if (j == NBIG + 2) {
                REQ_EQ(mk_vfs_unlink(k, "/g/n050"), 0);
            } else {
                REQ_EQ(mk_vfs_rename(k, "/g/n100", "/a/n100"), 0); /* out of it */
            }
            mark(0);
            return 0;
        }
        if (i >= 31 + NBIG + 4 && i < 31 + NBIG + 4 + NFRAG) { /* extent trees */
            int j = i - (31 + NBIG + 4);
            if (j < 2 * NFRAG_B) {
                /* /x gets every other block (holes between), /y every
                 * block; interleaved on the device, so neither merges. */
                const char *p = j % 2 ? "/y" : "/x";
                uint64_t blk = j % 2 ? (uint64_t)(j / 2) : (uint64_t)j;
                static uint8_t b[BS];
                fill(b, BS, (unsigned)i);
                mk_fd_t fd;
                size_t n;
                REQ_EQ(mk_vfs_open(k, MK_PID_KERNEL, p, MK_O_WRONLY | MK_O_CREAT, &fd), 0);
                REQ_EQ(mk_vfs_pwrite(k, MK_PID_KERNEL, fd, b, BS, blk * BS, &n), 0);
                REQ_EQ(n, BS);
                REQ_EQ(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
                mark(0);
            } else if (j == 2 * NFRAG_B) {
                REQ_EQ(mk_vfs_truncate(k, "/x", 7 * BS + BS / 2), 0); /* inside */
                mark(0);
            } else if (j == 2 * NFRAG_B + 1) {
                fsync_path(k, "/y");
                mark(1);
            } else {
                REQ_EQ(mk_vfs_unlink(k, "/y"), 0);
                mark(0);
            }
            return 0;
        }
        if (i == 31 + NBIG + 4 + NFRAG) {
            REQ_EQ(mk_vfs_unmount(k, "/"), 0);
            mark(2);
            return 0;
        }
        return -1;
    }
}

static struct run *cur;

/* End of a step: record the writes so far and the tree. durable: 1 an
 * fsync or sync returned, 2 the unmount returned (no tree to walk). */
static void mark(int durable)
{
    struct run *r = cur;
    int i = r->nops++;
    REQ(i < MAXOPS);
    r->durable[i] = durable != 0;
    r->wend[i] = r->p->writes;
    r->snap[i + 1][0] = '\0';
    if (r->nowalk)
        return;
    if (durable == 2)
        memcpy(r->snap[i + 1], r->snap[i], SNAP);
    else
        walk(r->k, "/", r->snap[i + 1], SNAP);
}

/* Play the workload; record per step the write count and the tree. */
static void play(struct run *r)
{
    cur = r;
    r->nops = 0;
    r->snap[0][0] = '\0';
    walk(r->k, "/", r->snap[0], SNAP);
    for (int i = 0; op(r->k, i) >= 0; i++)
        ;
}

static struct pcdev base;   /* the formatted medium */
static struct pcdev work;
static char snaps[MAXOPS + 1][SNAP];
static char got[SNAP];

static void check_cut(struct run *ref, long cut, int torn)
{
    /* Crash run: the same workload, power lost at write `cut`. */
    memcpy(work.disk, base.disk, sizeof work.disk);
    work.writes = 0;
    work.cut_at = cut;
    work.torn = torn;
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    mk_dev_t d = pc_attach(k, &work);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    static char scratch[MAXOPS + 1][SNAP];
    struct run r = {.k = k, .p = &work, .snap = scratch, .nowalk = 1};
    play(&r);
    ck_assert_int_eq(r.nops, ref->nops);
    mk_destroy(k); /* whatever it writes is lost: the power is off */

    /* Which steps completed, which are vouched for. */
    int first = 0, last = ref->nops; /* candidates: snaps[first..last] */
    for (int i = 0; i < ref->nops; i++) {
        if (ref->wend[i] < cut && ref->durable[i])
            first = i + 1;
        if (ref->wend[i] >= cut) {
            last = i + 1; /* op i was interrupted: its state may or not be */
            break;
        }
    }

    /* Power back: a fresh kernel over what reached the medium. */
    work.cut_at = 0;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    d = pc_attach(k, &work);
    mk_fsck_report_t rep;
    rep.size = sizeof rep;
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &rep), 0);
    ck_assert_msg(rep.problems == 0, "cut %ld torn %d: fsck found %llu problems", cut, torn,
                  (unsigned long long)rep.problems);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    got[0] = '\0';
    walk(k, "/", got, SNAP);
    int match = -1;
    for (int s = first; s <= last && match < 0; s++)
        if (strcmp(got, snaps[s]) == 0)
            match = s;
    ck_assert_msg(match >= 0,
                  "cut %ld torn %d: tree matches no state in steps %d..%d:\n%s\nfirst:\n%s",
                  cut, torn, first, last, got, snaps[first]);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &rep), 0);
    ck_assert_uint_eq(rep.problems, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}

START_TEST(cut_at_every_write)
{
    /* Format once; every run starts from this medium. */
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    mk_dev_t d = pc_attach(k, &base);
    mk_mkfs_opts_t o;
    mk_mkfs_opts_init(&o);
    o.inodes = 2 * NBIG; /* the large directory's files */
    ck_assert_int_eq(mk_fs_mkfs(k, d, &o), 0);
    ck_assert_int_eq(mk_destroy(k), 0);

    /* Reference run, no cut. */
    memcpy(work.disk, base.disk, sizeof work.disk);
    work.writes = 0;
    work.cut_at = 0;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    d = pc_attach(k, &work);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    long w0 = work.writes;
    struct run ref = {.k = k, .p = &work, .snap = snaps};
    play(&ref);
    ck_assert_int_eq(mk_destroy(k), 0);
    long total = ref.wend[ref.nops - 1];
    ck_assert_int_gt(total, w0);

    long cuts = 0;
    for (int torn = 0; torn <= 1; torn++)
        for (long cut = 1; cut <= total; cut++) { /* the mount's writes too */
            check_cut(&ref, cut, torn);
            cuts++;
        }
    printf("powercut: %d steps, %ld block writes (%ld by the mount), %ld cut points "
           "checked (dropped + torn)\n", ref.nops, total, w0, cuts);
    ck_assert_int_eq(cuts, 2 * total);
}
END_TEST

/* ---- a power cut during fsck's rebuild of a directory index ------------- */

/* Entries: ~30 directory blocks, so the rebuild spans several journal
 * transactions (32 blocks each on this device). */
#define RBN 400
static struct pcdev rb_base, rb_work;

/* Mount medium p in a fresh kernel and check every name of /g (RBN
 * files) is there and fsck is satisfied; repair first if asked. */
static void rb_check(struct pcdev *p, int repair_first)
{
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    p->cut_at = 0;
    mk_dev_t d = pc_attach(k, p);
    mk_fsck_report_t rep;
    rep.size = sizeof rep;
    if (repair_first)
        ck_assert_int_eq(mk_fs_fsck(k, d, MK_FSCK_REPAIR, &rep), 0);
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &rep), 0);
    ck_assert_msg(rep.problems == 0, "fsck after repair: %llu problems",
                  (unsigned long long)rep.problems);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    for (int i = 0; i < RBN; i++) {
        char p2[32];
        snprintf(p2, sizeof p2, "/g/n%03d", i);
        mk_stat_t st;
        st.size = sizeof st;
        REQ_EQ(mk_vfs_stat(k, p2, &st), 0);
    }
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}

START_TEST(cut_during_index_rebuild)
{
    /* A directory of two index levels whose header lost its VALID flag
     * (as an interrupted rebuild leaves it): fsck rebuilds the index in
     * several transactions. The power is cut at every write of that
     * repair; afterwards a repair must finish the job and every name must
     * be found. */
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    mk_dev_t d = pc_attach(k, &rb_base);
    mk_mkfs_opts_t o;
    mk_mkfs_opts_init(&o);
    o.inodes = RBN + 64;
    ck_assert_int_eq(mk_fs_mkfs(k, d, &o), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/g"), 0);
    for (int i = 0; i < RBN; i++) {
        char p[32];
        snprintf(p, sizeof p, "/g/n%03d", i);
        mk_fd_t fd;
        REQ_EQ(mk_vfs_open(k, MK_PID_KERNEL, p, MK_O_WRONLY | MK_O_CREAT, &fd), 0);
        REQ_EQ(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    }
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    /* Clear the VALID flag: the ".." entry of /g carrying "MKDH" (the
     * journal area may hold retired copies of it too: all of them). */
    int found = 0;
    for (uint32_t b = 0; b < NB; b++) {
        uint8_t *e = rb_base.disk + (size_t)b * BS + 64;
        if (e[4] == 2 && e[5] == '.' && e[6] == '.' && memcmp(e + 8, "MKDH", 4) == 0 &&
            e[12] == 1) {
            e[12] = 0;
            found++;
        }
    }
    ck_assert(found);

    /* The repair once without a cut: how many writes it issues. */
    memcpy(&rb_work, &rb_base, sizeof rb_work);
    rb_work.writes = 0;
    rb_work.cut_at = 0;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    d = pc_attach(k, &rb_work);
    mk_fsck_report_t rep;
    rep.size = sizeof rep;
    ck_assert_int_eq(mk_fs_fsck(k, d, MK_FSCK_REPAIR, &rep), 0);
    ck_assert_uint_ge(rep.bad_dirs, 1);
    ck_assert_uint_ge(rep.repaired, 1);
    ck_assert_int_eq(mk_destroy(k), 0);
    long total = rb_work.writes;
    ck_assert_int_gt(total, 2);
    rb_check(&rb_work, 0);

    for (int torn = 0; torn <= 1; torn++)
        for (long cut = 1; cut <= total; cut++) {
            memcpy(&rb_work, &rb_base, sizeof rb_work);
            rb_work.writes = 0;
            rb_work.cut_at = cut;
            rb_work.torn = torn;
            ck_assert_int_eq(mk_create(NULL, &k), 0);
            d = pc_attach(k, &rb_work);
            (void)mk_fs_fsck(k, d, MK_FSCK_REPAIR, &rep); /* power lost inside */
            mk_destroy(k);
            rb_check(&rb_work, 1);
        }
    printf("powercut: index rebuild, %ld block writes, %ld cut points checked\n", total,
           2 * total);
}
END_TEST

static Suite *powercut_suite(void)
{
    Suite *s = suite_create("powercut");
    TCase *tc = tcase_create("journal");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, cut_at_every_write);
    tcase_add_test(tc, cut_during_index_rebuild);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(powercut_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
