/*
 * minikernel-keyboard.c - the mini-kernel's keyboard exercise: characters
 * typed at the terminal land in a bounded ring buffer (the terminal
 * interrupt's handler puts them there); a process that reads an empty
 * buffer blocks until characters arrive, and blocked readers are served in
 * the order they came.
 *
 * Part 1 (host code): typing more than MK_TERM_BUF_SIZE characters with no
 * reader fills the buffer; the rest are refused and counted, never lost
 * silently; reading drains the buffer in order.
 * Part 2 (scheduled): two readers block on the empty terminal; a keyboard
 * device process (high priority) types a line every 10 ticks; the readers
 * wake in arrival order and read what was typed. A text timeline shows the
 * readers blocked until the keys come. Exit status 0 when all went so.
 */
#include <microkernel/mk.h>
#include <microkernel/irq.h> /* until mk.h includes it */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeline.h"

#define TRY(call)                                                                        \
    do {                                                                                 \
        int rc_ = (call);                                                                \
        if (rc_ != 0) {                                                                  \
            fprintf(stderr, "minikernel-keyboard: %s: %s\n", #call, mk_err_name(rc_));  \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

static const char *const typed[] = {"ab", "cdef", "gh", "ijklm"};
#define NLINES (sizeof typed / sizeof typed[0])

struct reader {
    char got[64];
    size_t n;
    int reads;
};

static uint64_t now(mk_t *k)
{
    uint64_t t = 0;
    (void)mk_clock_now(k, &t);
    return t;
}

static int keyboard(mk_t *k, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < NLINES; i++) {
        TRY(mk_sleep(k, 10));
        size_t acc;
        TRY(mk_term_input(k, typed[i], strlen(typed[i]), &acc));
        if (acc != strlen(typed[i]))
            return 1;
        printf("  [tick %3" PRIu64 "] keyboard: typed \"%s\"\n", now(k), typed[i]);
    }
    return 0;
}

static int reader(mk_t *k, void *arg)
{
    struct reader *r = arg;
    for (int i = 0; i < 2; i++) {
        size_t n;
        TRY(mk_term_read(k, mk_self(k), r->got + r->n, 8, &n, MK_FOREVER));
        printf("  [tick %3" PRIu64 "] reader p%" PRIu32 ": read \"%.*s\"\n", now(k), mk_self(k),
               (int)n, r->got + r->n);
        r->n += n;
        r->reads++;
        TRY(mk_compute(k, 2));
    }
    return 0;
}

int main(void)
{
    int ok = 1;
    mk_t *k;
    TRY(mk_create(NULL, &k));

    printf("part 1: a full buffer refuses, never drops\n");
    char lots[MK_TERM_BUF_SIZE + 44];
    for (size_t i = 0; i < sizeof lots; i++)
        lots[i] = (char)('a' + i % 26);
    size_t acc;
    uint32_t buffered;
    uint64_t refused;
    TRY(mk_term_input(k, lots, sizeof lots, &acc));
    TRY(mk_term_status(k, &buffered, &refused));
    printf("  typed %zu, accepted %zu, buffered %" PRIu32 ", refused %" PRIu64 "\n", sizeof lots,
           acc, buffered, refused);
    ok = ok && acc == MK_TERM_BUF_SIZE && buffered == MK_TERM_BUF_SIZE && refused == 44;
    char back[MK_TERM_BUF_SIZE];
    size_t got = 0, n;
    while (got < sizeof back && mk_term_read(k, 0, back + got, sizeof back - got, &n, MK_NO_WAIT) == 0)
        got += n;
    ok = ok && got == MK_TERM_BUF_SIZE && memcmp(back, lots, got) == 0;
    ok = ok && mk_term_read(k, 0, back, 1, &n, MK_NO_WAIT) == MK_EAGAIN;
    printf("  read back %zu characters in typing order; empty buffer: MK_EAGAIN\n", got);

    printf("part 2: blocked readers\n");
    TRY(mk_trace_enable(k, 4096));
    struct reader r1 = {{0}, 0, 0}, r2 = {{0}, 0, 0};
    mk_proc_attr_t hi;
    mk_proc_attr_init(&hi);
    hi.priority = MK_PRIO_MAX;
    TRY(mk_proc_spawn(k, 1, NULL, reader, &r1, NULL));
    TRY(mk_proc_spawn(k, 2, NULL, reader, &r2, NULL));
    TRY(mk_proc_spawn(k, 3, &hi, keyboard, NULL, NULL));
    uint32_t reason;
    TRY(mk_run(k, 8, &reason));
    uint32_t s1, s2;
    TRY(mk_proc_state(k, 1, &s1));
    TRY(mk_proc_state(k, 2, &s2));
    printf("  at tick 8 both readers are %s\n",
           s1 == MK_PROC_BLOCKED && s2 == MK_PROC_BLOCKED ? "blocked" : "NOT blocked");
    ok = ok && s1 == MK_PROC_BLOCKED && s2 == MK_PROC_BLOCKED;
    TRY(mk_run(k, MK_FOREVER, &reason));
    ok = ok && reason == MK_RUN_DONE;
    /* First come, first served: reader 1 gets lines 1 and 3, reader 2 lines 2 and 4. */
    ok = ok && r1.reads == 2 && r2.reads == 2 && strncmp(r1.got, "abgh", r1.n) == 0 &&
         r1.n == 4 && strncmp(r2.got, "cdefijklm", r2.n) == 0 && r2.n == 9;

    static mk_event_t ev[4096];
    TRY(mk_trace_read(k, ev, 4096, &n));
    tl_t *tl = tl_new(1000);
    if (tl == NULL)
        return 1;
    tl_name(tl, 1, "reader-1");
    tl_name(tl, 2, "reader-2");
    tl_name(tl, 3, "keyboard");
    if (tl_feed(tl, ev, n) != 0)
        ok = 0;
    tl_finish(tl, now(k));
    printf("\n");
    tl_write_text(tl, stdout, 100);
    tl_free(tl);
    for (mk_pid_t p = 1; p <= 3; p++)
        TRY(mk_wait(k, p, MK_NO_WAIT, NULL));
    TRY(mk_destroy(k));
    printf("%s: readers blocked until characters came, and were served in order\n",
           ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
