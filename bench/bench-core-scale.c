/*
 * bench-core-scale.c - bench-core section "scaling": the cost of one
 * operation as the number of live objects grows from 10 to 1,000,000 in
 * log steps. With hash tables and O(1) structures the curves stay flat;
 * the target is that the last point is within 2x of the first. Each point
 * builds a fresh context with N objects, then times operations on objects
 * picked at random (so lookups really hit the whole table and the CPU
 * caches see the working set grow, as a user's would).
 *
 * Curves:
 *  blocks    N live 32-byte blocks: alloc+free of one more block, and a
 *            bounds-checked 8-byte mk_mem_read of a random live block;
 *  queues    N named queues: send+receive on a random queue (by handle),
 *            and mk_queue_open of a random name;
 *  procs     N processes: mailbox send+receive to a random pid;
 *  cache     a cache of N 512-byte buffers, all holding blocks of a RAM
 *            device: mk_blk_read of a random cached block (a hit).
 * Each curve is measured twice: "all" picks among all N objects uniformly
 * (at 10^6 objects the working set is far larger than the CPU caches, so
 * every lookup pays DRAM misses whatever the algorithm), and "hot" picks
 * among 64 objects spread over the whole table (the algorithmic cost of
 * the lookup structures with N objects live, CPU caches warm). The
 * baseline "blocks/read" peer reads 8 bytes from a random one of N
 * malloc'd 32-byte blocks through a plain pointer array, with one locked
 * atomic per read: the memory hierarchy's own cost for the same access
 * pattern.
 *
 * Picking costs the same at every N and adds no cache miss of its own:
 * indices come from an inline xorshift generator (no index array), mapped
 * to 0..n-1 by a multiply-shift (no division), generated PICK_AHEAD
 * operations early so the bench's own array entry (the handle of that
 * object, or the peer's pointer) is prefetched by the time it is used.
 * The generator state carries over from run to run, so at 10^6 the runs
 * keep meeting objects they have not touched yet (a fixed, repeating index
 * list would bring back the same 65536 objects each run and let the L3
 * keep them). The same picker drives the peer.
 */
#include "bench-core.h"

#include <microkernel/mk.h>

#include <stdio.h>
#include <string.h>

#define ITERS_SCALE 200000u
#define NMAX 1000000u
#define HOTSET 64u
#define PICK_AHEAD 8u /* power of two */

static void die(const char *what, int rc)
{
    fprintf(stderr, "%s failed: %d\n", what, rc);
    exit(1);
}

/* Picks object indices: uniformly among n ("all") or among a set of 64
 * spread over the table ("hot"). pick_next returns the index to use now
 * and prefetches ahead[stride * index] of the one PICK_AHEAD picks later. */
typedef struct picker {
    uint64_t s;
    uint32_t n;
    bool hot;
    uint32_t ring[PICK_AHEAD];
    uint32_t pos;
    uint32_t set[HOTSET];
    const char *ahead; /* bench array to prefetch from, or NULL */
    size_t stride;
} picker_t;

static inline uint32_t pick_raw(picker_t *p)
{
    uint64_t r = bh_rand(&p->s);
    if (p->hot)
        return p->set[r >> 58]; /* top 6 bits: 0..63 */
    return (uint32_t)(((r >> 32) * p->n) >> 32);
}

static void pick_init(picker_t *p, uint32_t n, bool hot, const void *ahead, size_t stride)
{
    memset(p, 0, sizeof *p);
    p->s = 777;
    p->n = n;
    p->ahead = ahead;
    p->stride = stride;
    for (uint32_t h = 0; h < HOTSET; h++)
        p->set[h] = ((uint32_t)((uint64_t)h * n / HOTSET) +
                     (n > HOTSET ? (uint32_t)(bh_rand(&p->s) % (n / HOTSET)) : 0)) % n;
    p->hot = hot;
    for (uint32_t i = 0; i < PICK_AHEAD; i++)
        p->ring[i] = pick_raw(p);
}

static inline uint32_t pick_next(picker_t *p)
{
    uint32_t slot = p->pos++ & (PICK_AHEAD - 1);
    uint32_t now = p->ring[slot];
    uint32_t later = pick_raw(p);
    p->ring[slot] = later;
    if (p->ahead != NULL)
        __builtin_prefetch(p->ahead + (size_t)later * p->stride);
    return now;
}

static picker_t pk;

/* One locked read-modify-write per read, as the mutex of any thread-safe
 * lookup does. */
