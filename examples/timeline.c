/*
 * timeline.c - renders a libmk event trace as a text timeline, an SVG Gantt
 * chart and a Trace Event Format JSON file (see timeline.h).
 *
 * Sits on the public trace API only (mk_event_t, mk_event_name). The event
 * stream is replayed into one row per process holding a list of intervals
 * [t0, t1) with a state (ready / running / blocked / sleeping), plus a list
 * of point events ("marks": interrupts, messages, locks, priority changes,
 * RPC, faults, user marks). The renderers only read that model.
 *
 * Time is the kernel's virtual clock in ticks. Several events may share a
 * tick (a switch costs no virtual time); an interval that begins and ends in
 * the same tick has no width and is left out of the pictures, but its ticks
 * (zero) are still counted. The JSON converts ticks to microseconds with the
 * context's tick rate.
 *
 * The clock line (MK_IRQ_CLOCK, or any line that interrupts at least every
 * other tick) would paint a solid wall of marks, so it is summarised in the
 * legend instead.
 *
 * Single-threaded; every allocation is checked and reported as -1.
 */
#include "timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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
static const char *const palette[] = {
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
    "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac",
};
#define NPALETTE (sizeof palette / sizeof palette[0])

static const char state_char[TL_NSTATES] = {' ', '.', '#', 'b', 'z'};
static const char *const state_name[TL_NSTATES] = {
    "none", "ready", "running", "blocked", "sleeping",
};

tl_t *tl_new(uint32_t tick_hz)
{
    tl_t *tl = calloc(1, sizeof *tl);
    if (tl != NULL)
        tl->hz = tick_hz ? tick_hz : 1000;
    return tl;
}

void tl_free(tl_t *tl)
{
    if (tl == NULL)
        return;
    for (size_t i = 0; i < tl->nrows; i++)
        free(tl->rows[i].iv);
    free(tl->rows);
    free(tl->marks);
    free(tl);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * elem);
    if (p == NULL)
        return -1;
    *arr = p;
    *cap = n;
    return 0;
}

/* The row of pid, created (unseen, state none) when missing. Rows are kept
 * sorted by pid so every rendering lists them in the same order. */
static struct tl_row *row_of(tl_t *tl, mk_pid_t pid)
{
    size_t lo = 0, hi = tl->nrows;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (tl->rows[mid].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < tl->nrows && tl->rows[lo].pid == pid)
        return &tl->rows[lo];
    if (grow((void **)&tl->rows, &tl->rcap, tl->nrows + 1, sizeof *tl->rows))
        return NULL;
    memmove(&tl->rows[lo + 1], &tl->rows[lo], (tl->nrows - lo) * sizeof *tl->rows);
    tl->nrows++;
    struct tl_row *r = &tl->rows[lo];
    memset(r, 0, sizeof *r);
    r->pid = pid;
    snprintf(r->name, sizeof r->name, "p%" PRIu32, pid);
    return r;
}

int tl_name(tl_t *tl, mk_pid_t pid, const char *name)
{
    struct tl_row *r = row_of(tl, pid);
    if (r == NULL)
        return -1;
    snprintf(r->name, sizeof r->name, "%s", name);
    return 0;
}

/* Close the current interval of r at tick and start one in state st. */
static int set_state(struct tl_row *r, uint8_t st, uint64_t tick, uint64_t detail)
{
    if (r->state == st && st != TL_BLOCKED)
        return 0;
    if (r->state != TL_NONE && tick > r->since) {
        if (grow((void **)&r->iv, &r->cap, r->niv + 1, sizeof *r->iv))
            return -1;
        struct tl_iv *last = r->niv ? &r->iv[r->niv - 1] : NULL;
        if (last != NULL && last->state == r->state && last->t1 == r->since &&
            last->detail == r->detail)
            last->t1 = tick; /* same state again: extend */
        else
            r->iv[r->niv++] = (struct tl_iv){r->since, tick, r->state, r->detail};
        if (r->state == TL_RUNNING)
            r->ran += tick - r->since;
    }
    r->state = st;
    r->since = tick;
    r->detail = detail;
    return 0;
}

