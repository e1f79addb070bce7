/*
 * bench-core.c - core services benchmark: memory, messages, semaphores,
 * buffer cache hits and scaling, each libmk workload measured against the
 * peer a user would pick instead, back to back in one process (harness.h).
 *
 * This file: main() and the memory section. Workloads call the public API
 * as a user does (pid 1 is a real process, so locking, handle checks and
 * per-pid accounting are all on). The peer allocators that replace malloc
 * process-wide (mimalloc, jemalloc) run in child programs
 * bench-core-alloc-<name> found next to this executable.
 *
 *   bench-core [--json] [--runs N] [--quick] [--filter SUBSTR]
 */
#include "bench-core.h"

#include <microkernel/mk.h>

#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void *volatile bc_sink;

static mk_t *mk_new(uint64_t mem_size, uint64_t default_heap, uint32_t cache_blocks)
{
    mk_config_t cfg;
    mk_config_init(&cfg);
    cfg.mem_size = mem_size;
    cfg.default_heap_size = default_heap;
    cfg.cache_blocks = cache_blocks;
    mk_t *k = NULL;
    if (mk_create(&cfg, &k) != 0) {
        fprintf(stderr, "mk_create failed\n");
        exit(1);
    }
    return k;
}

/* ---- libmk alloc+free workloads --------------------------------------------- */

typedef struct bc_mkmem {
    mk_t *k;
    mk_heap_t heap;
    const bc_seq_t *seq;
    mk_block_t live[BC_WINDOW];
} bc_mkmem_t;

static void mk_pair(void *arg, uint64_t iters)
{
    bc_mkmem_t *w = arg;
    for (uint64_t i = 0; i < iters; i++) {
        mk_block_t b;
        if (mk_mem_alloc(w->k, 1, w->heap, w->seq->size[i & (BC_NSIZES - 1)], &b) != 0 ||
            mk_mem_free(w->k, 1, b) != 0) {
            fprintf(stderr, "mk pair failed\n");
            exit(1);
        }
    }
}

static void mk_window(void *arg, uint64_t iters)
{
    bc_mkmem_t *w = arg;
    for (uint64_t i = 0; i < iters; i++) {
        uint32_t j = w->seq->slot[i & (BC_NSIZES - 1)];
        if (mk_mem_free(w->k, 1, w->live[j]) != 0 ||
            mk_mem_alloc(w->k, 1, w->heap, w->seq->size[i & (BC_NSIZES - 1)], &w->live[j]) != 0) {
            fprintf(stderr, "mk window failed\n");
            exit(1);
        }
    }
}

static void mk_window_fill(bc_mkmem_t *w)
{
    for (uint32_t j = 0; j < BC_WINDOW; j++)
        if (mk_mem_alloc(w->k, 1, w->heap, w->seq->size[j], &w->live[j]) != 0)
            exit(1);
}

static void mk_window_drain(bc_mkmem_t *w)
{
    for (uint32_t j = 0; j < BC_WINDOW; j++)
        mk_mem_free(w->k, 1, w->live[j]);
}

/* ---- peers in child processes ---------------------------------------------- */

typedef struct bc_peer {
    const char *name;
    bool ok;
    bh_stat_t pair, window;
} bc_peer_t;

static void run_peer(const char *self, bc_peer_t *p)
{
    char path[4096], cmd[4300];
    snprintf(path, sizeof path, "%s", self);
    snprintf(cmd, sizeof cmd, "'%s/bench-core-alloc-%s' --runs %d%s", dirname(path), p->name,
             bh_runs(), bh_quick() ? " --quick" : "");
    p->ok = false;
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return;
    char what[32];
    bh_stat_t s;
    int got = 0;
    while (fscanf(f, "%31s %lf %lf %lf", what, &s.median, &s.min, &s.max) == 4) {
        if (strcmp(what, "pair") == 0)
            p->pair = s, got |= 1;
        else if (strcmp(what, "window") == 0)
            p->window = s, got |= 2;
    }
    p->ok = pclose(f) == 0 && got == 3;
}

/* ---- worst case of the free-list heap after heavy fragmentation ------------- */