static void **raw;
static void s_raw(void *arg, uint64_t iters)
{
    static uint64_t fence;
    uint64_t v, sum = 0;
    for (uint64_t i = 0; i < iters; i++) {
        __atomic_fetch_add(&fence, 1, __ATOMIC_SEQ_CST);
        memcpy(&v, raw[pick_next(&pk)], sizeof v);
        sum += v;
    }
    *(volatile uint64_t *)arg = sum;
}

/* "q<decimal>" without snprintf (whose cost would hide the lookup's). */
static void qname(char *buf, uint32_t v)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    *buf++ = 'q';
    while (n > 0)
        *buf++ = tmp[--n];
    *buf = '\0';
}

typedef struct scalew {
    mk_t *k;
    mk_block_t *blk;
    mk_queue_t *q;
    mk_dev_t dev;
    uint32_t n;
} scalew_t;

static void s_alloc(void *arg, uint64_t iters)
{
    scalew_t *w = arg;
    for (uint64_t i = 0; i < iters; i++) {
        mk_block_t b;
        int rc = mk_mem_alloc(w->k, 1, MK_HEAP_DEFAULT, 32, &b);
        if (rc == 0)
            rc = mk_mem_free(w->k, 1, b);
        if (rc != 0)
            die("alloc+free", rc);
    }
}

static void s_read(void *arg, uint64_t iters)
{
    scalew_t *w = arg;
    uint64_t v;
    for (uint64_t i = 0; i < iters; i++) {
        int rc = mk_mem_read(w->k, 1, w->blk[pick_next(&pk)], 0, &v, sizeof v);
        if (rc != 0)
            die("mk_mem_read", rc);
    }
}

static void s_queue(void *arg, uint64_t iters)
{
    scalew_t *w = arg;
    char buf[64] = {0};
    size_t len;
    for (uint64_t i = 0; i < iters; i++) {
        mk_queue_t q = w->q[pick_next(&pk)];
        int rc = mk_queue_send(w->k, q, 1, buf, sizeof buf, MK_NO_WAIT);
        if (rc == 0)
            rc = mk_queue_recv(w->k, q, 0, NULL, buf, sizeof buf, &len, MK_NO_WAIT);
        if (rc != 0)
            die("queue send+recv", rc);
    }
}

static void s_open(void *arg, uint64_t iters)
{
    scalew_t *w = arg;
    char name[32];
    for (uint64_t i = 0; i < iters; i++) {
        mk_queue_t q;
        qname(name, pick_next(&pk));
        int rc = mk_queue_open(w->k, name, &q);
        if (rc != 0)
            die("mk_queue_open", rc);
    }
}

static void s_mbox(void *arg, uint64_t iters)
{
    scalew_t *w = arg;
    char buf[64] = {0};
    size_t len;
    for (uint64_t i = 0; i < iters; i++) {
        mk_pid_t p = 1 + pick_next(&pk);
        int rc = mk_mbox_send(w->k, p, 1, buf, sizeof buf, MK_NO_WAIT);
        if (rc == 0)
            rc = mk_mbox_recv(w->k, p, NULL, buf, sizeof buf, &len, MK_NO_WAIT);
        if (rc != 0)
            die("mbox send+recv", rc);
    }
}

static void s_cache(void *arg, uint64_t iters)
{
    scalew_t *w = arg;
    char buf[512];
    for (uint64_t i = 0; i < iters; i++) {
        int rc = mk_blk_read(w->k, w->dev, pick_next(&pk), 0, buf, sizeof buf);
        if (rc != 0)
            die("mk_blk_read", rc);
    }
}

static mk_t *ctx(uint64_t mem, uint64_t heap, uint32_t cache)
{
    mk_config_t cfg;
    mk_config_init(&cfg);
    cfg.mem_size = mem;
    cfg.default_heap_size = heap;
    cfg.cache_blocks = cache;
    mk_t *k = NULL;
    int rc = mk_create(&cfg, &k);
    if (rc != 0)
        die("mk_create", rc);
    return k;
}

#define NCURVE 6
static const char *curves[NCURVE] = {"blocks/alloc+free", "blocks/read",  "queues/send+recv",
                                     "queues/open",       "procs/mbox",   "cache/hit-512"};

/* True if --filter selects any row of curve c (then the whole curve is
 * measured: its ratio needs the first point). Structures whose curves are
 * all unselected are not even built, so `--filter scale/blocks` is quick. */
static bool want(int c)
{
    char name[96];
    for (int hot = 0; hot < 2; hot++) {
        const char *v = hot ? "hot" : "all";
        snprintf(name, sizeof name, "scale/%s/%s/last-over-first", curves[c], v);
        if (bh_selected(name))
            return true;
        for (uint32_t n = 10; n <= NMAX; n *= 10) {
            snprintf(name, sizeof name, "scale/%s/%s/%u", curves[c], v, n);
            if (bh_selected(name))
                return true;
        }
    }
    return false;
}