static int add_mark(tl_t *tl, const mk_event_t *e)
{
    if (grow((void **)&tl->marks, &tl->mcap, tl->nmarks + 1, sizeof *tl->marks))
        return -1;
    tl->marks[tl->nmarks++] = (struct tl_mark){e->tick, e->type, e->pid, e->a, e->b};
    return 0;
}

static int feed_one(tl_t *tl, const mk_event_t *e)
{
    struct tl_row *r = NULL;
    if (!tl->any) {
        tl->any = 1;
        tl->first = e->tick;
    }
    if (e->tick > tl->end)
        tl->end = e->tick;
    switch (e->type) {
    case MK_EV_SPAWN:
        if ((r = row_of(tl, e->pid)) == NULL)
            return -1;
        r->seen = 1;
        r->prio = e->a;
        return set_state(r, TL_READY, e->tick, 0) || add_mark(tl, e);
    case MK_EV_SWITCH:
        /* The previous process keeps a waiting state it entered itself;
         * if it was still running it was put back in the ready queue. */
        if (tl->running != 0 && tl->running != e->pid) {
            struct tl_row *p = row_of(tl, tl->running);
            if (p == NULL)
                return -1;
            if (p->state == TL_RUNNING && set_state(p, TL_READY, e->tick, 0))
                return -1;
        }
        tl->running = e->pid;
        if (e->pid == 0)
            return 0; /* idle */
        if ((r = row_of(tl, e->pid)) == NULL)
            return -1;
        r->seen = 1;
        return set_state(r, TL_RUNNING, e->tick, 0);
    case MK_EV_PREEMPT:
        if ((r = row_of(tl, e->pid)) == NULL)
            return -1;
        return r->seen ? set_state(r, TL_READY, e->tick, 0) : 0;
    case MK_EV_BLOCK:
    case MK_EV_SLEEP:
        if ((r = row_of(tl, e->pid)) == NULL)
            return -1;
        if (!r->seen)
            return 0;
        return set_state(r, e->type == MK_EV_BLOCK ? TL_BLOCKED : TL_SLEEPING,
                         e->tick, e->type == MK_EV_BLOCK ? e->a : e->a);
    case MK_EV_WAKE:
        if ((r = row_of(tl, e->pid)) == NULL)
            return -1;
        if (!r->seen || r->state == TL_RUNNING)
            return 0;
        return set_state(r, TL_READY, e->tick, 0);
    case MK_EV_EXIT:
        if ((r = row_of(tl, e->pid)) == NULL)
            return -1;
        if (tl->running == e->pid)
            tl->running = 0;
        if (!r->seen)
            return 0;
        return set_state(r, TL_NONE, e->tick, 0) || add_mark(tl, e);
    case MK_EV_IRQ:
        if (e->a < TL_IRQ_LINES)
            tl->irq_count[e->a]++;
        return add_mark(tl, e);
    case MK_EV_PRIO:
        if ((r = row_of(tl, e->pid)) == NULL)
            return -1;
        r->prio = e->b;
        return add_mark(tl, e);
    case MK_EV_MSG_SEND:
    case MK_EV_MSG_RECV:
    case MK_EV_LOCK:
    case MK_EV_UNLOCK:
    case MK_EV_FAULT:
    case MK_EV_RPC_CALL:
    case MK_EV_RPC_REPLY:
    case MK_EV_USER:
        return add_mark(tl, e);
    default:
        return 0; /* cache events and future types: not part of the picture */
    }
}

int tl_feed(tl_t *tl, const mk_event_t *ev, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (feed_one(tl, &ev[i]))
            return -1;
    return 0;
}

void tl_finish(tl_t *tl, uint64_t end_tick)
{
    if (end_tick > tl->end)
        tl->end = end_tick;
    for (size_t i = 0; i < tl->nrows; i++) {
        struct tl_row *r = &tl->rows[i];
        if (r->state != TL_NONE) {
            uint64_t d = r->detail;
            uint8_t st = r->state;
            (void)set_state(r, TL_NONE, tl->end, 0);
            r->state = st; /* still alive: finishing twice stays harmless */
            r->since = tl->end;
            r->detail = d;
        }
    }
}