#define WC_LIVE 65536u
#define WC_OPS 400000u

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Fill a heap with WC_LIVE random blocks of 16..2047 B, free every other
 * one (holes of every size between live blocks), then time each single
 * alloc (16..4095 B) and free of a random replace workload (WC_OPS
 * replacements, 2 samples each, clock_gettime(CLOCK_MONOTONIC) around each
 * call, ~40 ns of timer inside every sample).
 * On a shared machine any single sample can include a preemption or an
 * interrupt. The allocators are deterministic, so the whole run (fresh
 * context, same seed) is repeated bh_runs() times and each operation keeps
 * the SMALLEST of its times across repetitions: a preemption would have to
 * hit the same operation in every repetition to survive. Reported: the
 * max, 99.99th percentile and median over operations of that per-operation
 * time. Repetitions after the first also have warm page tables. glibc runs
 * the same sequence (its heap is not reset between repetitions, but
 * everything is freed). */
static double median_u32(uint32_t *v, size_t n)
{
    qsort(v, n, sizeof v[0], cmp_u32);
    return v[n / 2];
}

static void worst_case(bool use_mk)
{
    static uint32_t best[2 * WC_OPS], tmp[2 * WC_OPS];
    static mk_block_t blk[WC_LIVE];
    static void *ptr[WC_LIVE];
    uint32_t ops = (uint32_t)bh_iters(WC_OPS);
    for (uint32_t i = 0; i < 2 * ops; i++)
        best[i] = UINT32_MAX;
    for (int rep = 0; rep < bh_runs(); rep++) {
        uint64_t s = 12345;
        mk_t *k = NULL;
        mk_heap_t heap = 0;
        if (use_mk) {
            k = mk_new(256u << 20, 16u << 20, 0);
            mk_proc_create(k, 1, NULL);
            if (mk_heap_create(k, MK_HEAP_FREELIST, 128u << 20, &heap) != 0)
                exit(1);
        }
        for (uint32_t i = 0; i < WC_LIVE; i++) {
            uint64_t sz = BC_SIZE_MIN + bh_rand(&s) % (2048 - BC_SIZE_MIN);
            if (use_mk) {
                if (mk_mem_alloc(k, 1, heap, sz, &blk[i]) != 0)
                    exit(1);
            } else
                ptr[i] = malloc(sz);
        }
        for (uint32_t i = 0; i < WC_LIVE; i += 2) {
            if (use_mk)
                mk_mem_free(k, 1, blk[i]);
            else
                free(ptr[i]);
            blk[i] = 0;
            ptr[i] = NULL;
        }
        uint32_t n = 0;
        for (uint32_t op = 0; op < ops; op++) {
            uint32_t j = (uint32_t)(bh_rand(&s) % WC_LIVE);
            uint64_t sz = BC_SIZE_MIN + bh_rand(&s) % (4096 - BC_SIZE_MIN);
            uint64_t t0 = bh_now_ns();
            if (use_mk) {
                if (blk[j] != 0)
                    mk_mem_free(k, 1, blk[j]);
            } else
                free(ptr[j]);
            uint64_t t1 = bh_now_ns();
            if (use_mk) {
                if (mk_mem_alloc(k, 1, heap, sz, &blk[j]) != 0)
                    blk[j] = 0;
            } else
                ptr[j] = malloc(sz);
            uint64_t t2 = bh_now_ns();
            if (t1 - t0 < best[n])
                best[n] = (uint32_t)(t1 - t0);
            n++;
            if (t2 - t1 < best[n])
                best[n] = (uint32_t)(t2 - t1);
            n++;
        }
        if (use_mk) {
            if (rep == bh_runs() - 1) {
                mk_heap_stats_t st;
                memset(&st, 0, sizeof st);
                st.size = (uint32_t)sizeof st;
                if (mk_heap_stats(k, heap, &st) == 0)
                    bh_value("mem/worst/freelist-fragmentation", st.fragmentation_permille,
                             "permille", "1000 * (1 - largest free / free) after the run");
            }
            mk_destroy(k);
        } else {
            for (uint32_t i = 0; i < WC_LIVE; i++)
                free(ptr[i]);
        }
    }
    size_t n = 2 * (size_t)ops;
    memcpy(tmp, best, n * sizeof tmp[0]);
    double med = median_u32(tmp, n); /* sorts tmp */
    const char *who = use_mk ? "mem/worst/freelist" : "mem/worst/glibc";
    char name[64];
    snprintf(name, sizeof name, "%s-max", who);
    bh_value(name, tmp[n - 1], "ns",
             "slowest single alloc or free (each op: min over repetitions), timer included");
    snprintf(name, sizeof name, "%s-p99.99", who);
    bh_value(name, tmp[n * 9999 / 10000], "ns", NULL);
    snprintf(name, sizeof name, "%s-median", who);
    bh_value(name, med, "ns", NULL);
}