/* Measure curve c at n objects, picks "all" then "hot". ahead/stride: the
 * bench's own array indexed by the pick (prefetched ahead), or NULL. */
static void point(int c, uint32_t n, bh_fn fn, scalew_t *w, const void *ahead, size_t stride,
                  double first[][2])
{
    if (!want(c))
        return;
    for (int hot = 0; hot < 2; hot++) {
        char name[80];
        snprintf(name, sizeof name, "scale/%s/%s/%u", curves[c], hot ? "hot" : "all", n);
        pick_init(&pk, n, hot, ahead, stride);
        bh_stat_t s = bh_measure(fn, w, bh_iters(ITERS_SCALE));
        if (c == 1 && raw != NULL) {
            uint64_t sink;
            pick_init(&pk, n, hot, raw, sizeof *raw);
            bh_stat_t p = bh_measure(s_raw, &sink, bh_iters(ITERS_SCALE));
            bh_row(name, "raw pointer", s, &p, NULL);
        } else
            bh_row(name, NULL, s, NULL, NULL);
        if (n == 10)
            first[c][hot] = s.median;
        if (n == NMAX || (bh_quick() && n == NMAX / 10)) {
            snprintf(name, sizeof name, "scale/%s/%s/last-over-first", curves[c],
                     hot ? "hot" : "all");
            bh_value(name, s.median / first[c][hot], "x", "target <= 2");
        }
    }
}

void bc_scale(void)
{
    if (!bh_section_selected("scale/"))
        return;
    bh_section("scaling: ns per operation as live objects grow 10 .. 1,000,000");
    static double first[NCURVE][2];
    uint32_t nmax = bh_quick() ? NMAX / 10 : NMAX;
    scalew_t w;
    int rc;
    for (uint32_t n = 10; n <= nmax; n *= 10) {
        memset(&w, 0, sizeof w);
        w.n = n;
        char name[32];

        /* blocks */
        if (want(0) || want(1)) {
            w.k = ctx(1ull << 30, 512ull << 20, 0);
            if ((rc = mk_proc_create(w.k, 1, NULL)) != 0)
                die("mk_proc_create", rc);
            w.blk = malloc(sizeof *w.blk * n);
            for (uint32_t i = 0; i < n; i++)
                if ((rc = mk_mem_alloc(w.k, 1, MK_HEAP_DEFAULT, 32, &w.blk[i])) != 0)
                    die("mk_mem_alloc", rc);
            raw = malloc(sizeof *raw * n);
            for (uint32_t i = 0; i < n; i++)
                raw[i] = calloc(1, 32);
            point(0, n, s_alloc, &w, NULL, 0, first);
            point(1, n, s_read, &w, w.blk, sizeof *w.blk, first);
            mk_destroy(w.k);
            free(w.blk);
            for (uint32_t i = 0; i < n; i++)
                free(raw[i]);
            free(raw);
            raw = NULL;
        }

        /* queues */
        if (want(2) || want(3)) {
            w.k = ctx(0, 0, 0);
            w.q = malloc(sizeof *w.q * n);
            mk_queue_attr_t qa;
            mk_queue_attr_init(&qa);
            qa.capacity = 1;
            qa.msg_max = 64;
            for (uint32_t i = 0; i < n; i++) {
                snprintf(name, sizeof name, "q%u", i);
                if ((rc = mk_queue_create(w.k, name, &qa, &w.q[i])) != 0)
                    die("mk_queue_create", rc);
            }
            point(2, n, s_queue, &w, w.q, sizeof *w.q, first);
            point(3, n, s_open, &w, NULL, 0, first);
            mk_destroy(w.k);
            free(w.q);
        }

        /* processes */
        if (want(4)) {
            w.k = ctx(0, 0, 0);
            for (uint32_t i = 0; i < n; i++)
                if ((rc = mk_proc_create(w.k, 1 + i, NULL)) != 0)
                    die("mk_proc_create", rc);
            point(4, n, s_mbox, &w, NULL, 0, first);
            mk_destroy(w.k);
        }

        /* cached blocks */
        if (want(5)) {
            w.k = ctx(0, 0, n);
            if ((rc = mk_blk_create_ram(w.k, "ram", 512, n, &w.dev)) != 0)
                die("mk_blk_create_ram", rc);
            char buf[512];
            for (uint32_t i = 0; i < n; i++)
                if ((rc = mk_blk_read(w.k, w.dev, i, 0, buf, sizeof buf)) != 0)
                    die("mk_blk_read", rc);
            point(5, n, s_cache, &w, NULL, 0, first);
            mk_destroy(w.k);
        }
    }
}