uint64_t tl_ran(const tl_t *tl, mk_pid_t pid)
{
    for (size_t i = 0; i < tl->nrows; i++)
        if (tl->rows[i].pid == pid)
            return tl->rows[i].ran;
    return 0;
}

/* A line firing in at least half the ticks of the run is the clock. */
static int irq_is_clock(const tl_t *tl, uint64_t line)
{
    uint64_t span = tl->end - tl->first;
#ifdef MK_IRQ_CLOCK
    if (line == MK_IRQ_CLOCK)
        return 1;
#endif
    return line < TL_IRQ_LINES && span >= 8 && tl->irq_count[line] * 2 >= span;
}

static const char *wait_kind(uint64_t kind)
{
    /* Object type tags of the library's handles (trace.h: "wait kind"). */
    switch (kind) {
    case 3: return "queue";
    case 4: return "semaphore";
    case 7: return "mutex";
    default: return NULL;
    }
}

/* ---- text ------------------------------------------------------------ */

static void rtrim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
}

int tl_write_text(const tl_t *tl, FILE *out, unsigned max_cols)
{
    if (max_cols < 10)
        max_cols = 10;
    uint64_t t0 = tl->first, span = tl->end > t0 ? tl->end - t0 : 1;
    uint64_t bucket = (span + max_cols - 1) / max_cols;
    size_t cols = (size_t)((span + bucket - 1) / bucket);
    int w = 4;
    for (size_t i = 0; i < tl->nrows; i++) {
        int n = (int)strlen(tl->rows[i].name) + snprintf(NULL, 0, " (p%" PRIu32 ")",
                                                          tl->rows[i].pid);
        if (tl->rows[i].seen && n > w)
            w = n;
    }
    char *line = malloc(cols + 16);
    if (line == NULL)
        return -1;

    /* Axis: a number every 10 columns. */
    memset(line, ' ', cols + 15);
    line[cols + 15] = '\0';
    for (size_t c = 0; c < cols; c += 10) {
        char num[24];
        int n = snprintf(num, sizeof num, "%" PRIu64, t0 + c * bucket);
        memcpy(line + c, num, (size_t)n);
    }
    rtrim(line);
    fprintf(out, "%-*s %s\n", w, "tick", line);
    for (size_t c = 0; c < cols; c++)
        line[c] = (c % 10 == 0) ? '|' : ' ';
    line[cols] = '\0';
    rtrim(line);
    fprintf(out, "%-*s %s\n", w, "", line);

    for (size_t i = 0; i < tl->nrows; i++) {
        const struct tl_row *r = &tl->rows[i];
        if (!r->seen)
            continue;
        uint64_t occ[TL_NSTATES];
        size_t k = 0;
        for (size_t c = 0; c < cols; c++) {
            uint64_t b0 = t0 + c * bucket, b1 = b0 + bucket;
            memset(occ, 0, sizeof occ);
            for (; k < r->niv && r->iv[k].t1 <= b0; k++)
                ;
            for (size_t j = k; j < r->niv && r->iv[j].t0 < b1; j++) {
                uint64_t s = r->iv[j].t0 > b0 ? r->iv[j].t0 : b0;
                uint64_t e = r->iv[j].t1 < b1 ? r->iv[j].t1 : b1;
                occ[r->iv[j].state] += e - s;
            }
            /* Longest state wins; ties go to running, then blocked,
             * sleeping, ready (the more telling one). */
            static const uint8_t order[] = {TL_RUNNING, TL_BLOCKED, TL_SLEEPING, TL_READY};
            uint8_t best = TL_NONE;
            uint64_t most = 0;
            for (size_t o = 0; o < sizeof order; o++)
                if (occ[order[o]] > most) {
                    most = occ[order[o]];
                    best = order[o];
                }
            line[c] = state_char[best];
        }
        line[cols] = '\0';
        rtrim(line);
        char label[64];
        snprintf(label, sizeof label, "%s (p%" PRIu32 ")", r->name, r->pid);
        fprintf(out, "%-*s %s\n", w, label, line);
    }

    /* Interrupt row: '!' where a line other than the clock fired. */
    int any_irq = 0;
    memset(line, ' ', cols);
    line[cols] = '\0';
    for (size_t m = 0; m < tl->nmarks; m++) {
        const struct tl_mark *mk = &tl->marks[m];
        if (mk->type != MK_EV_IRQ || irq_is_clock(tl, mk->a) || mk->tick < t0)
            continue;
        size_t c = (size_t)((mk->tick - t0) / bucket);
        if (c < cols) {
            line[c] = '!';
            any_irq = 1;
        }
    }
    rtrim(line);
    if (any_irq)
        fprintf(out, "%-*s %s\n", w, "irq", line);
    free(line);
    fprintf(out, "%-*s # running  . ready  b blocked  z sleeping  ! interrupt"
                 "  (1 column = %" PRIu64 " tick%s)\n",
            w, "", bucket, bucket == 1 ? "" : "s");
    for (size_t i = 0; i < tl->nrows; i++)
        if (tl->rows[i].seen)
            fprintf(out, "%-*s ran %" PRIu64 " tick(s)\n", w, tl->rows[i].name,
                    tl->rows[i].ran);
    return ferror(out) ? -1 : 0;
}

