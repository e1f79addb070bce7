/*
 * timeline.h - turns a libmk event trace (mk_event_t, trace.h) into
 * pictures of a scheduled run: a text timeline for terminals, an SVG Gantt
 * chart and a Chrome/Perfetto trace (Trace Event Format JSON).
 *
 * Part of the examples, not of the library: it uses only the public API
 * (the event layout and mk_event_name) and plain stdio. Feed it every event
 * of a run, in order, with tl_feed(); then call tl_finish() with the tick at
 * which the run ended and write any of the three renderings.
 *
 * How states are reconstructed from the stream (see trace.h for the events):
 *   spawn -> ready; switch to P -> P running, the previous process ready
 *   unless it blocked, slept or ended first; preempt -> ready;
 *   block -> blocked; sleep -> sleeping; wake -> ready; exit -> gone.
 * Only processes that appear in a spawn or switch event get a row, so host
 * code acting for body-less pids does not clutter the picture.
 *
 * Not thread-safe: one timeline belongs to one thread.
 */
#ifndef MK_EXAMPLES_TIMELINE_H
#define MK_EXAMPLES_TIMELINE_H

#include <microkernel/mk.h>

#include <stdint.h>
#include <stdio.h>

/* What a process was doing during an interval. */
enum tl_state {
    TL_NONE = 0, /* not (yet / any more) alive */
    TL_READY,
    TL_RUNNING,
    TL_BLOCKED,
    TL_SLEEPING,
    TL_NSTATES
};

typedef struct tl tl_t;

/* A new, empty timeline. tick_hz converts ticks to microseconds for the
 * JSON trace (0 = 1000, the library's default). NULL when out of memory. */
tl_t *tl_new(uint32_t tick_hz);
void tl_free(tl_t *tl);

/* Give a pid a display name (copied, at most 31 bytes kept). Optional: rows
 * without a name are called "pN". 0 on success, -1 when out of memory. */
int tl_name(tl_t *tl, mk_pid_t pid, const char *name);

/* Add events (oldest first). 0 on success, -1 when out of memory. */
int tl_feed(tl_t *tl, const mk_event_t *ev, size_t n);

/* Close every open interval at end_tick (the clock when the run ended). */
void tl_finish(tl_t *tl, uint64_t end_tick);

/* Ticks each process spent running (0 for an unknown pid). */
uint64_t tl_ran(const tl_t *tl, mk_pid_t pid);

/* The text timeline: one row per process, one column per tick, or per
 * bucket of ticks when the run is longer than max_cols (>= 10) columns;
 * a row of interrupt marks under them and a legend. 0, or -1 on error. */
int tl_write_text(const tl_t *tl, FILE *out, unsigned max_cols);

/* An SVG Gantt chart: one lane per process, its run slices in its own
 * colour, waiting states as thin bands, interrupts, messages and priority
 * changes as marks, a tick axis and a legend. 0, or -1 on error. */
int tl_write_svg(const tl_t *tl, FILE *out, const char *title);

/* A Trace Event Format file (ui.perfetto.dev, chrome://tracing): "X"
 * events per run and wait slice, "i" events for interrupts, messages, RPC,
 * locks and faults, and name metadata per process. 0, or -1 on error. */
int tl_write_json(const tl_t *tl, FILE *out, const char *title);

/* The three of them into <prefix>.txt, <prefix>.svg and <prefix>.json.
 * 0, or -1 when a file cannot be written (errno set). */
int tl_write_files(const tl_t *tl, const char *prefix, const char *title,
                   unsigned max_cols);

#endif /* MK_EXAMPLES_TIMELINE_H */