void bc_mem(const char *self)
{
    if (!bh_section_selected("mem/"))
        return;
    static bc_seq_t seq;
    bc_seq_init(&seq);
    bh_section("memory: alloc+free of random sizes 16-512 B (ns per alloc+free)");

    mk_t *k = mk_new(256u << 20, 16u << 20, 0);
    if (mk_proc_create(k, 1, NULL) != 0)
        exit(1);
    mk_heap_t bump, fl, fix;
    if (mk_heap_create(k, MK_HEAP_BUMP, 16u << 20, &bump) != 0 ||
        mk_heap_create(k, MK_HEAP_FREELIST, 16u << 20, &fl) != 0 ||
        mk_heap_create(k, MK_HEAP_FIXED, 16u << 20, &fix) != 0) {
        fprintf(stderr, "mk_heap_create failed\n");
        exit(1);
    }
    static bc_malloc_t gw;
    gw.seq = &seq;
    static bc_mkmem_t w;
    w.k = k;
    w.seq = &seq;

    bc_peer_t peers[] = {{"mimalloc", false, {0, 0, 0}, {0, 0, 0}},
                         {"jemalloc", false, {0, 0, 0}, {0, 0, 0}}};
    if (bh_section_selected("mem/pair/") || bh_section_selected("mem/window/"))
        for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++)
            run_peer(self, &peers[i]);

    struct {
        const char *name;
        mk_heap_t heap;
        const char *target;
    } kinds[] = {{"bump", bump, "target <= 0.5"},
                 {"fixed", fix, "target <= 0.5"},
                 {"freelist", fl, NULL}};
    for (size_t i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "mem/pair/%s", kinds[i].name);
        if (!bh_selected(name))
            continue;
        w.heap = kinds[i].heap;
        uint64_t n = bh_iters(BC_ITERS_MEM);
        bh_stat_t m = bh_measure(mk_pair, &w, n);
        bh_stat_t g = bh_measure(bc_malloc_pair, &gw, n);
        bh_row(name, "glibc malloc", m, &g, kinds[i].target);
        for (size_t p = 0; p < 2; p++)
            if (peers[p].ok) {
                char pn[80];
                snprintf(pn, sizeof pn, "%s-vs-%s", name, peers[p].name);
                bh_row(pn, peers[p].name, m, &peers[p].pair, NULL);
            }
    }
    /* Window: the bump heap is left out by design — it reuses memory only
     * once every block is freed, so a window of live blocks exhausts it. */
    for (size_t i = 1; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "mem/window/%s", kinds[i].name);
        if (!bh_selected(name))
            continue;
        w.heap = kinds[i].heap;
        uint64_t n = bh_iters(BC_ITERS_MEM);
        mk_window_fill(&w);
        bh_stat_t m = bh_measure(mk_window, &w, n);
        mk_window_drain(&w);
        bc_malloc_window_fill(&gw);
        bh_stat_t g = bh_measure(bc_malloc_window, &gw, n);
        bc_malloc_window_drain(&gw);
        bh_row(name, "glibc malloc", m, &g, i == 1 ? "target <= 0.5" : "target <= 1.0");
        for (size_t p = 0; p < 2; p++)
            if (peers[p].ok) {
                char pn[80];
                snprintf(pn, sizeof pn, "%s-vs-%s", name, peers[p].name);
                bh_row(pn, peers[p].name, m, &peers[p].window, NULL);
            }
    }
    mk_destroy(k);

    if (bh_section_selected("mem/worst/")) {
        bh_section("memory: worst single operation after heavy fragmentation");
        worst_case(true);
        worst_case(false);
    }
}

int main(int argc, char **argv)
{
    bh_init(argc, argv, "bench-core");
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        snprintf(self, sizeof self, "%s", argv[0]);
    else
        self[n] = '\0';
    bc_mem(self);
    bc_msg();
    bc_sem();
    bc_cache();
    bc_scale();
    return bh_finish();
}
