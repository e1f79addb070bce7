/*
 * harness.c - implementation of the shared benchmark harness (harness.h).
 *
 * Timing: clock_gettime around a whole run (thread CPU time by default,
 * CLOCK_MONOTONIC after bh_use_wall_clock(true)). Statistics:
 * median of the runs (sorted copy), min and max. Output: an aligned text
 * table, or with --json one JSON document {"program":..,"runs":..,"rows":[..]}
 * whose rows carry name, peer, mk/peer median/min/max in ns per op, ratio
 * and target, so that doc/perf tooling (bench/plot.sh) can read them.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BH_MAX_RUNS 101

static struct {
    const char *program;
    int runs;
    bool json, quick;
    const char *filter;
    int nrows;
    bool wall;
} bh = {"bench", 7, false, false, NULL, 0, false};

static void usage(void)
{
    fprintf(stderr,
            "usage: %s [--json] [--runs N (5..%d, default 7)] [--quick] [--filter SUBSTR]\n",
            bh.program, BH_MAX_RUNS);
    exit(2);
}

void bh_init(int argc, char **argv, const char *program)
{
    bh.program = program;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            bh.json = true;
        else if (strcmp(argv[i], "--quick") == 0)
            bh.quick = true;
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            bh.runs = atoi(argv[++i]);
            if (bh.runs < 5 || bh.runs > BH_MAX_RUNS)
                usage();
        } else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            bh.filter = argv[++i];
        else
            usage();
    }
    if (bh.json)
        printf("{\"program\": \"%s\", \"runs\": %d, \"rows\": [\n", program, bh.runs);
    else
        printf("%s: %d runs after a warm-up; ns per operation, median [min..max]; "
               "ratio = libmk/peer (median)\n",
               program, bh.runs);
    fflush(stdout);
}

int bh_runs(void) { return bh.runs; }
bool bh_quick(void) { return bh.quick; }

uint64_t bh_iters(uint64_t iters)
{
    if (!bh.quick)
        return iters;
    return iters / 20 ? iters / 20 : 1;
}

bool bh_selected(const char *name)
{
    return bh.filter == NULL || strstr(name, bh.filter) != NULL;
}

uint64_t bh_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bh_use_wall_clock(bool wall) { bh.wall = wall; }

bool bh_section_selected(const char *prefix)
{
    return bh.filter == NULL || strstr(prefix, bh.filter) != NULL ||
           strstr(bh.filter, prefix) != NULL;
}

static uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(bh.wall ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bh_stat_t bh_measure(bh_fn fn, void *arg, uint64_t iters)
{
    double v[BH_MAX_RUNS];
    if (iters == 0)
        iters = 1;
    fn(arg, iters); /* warm-up: caches, page faults, lazy allocations */
    for (int r = 0; r < bh.runs; r++) {
        uint64_t t0 = clock_ns();
        fn(arg, iters);
        uint64_t t1 = clock_ns();
        v[r] = (double)(t1 - t0) / (double)iters;
    }
    qsort(v, (size_t)bh.runs, sizeof v[0], cmp_double);
    bh_stat_t s;
    s.min = v[0];
    s.max = v[bh.runs - 1];
    s.median = (bh.runs % 2) ? v[bh.runs / 2] : (v[bh.runs / 2 - 1] + v[bh.runs / 2]) / 2;
    return s;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            putchar('\\');
        putchar(*s);
    }
    putchar('"');
}

double bh_row(const char *name, const char *peer, bh_stat_t mk, const bh_stat_t *ps,
              const char *target)
{
    double ratio = (ps != NULL && ps->median > 0) ? mk.median / ps->median : 0;
    if (bh.json) {
        printf("%s  {\"name\": ", bh.nrows ? "," : " ");
        json_str(name);
        printf(", \"mk_median\": %.3f, \"mk_min\": %.3f, \"mk_max\": %.3f", mk.median, mk.min,
               mk.max);
        if (ps != NULL) {
            printf(", \"peer\": ");
            json_str(peer);
            printf(", \"peer_median\": %.3f, \"peer_min\": %.3f, \"peer_max\": %.3f"
                   ", \"ratio\": %.4f",
                   ps->median, ps->min, ps->max, ratio);
        }
        if (target != NULL) {
            printf(", \"target\": ");
            json_str(target);
        }
        printf(", \"clock\": \"%s\"}\n", bh.wall ? "wall" : "cpu");
    } else {
        printf("%-34s %9.1f [%8.1f..%9.1f]", name, mk.median, mk.min, mk.max);
        if (ps != NULL)
            printf("  %-16s %9.1f [%8.1f..%9.1f]  ratio %6.3f", peer, ps->median, ps->min,
                   ps->max, ratio);
        if (target != NULL)
            printf("  (%s)", target);
        if (bh.wall)
            printf("  [wall clock]");
        putchar('\n');
    }
    bh.nrows++;
    fflush(stdout);
    return ratio;
}

double bh_compare(const char *name, const char *peer, uint64_t iters, bh_fn mk_fn,
                  void *mk_arg, bh_fn peer_fn, void *peer_arg, const char *target)
{
    if (!bh_selected(name))
        return 0;
    iters = bh_iters(iters);
    bh_stat_t m = bh_measure(mk_fn, mk_arg, iters);
    if (peer_fn == NULL)
        return bh_row(name, NULL, m, NULL, target);
    bh_stat_t p = bh_measure(peer_fn, peer_arg, iters);
    return bh_row(name, peer, m, &p, target);
}

void bh_value(const char *name, double value, const char *unit, const char *note)
{
    if (!bh_selected(name))
        return;
    if (bh.json) {
        printf("%s  {\"name\": ", bh.nrows ? "," : " ");
        json_str(name);
        printf(", \"value\": %.3f, \"unit\": ", value);
        json_str(unit);
        if (note != NULL) {
            printf(", \"note\": ");
            json_str(note);
        }
        printf("}\n");
    } else {
        printf("%-34s %12.1f %s%s%s\n", name, value, unit, note ? "  " : "", note ? note : "");
    }
    bh.nrows++;
    fflush(stdout);
}

void bh_section(const char *title)
{
    if (!bh.json && bh.filter == NULL) {
        printf("\n== %s\n", title);
        fflush(stdout);
    }
}

int bh_finish(void)
{
    if (bh.json)
        printf("]}\n");
    fflush(stdout);
    return 0;
}