/* ---- SVG ------------------------------------------------------------- */

static void xml_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

static const struct tl_row *seen_row(const tl_t *tl, mk_pid_t pid, size_t *lane)
{
    size_t n = 0;
    for (size_t i = 0; i < tl->nrows; i++) {
        if (!tl->rows[i].seen)
            continue;
        if (tl->rows[i].pid == pid) {
            if (lane)
                *lane = n;
            return &tl->rows[i];
        }
        n++;
    }
    return NULL;
}

/* A tick step giving labels at least min_px apart: 1, 2, 5, 10, 20, … */
static uint64_t axis_step(double px_per_tick, double min_px)
{
    static const uint64_t m[] = {1, 2, 5};
    for (uint64_t p = 1;; p *= 10)
        for (size_t i = 0; i < 3; i++)
            if (m[i] * p * px_per_tick >= min_px || p > 1000000000000ull)
                return m[i] * p;
}

#define SVG_LEFT 170.0
#define SVG_TOP 74.0
#define SVG_LANE 30.0
#define SVG_CHART 960.0

int tl_write_svg(const tl_t *tl, FILE *out, const char *title)
{
    size_t lanes = 0;
    for (size_t i = 0; i < tl->nrows; i++)
        lanes += tl->rows[i].seen != 0;
    uint64_t t0 = tl->first, span = tl->end > t0 ? tl->end - t0 : 1;
    double px = SVG_CHART / (double)span;
    double chart_h = SVG_LANE * (double)lanes;
    double width = SVG_LEFT + SVG_CHART + 30.0;
    double legend_y = SVG_TOP + chart_h + 44.0;
    double height = legend_y + 78.0;
#define X(t) (SVG_LEFT + ((double)(t) - (double)t0) * px)

    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                 "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
                 "font-size=\"12\">\n",
            width, height, width, height);
    fputs("<defs>\n"
          " <pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
          "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f4d6d6\"/>"
          "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#b03a3a\" stroke-width=\"2\"/></pattern>\n"
          " <marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
          "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" "
          "fill=\"#333\"/></marker>\n"
          "</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
          out);
    fputs("<text x=\"16\" y=\"24\" font-size=\"16\" font-weight=\"bold\">", out);
    xml_text(out, title ? title : "libmk scheduling timeline");
    fprintf(out, "</text>\n<text x=\"16\" y=\"42\" fill=\"#555\">virtual ticks %" PRIu64
                 " to %" PRIu64 "; each lane is one process</text>\n",
            t0, tl->end);

    /* Lanes and grid. */
    size_t lane = 0;
    for (size_t i = 0; i < tl->nrows; i++) {
        const struct tl_row *r = &tl->rows[i];
        if (!r->seen)
            continue;
        double y = SVG_TOP + SVG_LANE * (double)lane;
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
                SVG_LEFT, y, SVG_CHART, SVG_LANE, lane % 2 ? "#f7f7f7" : "#eeeeee");
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", SVG_LEFT - 8,
                y + SVG_LANE / 2 + 4);
        xml_text(out, r->name);
        fprintf(out, " <tspan fill=\"#777\">(p%" PRIu32 ")</tspan></text>\n", r->pid);
        lane++;
    }
    uint64_t step = axis_step(px, 48.0);
    for (uint64_t t = (t0 + step - 1) / step * step; t <= tl->end; t += step) {
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d0d0d0\"/>\n",
                X(t), SVG_TOP - 4, X(t), SVG_TOP + chart_h + 4);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\">%" PRIu64
                     "</text>\n", X(t), SVG_TOP - 8, t);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\">%" PRIu64
                     "</text>\n", X(t), SVG_TOP + chart_h + 18, t);
    }
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#444\">tick</text>\n",
            SVG_LEFT - 8, SVG_TOP - 8);

    /* Intervals: waiting states as bands, runs as full bars. */
    lane = 0;
    for (size_t i = 0; i < tl->nrows; i++) {
        const struct tl_row *r = &tl->rows[i];
        if (!r->seen)
            continue;
        double y = SVG_TOP + SVG_LANE * (double)lane;
        const char *col = palette[lane % NPALETTE];
        for (size_t j = 0; j < r->niv; j++) {
            const struct tl_iv *v = &r->iv[j];
            double x0 = X(v->t0), w = ((double)(v->t1 - v->t0)) * px;
            const char *kind = v->state == TL_BLOCKED ? wait_kind(v->detail) : NULL;
            switch (v->state) {
            case TL_RUNNING:
                fprintf(out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
                             "fill=\"%s\" stroke=\"#222\" stroke-width=\"0.6\">",
                        x0, y + 4, w, SVG_LANE - 8, col);
                break;
            case TL_READY:
                fprintf(out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"4\" "
                             "fill=\"#9a9a9a\">", x0, y + SVG_LANE / 2 - 2, w);
                break;
            case TL_BLOCKED:
                fprintf(out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"10\" "
                             "fill=\"url(#hatch)\" stroke=\"#b03a3a\" stroke-width=\"0.6\">",
                        x0, y + SVG_LANE / 2 - 5, w);
                break;
            case TL_SLEEPING:
                fprintf(out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"10\" "
                             "fill=\"#bcd7ee\" stroke=\"#5b8fbf\" stroke-width=\"0.6\">",
                        x0, y + SVG_LANE / 2 - 5, w);
                break;
            default:
                continue;
            }
            fprintf(out, "<title>");
            xml_text(out, r->name);
            fprintf(out, " %s%s%s, ticks %" PRIu64 "-%" PRIu64 "</title></rect>\n",
                    state_name[v->state], kind ? " on " : "", kind ? kind : "", v->t0, v->t1);
        }
        lane++;
    }

    /* Marks. */
    int clock_line = -1;
    for (size_t m = 0; m < tl->nmarks; m++) {
        const struct tl_mark *mk = &tl->marks[m];
        size_t ln = 0, dl = 0;
        const struct tl_row *r = seen_row(tl, mk->pid, &ln);
        double x = X(mk->tick), y = SVG_TOP + SVG_LANE * (double)ln;
        switch (mk->type) {
        case MK_EV_IRQ:
            if (irq_is_clock(tl, mk->a)) {
                clock_line = (int)mk->a;
                break;
            }
            fprintf(out, "<path d=\"M%.1f,%.1f l-5,-9 h10 z\" fill=\"#e8a33d\" stroke=\"#8a5a10\">"
                         "<title>interrupt line %" PRIu64 " at tick %" PRIu64 "</title></path>\n",
                    x, SVG_TOP - 1, mk->a, mk->tick);
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e8a33d\" "
                         "stroke-dasharray=\"3,3\"/>\n", x, SVG_TOP, x, SVG_TOP + chart_h);
            break;
        case MK_EV_MSG_SEND:
        case MK_EV_RPC_CALL:
        case MK_EV_RPC_REPLY: {
            if (r == NULL)
                break;
            const struct tl_row *d = (mk->a <= UINT32_MAX)
                                         ? seen_row(tl, (mk_pid_t)mk->a, &dl) : NULL;
            const char *what = mk->type == MK_EV_MSG_SEND ? "message"
                               : mk->type == MK_EV_RPC_CALL ? "RPC call" : "RPC reply";
            if (d != NULL && d != r) {
                double y2 = SVG_TOP + SVG_LANE * (double)dl + SVG_LANE / 2;
                double y1 = y + SVG_LANE / 2;
                y2 += (y2 > y1) ? -6 : 6;
                fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\" "
                             "stroke-width=\"1.3\" marker-end=\"url(#arrow)\"%s>",
                        x, y1, x, y2,
                        mk->type == MK_EV_MSG_SEND ? "" : " stroke-dasharray=\"4,2\"");
                fprintf(out, "<title>%s %s -&gt; %s, %" PRIu64 " bytes, tick %" PRIu64 "</title></line>\n",
                        what, r->name, d->name, mk->b, mk->tick);
            }
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#fff\" stroke=\"#333\">"
                         "<title>%s sent at tick %" PRIu64 "</title></circle>\n",
                    x, y + SVG_LANE / 2, what, mk->tick);
            break;
        }
        case MK_EV_PRIO:
            if (r == NULL)
                break;
            fprintf(out, "<path d=\"M%.1f,%.1f l5,5 l-5,5 l-5,-5 z\" fill=\"#7b3fa0\">"
                         "<title>priority %" PRIu64 " -&gt; %" PRIu64 " at tick %" PRIu64
                         "</title></path>\n",
                    x, y - 1, mk->a, mk->b, mk->tick);
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#7b3fa0\" "
                         "stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">prio %"
                         PRIu64 "&#8594;%" PRIu64 "</text>\n",
                    x + 6, y + 9, mk->a, mk->b);
            break;
        case MK_EV_FAULT:
            if (r == NULL)
                break;
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"14\" font-weight=\"bold\" "
                         "fill=\"#c00\" text-anchor=\"middle\">&#215;<title>exception %" PRIu64
                         " at tick %" PRIu64 "</title></text>\n",
                    x, y + SVG_LANE / 2 + 5, mk->a, mk->tick);
            break;
        case MK_EV_LOCK:
        case MK_EV_UNLOCK:
            if (r == NULL)
                break;
            fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"5\" fill=\"%s\">"
                         "<title>%s at tick %" PRIu64 "</title></rect>\n",
                    x - 1.5, y + SVG_LANE - 6, mk->type == MK_EV_LOCK ? "#111" : "#888",
                    mk->type == MK_EV_LOCK ? "lock" : "unlock", mk->tick);
            break;
        default:
            break;
        }
    }

    /* Legend: one swatch per process, then the states and marks. */
    double lx = 16, ly = legend_y;
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">running:</text>\n", lx, ly + 10);
    lx += 70;
    lane = 0;
    for (size_t i = 0; i < tl->nrows; i++) {
        const struct tl_row *r = &tl->rows[i];
        if (!r->seen)
            continue;
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"12\" fill=\"%s\" "
                     "stroke=\"#222\" stroke-width=\"0.6\"/>\n<text x=\"%.1f\" y=\"%.1f\">",
                lx, ly, palette[lane % NPALETTE], lx + 19, ly + 10);
        xml_text(out, r->name);
        fputs("</text>\n", out);
        lx += 19 + 7.5 * (double)strlen(r->name) + 16;
        if (lx > width - 120) {
            lx = 86;
            ly += 18;
        }
        lane++;
    }
    ly += 26;
    fprintf(out,
            "<rect x=\"16\" y=\"%.1f\" width=\"24\" height=\"4\" fill=\"#9a9a9a\"/>"
            "<text x=\"46\" y=\"%.1f\">ready</text>\n"
            "<rect x=\"100\" y=\"%.1f\" width=\"24\" height=\"10\" fill=\"url(#hatch)\" stroke=\"#b03a3a\" stroke-width=\"0.6\"/>"
            "<text x=\"130\" y=\"%.1f\">blocked</text>\n"
            "<rect x=\"200\" y=\"%.1f\" width=\"24\" height=\"10\" fill=\"#bcd7ee\" stroke=\"#5b8fbf\" stroke-width=\"0.6\"/>"
            "<text x=\"230\" y=\"%.1f\">sleeping</text>\n"
            "<path d=\"M312,%.1f l-5,-9 h10 z\" fill=\"#e8a33d\" stroke=\"#8a5a10\"/>"
            "<text x=\"322\" y=\"%.1f\">interrupt</text>\n"
            "<line x1=\"402\" y1=\"%.1f\" x2=\"402\" y2=\"%.1f\" stroke=\"#333\" stroke-width=\"1.3\" marker-end=\"url(#arrow)\"/>"
            "<text x=\"412\" y=\"%.1f\">message (dashed: RPC)</text>\n"
            "<path d=\"M572,%.1f l5,5 l-5,5 l-5,-5 z\" fill=\"#7b3fa0\"/>"
            "<text x=\"582\" y=\"%.1f\">priority change (inheritance)</text>\n"
            "<rect x=\"790\" y=\"%.1f\" width=\"3\" height=\"8\" fill=\"#111\"/>"
            "<text x=\"799\" y=\"%.1f\">lock</text>\n",
            ly + 3, ly + 9, ly, ly + 9, ly, ly + 9, ly + 10, ly + 9, ly - 2, ly + 10, ly + 9,
            ly, ly + 9, ly + 1, ly + 9);
    if (clock_line >= 0)
        fprintf(out, "<text x=\"16\" y=\"%.1f\" fill=\"#555\">the clock interrupt (line %d) is "
                     "not drawn: every event carries its tick</text>\n", ly + 30, clock_line);
    fputs("</svg>\n", out);
