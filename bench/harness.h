/*
 * harness.h - the shared benchmark harness of bench/: timing, repetition,
 * statistics and the output formats (a table for people, --json for
 * machines) used by every bench-*.c program.
 *
 * A workload is a function that performs `iters` operations and returns;
 * the harness times the whole call (thread CPU time, or CLOCK_MONOTONIC for
 * cross-thread workloads, see bh_use_wall_clock) and divides, so the
 * timer's own cost (~20 ns) is spread over thousands of operations. Each
 * measurement is: one untimed warm-up call, then `runs` timed calls
 * (default 7, at least 5); the reported figures are the median, minimum and
 * maximum of the per-run ns/op. A comparison row pairs a libmk workload with
 * its peer measured back to back in the same process and reports
 * ratio = median(libmk) / median(peer), below 1 meaning libmk is faster.
 *
 * Usage from a program:
 *   bh_init(argc, argv, "bench-core");       parses --json, --runs N,
 *                                             --quick, --filter SUBSTR
 *   bh_compare("mem/pair/fixed", "glibc malloc", iters, mk_fn, mk_arg,
 *              peer_fn, peer_arg, "target <= 0.5");
 *   bh_single("mem/worst/freelist-max", value, "ns") for a figure that is
 *              not a timed loop (worst case, counts);
 *   return bh_finish();
 * Not thread-safe: one harness per program, driven from the main thread
 * (workloads may start threads of their own).
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*bh_fn)(void *arg, uint64_t iters);

typedef struct bh_stat {
    double median, min, max; /* ns per operation */
} bh_stat_t;

/* Parse the common options. Unknown options make it print usage and exit 2. */
void bh_init(int argc, char **argv, const char *program);
/* Runs per measurement (after the warm-up). */
int bh_runs(void);
/* True with --quick: callers divide their iteration counts (smoke runs). */
bool bh_quick(void);
/* Scale an iteration count for --quick (divides by 20, at least 1). */
uint64_t bh_iters(uint64_t iters);
/* True if a row of that name is selected by --filter (always without it). */
bool bh_selected(const char *name);
/* Monotonic (wall) time in ns. */
uint64_t bh_now_ns(void);
/* Which clock bh_measure uses. Default: the calling thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID, user + system), so time the thread spends
 * descheduled on a loaded machine is not charged to the operation; right
 * for single-thread workloads. Workloads that block or hand off between
 * threads must use the wall clock (CLOCK_MONOTONIC): pass true. */
void bh_use_wall_clock(bool wall);
/* True if any row under prefix (e.g. "mem/") can be selected by --filter. */
bool bh_section_selected(const char *prefix);
/* Time fn: warm-up, then bh_runs() runs of iters operations. */
bh_stat_t bh_measure(bh_fn fn, void *arg, uint64_t iters);
/* Measure both and print a row. peer_fn may be NULL (libmk only). Returns
 * the ratio (0 without a peer). target is free text, may be NULL. */
double bh_compare(const char *name, const char *peer, uint64_t iters, bh_fn mk_fn,
                  void *mk_arg, bh_fn peer_fn, void *peer_arg, const char *target);
/* Print a row from figures measured elsewhere (e.g. a peer run in a child
 * process). peer may be NULL. */
double bh_row(const char *name, const char *peer, bh_stat_t mk, const bh_stat_t *ps,
              const char *target);
/* A single figure (unit free text: "ns", "instructions", ...). */
void bh_value(const char *name, double value, const char *unit, const char *note);
/* A section title in the table output (ignored with --json). */
void bh_section(const char *title);
/* Print the closing JSON bracket; returns the exit status. */
int bh_finish(void);

/* xorshift64* — a fast deterministic RNG so runs are repeatable. */
static inline uint64_t bh_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

#endif /* BENCH_HARNESS_H */
