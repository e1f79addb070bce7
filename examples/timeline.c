/*
 * timeline.c - renders a libmk event trace as a text timeline, an SVG Gantt
 * chart (drawn by timeline-svg.c) and a Trace Event Format JSON file (see
 * timeline.h).
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
#include "timeline-int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Tableau 10, a palette chosen for telling categories apart. */
const char *const tl__palette[TL_NPALETTE] = {
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
    "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac",
};

const char tl__state_char[TL_NSTATES] = {' ', '.', '#', 'b', 'z'};
const char *const tl__state_name[TL_NSTATES] = {
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
int tl__irq_is_clock(const tl_t *tl, uint64_t line)
{
    uint64_t span = tl->end - tl->first;
#ifdef MK_IRQ_CLOCK
    if (line == MK_IRQ_CLOCK)
        return 1;
#endif
    return line < TL_IRQ_LINES && span >= 8 && tl->irq_count[line] * 2 >= span;
}

const char *tl__wait_kind(uint64_t kind)
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
            line[c] = tl__state_char[best];
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
        if (mk->type != MK_EV_IRQ || tl__irq_is_clock(tl, mk->a) || mk->tick < t0)
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
            const char *kind = v->state == TL_BLOCKED ? tl__wait_kind(v->detail) : NULL;
            if (v->state == TL_RUNNING)
                snprintf(name, sizeof name, "%s", r->name);
            else
                snprintf(name, sizeof name, "%s%s%s", tl__state_name[v->state],
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
        if (tl__seen_row(tl, tid, NULL) == NULL)
            tid = 0;
        switch (mk->type) {
        case MK_EV_IRQ:
            if (tl__irq_is_clock(tl, mk->a))
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