#undef X
    return ferror(out) ? -1 : 0;
}

/* ---- Trace Event Format ------------------------------------------------ */

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

int tl_write_json(const tl_t *tl, FILE *out, const char *title)
{
    /* Microseconds per tick; printed with 3 decimals so rates up to 1 MHz
     * stay exact enough. All processes live in one trace "process" (the
     * simulated machine), one "thread" per libmk process. */
    double us = 1e6 / (double)tl->hz;
    const int tpid = 1;
    fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"title\":", out);
    json_str(out, title ? title : "libmk scheduling timeline");
    fprintf(out, ",\"tick_hz\":%" PRIu32 "},\n\"traceEvents\":[\n", tl->hz);
    fprintf(out, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":0,"
                 "\"args\":{\"name\":\"libmk simulated CPU\"}}", tpid);
    fprintf(out, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":0,"
                 "\"args\":{\"name\":\"kernel / interrupts\"}}", tpid);
    int sort = 1;
    for (size_t i = 0; i < tl->nrows; i++) {
        const struct tl_row *r = &tl->rows[i];
        if (!r->seen)
            continue;
        char label[64];
        snprintf(label, sizeof label, "%s (pid %" PRIu32 ")", r->name, r->pid);
        fprintf(out, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%" PRIu32
                     ",\"args\":{\"name\":", tpid, r->pid);
        json_str(out, label);
        fprintf(out, "}},\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":%d,\"tid\":%" PRIu32
                     ",\"args\":{\"sort_index\":%d}}", tpid, r->pid, sort++);
    }
    for (size_t i = 0; i < tl->nrows; i++) {
        const struct tl_row *r = &tl->rows[i];
        if (!r->seen)
            continue;
        for (size_t j = 0; j < r->niv; j++) {
            const struct tl_iv *v = &r->iv[j];
            if (v->state == TL_READY)
                continue; /* the gaps between slices say it */
            char name[64];
            const char *kind = v->state == TL_BLOCKED ? wait_kind(v->detail) : NULL;
            if (v->state == TL_RUNNING)
                snprintf(name, sizeof name, "%s", r->name);
            else
                snprintf(name, sizeof name, "%s%s%s", state_name[v->state],
                         kind ? " on " : "", kind ? kind : "");
            fputs(",\n{\"name\":", out);
            json_str(out, name);
            fprintf(out, ",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":%d,"
                         "\"tid\":%" PRIu32 ",\"args\":{\"tick\":%" PRIu64 ",\"ticks\":%" PRIu64 "}}",
                    v->state == TL_RUNNING ? "run" : "wait", (double)v->t0 * us,
                    (double)(v->t1 - v->t0) * us, tpid, r->pid, v->t0, v->t1 - v->t0);
        }
    }
    for (size_t m = 0; m < tl->nmarks; m++) {
        const struct tl_mark *mk = &tl->marks[m];
        char name[96];
        const char *scope = "t";
        mk_pid_t tid = mk->pid;
        if (seen_row(tl, tid, NULL) == NULL)
            tid = 0;
        switch (mk->type) {
        case MK_EV_IRQ:
            if (irq_is_clock(tl, mk->a))
                continue;
            snprintf(name, sizeof name, "irq %" PRIu64, mk->a);
            scope = "p";
            tid = 0;
            break;
        case MK_EV_MSG_SEND:
            snprintf(name, sizeof name, "send to %" PRIu64 " (%" PRIu64 " B)", mk->a, mk->b);
            break;
        case MK_EV_MSG_RECV:
            snprintf(name, sizeof name, "recv from %" PRIu64 " (%" PRIu64 " B)", mk->a, mk->b);
            break;
        case MK_EV_RPC_CALL:
            snprintf(name, sizeof name, "rpc call to %" PRIu64, mk->a);
            break;
        case MK_EV_RPC_REPLY:
            snprintf(name, sizeof name, "rpc reply to %" PRIu64, mk->a);
            break;
        case MK_EV_LOCK:
            snprintf(name, sizeof name, "lock");
            break;
        case MK_EV_UNLOCK:
            snprintf(name, sizeof name, "unlock");
            break;
        case MK_EV_PRIO:
            snprintf(name, sizeof name, "priority %" PRIu64 " -> %" PRIu64, mk->a, mk->b);
            break;
        case MK_EV_FAULT:
            snprintf(name, sizeof name, "exception %" PRIu64, mk->a);
            break;
        case MK_EV_SPAWN:
            snprintf(name, sizeof name, "spawn (priority %" PRIu64 ")", mk->a);
            break;
        case MK_EV_EXIT:
            snprintf(name, sizeof name, "%s (status %" PRId32 ")", mk->b ? "killed" : "exit",
                     (int32_t)(uint32_t)mk->a);
            break;
        default:
            snprintf(name, sizeof name, "%s", mk_event_name(mk->type));
            break;
        }
        fputs(",\n{\"name\":", out);
        json_str(out, name);
        fprintf(out, ",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"%s\",\"ts\":%.3f,\"pid\":%d,\"tid\":%"
                     PRIu32 ",\"args\":{\"tick\":%" PRIu64 ",\"a\":%" PRIu64 ",\"b\":%" PRIu64 "}}",
                mk_event_name(mk->type), scope, (double)mk->tick * us, tpid, tid, mk->tick,
                mk->a, mk->b);
    }
    fputs("\n]}\n", out);
    return ferror(out) ? -1 : 0;
}

int tl_write_files(const tl_t *tl, const char *prefix, const char *title, unsigned max_cols)
{
    static const char *const ext[] = {".txt", ".svg", ".json"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(prefix) + 6;
        char *path = malloc(n);
        if (path == NULL)
            return -1;
        snprintf(path, n, "%s%s", prefix, ext[i]);
        FILE *f = fopen(path, "w");
        free(path);
        if (f == NULL)
            return -1;
        int rc = i == 0 ? tl_write_text(tl, f, max_cols)
                 : i == 1 ? tl_write_svg(tl, f, title) : tl_write_json(tl, f, title);
        if (fclose(f) != 0 || rc != 0) {
            if (errno == 0)
                errno = EIO;
            return -1;
        }
    }
    return 0;
}
