/*
 * bench-core-alloc.c - the malloc peer of bench-core run in a process of
 * its own: built once per allocator that replaces malloc when linked
 * (bench-core-alloc-mimalloc, bench-core-alloc-jemalloc). It runs the
 * pair and window workloads of bench-core.h with the same random sequence
 * and prints one line per workload, "<name> <median> <min> <max>" in ns per
 * operation, which bench-core reads through a pipe. Options: --runs N,
 * --quick (as bench-core's harness).
 */
#include "bench-core.h"

#include <stdio.h>
#include <string.h>

void *volatile bc_sink;

int main(int argc, char **argv)
{
    int runs = 7;
    bool quick = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--quick") == 0)
            quick = true;
    }
    /* Reuse the harness quietly: redirect its banner to /dev/null. */
    char rbuf[16];
    snprintf(rbuf, sizeof rbuf, "%d", runs);
    char *hargv[] = {argv[0], "--runs", rbuf, quick ? "--quick" : NULL, NULL};
    FILE *out = stdout;
    stdout = fopen("/dev/null", "w");
    bh_init(quick ? 4 : 3, hargv, "bench-core-alloc");
    static bc_seq_t seq;
    bc_seq_init(&seq);
    static bc_malloc_t w;
    w.seq = &seq;
    uint64_t n = bh_iters(BC_ITERS_MEM);
    bh_stat_t p = bh_measure(bc_malloc_pair, &w, n);
    fprintf(out, "pair %.3f %.3f %.3f\n", p.median, p.min, p.max);
    bc_malloc_window_fill(&w);
    bh_stat_t q = bh_measure(bc_malloc_window, &w, n);
    bc_malloc_window_drain(&w);
    fprintf(out, "window %.3f %.3f %.3f\n", q.median, q.min, q.max);
    return 0;
}
