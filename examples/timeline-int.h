/*
 * timeline-int.h - the replayed model shared by the timeline renderers
 * (timeline.c: model, text and JSON; timeline-svg.c: the SVG chart).
 * Private to examples/: not part of timeline.h's interface.
 */
#ifndef MK_EXAMPLES_TIMELINE_INT_H
#define MK_EXAMPLES_TIMELINE_INT_H

#include "timeline.h"

#define TL_NAME_MAX 32
#define TL_IRQ_LINES 64

struct tl_iv {
    uint64_t t0, t1;
    uint8_t state;
    uint64_t detail; /* wait kind for blocked */
};

struct tl_row {
    mk_pid_t pid;
    char name[TL_NAME_MAX];
    int seen; /* appeared in a spawn or switch event */
    uint8_t state;
    uint64_t since;
    uint64_t detail;
    uint64_t ran;
    uint64_t prio;
    struct tl_iv *iv;
    size_t niv, cap;
};

struct tl_mark {
    uint64_t tick;
    uint32_t type;
    mk_pid_t pid;
    uint64_t a, b;
};

struct tl {
    uint32_t hz;
    uint64_t end;
    uint64_t first; /* tick of the first event */
    int any;
    mk_pid_t running;
    struct tl_row *rows;
    size_t nrows, rcap;
    struct tl_mark *marks;
    size_t nmarks, mcap;
    uint64_t irq_count[TL_IRQ_LINES];
};

/* Tableau 10, a palette chosen for telling categories apart. */
extern const char *const tl__palette[];
#define TL_NPALETTE 10
extern const char tl__state_char[TL_NSTATES];
extern const char *const tl__state_name[TL_NSTATES];

/* Whether interrupt line `line` is the clock (summarised, not drawn). */
int tl__irq_is_clock(const tl_t *tl, uint64_t line);
/* Name of a wait kind (MK_EV_BLOCK's a), or NULL. */
const char *tl__wait_kind(uint64_t kind);
/* The row of pid if it appeared in the run (and its lane), else NULL. */
const struct tl_row *tl__seen_row(const tl_t *tl, mk_pid_t pid, size_t *lane);

#endif /* MK_EXAMPLES_TIMELINE_INT_H */
