/*
 * term.c - the terminal: a bounded ring of input characters filled by
 * host code (the keyboard) and read by processes or host threads, with
 * blocked readers served in arrival order (seed 003's keyboard exercise).
 *
 * Sits on the controller (ctl.c: the terminal line) and the scheduler's
 * wait queues (proc/sched.h), so a reader may be a host thread (blocks on
 * a condvar) or a body (suspended; the next process runs).
 *
 * Flow, as in the mini-kernel: mk_term_input() stores the characters in
 * the ring (the device's input register, here a FIFO) and raises
 * MK_IRQ_TERMINAL; the line's kernel handler, mk__term_deliver(), hands
 * characters to the blocked readers, oldest first, copying straight into
 * each reader's buffer, and wakes them. A reader that finds characters and
 * nobody ahead of it takes them at once. Masking the terminal line
 * therefore holds blocked readers back while characters accumulate.
 *
 * Readers are records on their own stacks (struct mk__term_rx), linked in
 * a FIFO under tlock; each has a one-waiter wait queue so a hand-off wakes
 * exactly that reader. A reader that times out or is killed unlinks itself
 * (under tlock) before returning, so no one touches its stack afterwards.
 *
 * Lock: struct mk__irq.tlock guards the ring, the counters and the reader
 * list; it is the lock passed to mk__wq_wait.
 */
#include "irq_int.h"

#include <string.h>

#include "../proc/proc.h"

/* Take up to cap characters from the ring. tlock held. */
static size_t ring_take(struct mk__irq *s, unsigned char *buf, size_t cap)
{
    size_t n = cap < s->count ? cap : s->count;
    size_t first = MK_TERM_BUF_SIZE - s->head;
    if (first > n)
        first = n;
    memcpy(buf, s->ring + s->head, first);
    memcpy(buf + first, s->ring, n - first);
    s->head = (uint32_t)((s->head + n) % MK_TERM_BUF_SIZE);
    s->count -= (uint32_t)n;
    return n;
}

static void rx_unlink(struct mk__irq *s, struct mk__term_rx *rx)
{
    struct mk__term_rx **pp = &s->rx_head, *prev = NULL;
    while (*pp != NULL && *pp != rx) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp == NULL)
        return;
    *pp = rx->next;
    if (s->rx_tail == rx)
        s->rx_tail = prev;
    rx->next = NULL;
}

/* The terminal line's kernel handler. */
void mk__term_deliver(mk_t *k)
{
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->tlock);
    while (s->rx_head != NULL && s->count != 0) {
        struct mk__term_rx *rx = s->rx_head;
        rx_unlink(s, rx);
        rx->got = ring_take(s, rx->buf, rx->cap);
        rx->rc = 0;
        rx->done = true;
        mk__wq_wake_one(k, &rx->wq, 0);
    }
    pthread_mutex_unlock(&s->tlock);
}

void mk__term_on_exit(mk_t *k, mk_pid_t pid)
{
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->tlock);
    struct mk__term_rx *rx = s->rx_head;
    while (rx != NULL) {
        struct mk__term_rx *next = rx->next;
        if (rx->pid == pid) {
            rx_unlink(s, rx);
            rx->got = 0;
            rx->rc = MK_EDESTROYED;
            rx->done = true;
            mk__wq_wake_one(k, &rx->wq, MK_EDESTROYED);
        }
        rx = next;
    }
    pthread_mutex_unlock(&s->tlock);
}

int mk_term_input(mk_t *k, const void *data, size_t len, size_t *accepted)
{
    MK__CHECK(k);
    if (accepted == NULL || (data == NULL && len != 0))
        return MK_EINVAL;
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->tlock);
    size_t room = MK_TERM_BUF_SIZE - s->count;
    size_t n = len < room ? len : room;
    size_t tail = (s->head + s->count) % MK_TERM_BUF_SIZE;
    size_t first = MK_TERM_BUF_SIZE - tail;
    if (first > n)
        first = n;
    if (n != 0) { /* data may be NULL when len is 0 */
        memcpy(s->ring + tail, data, first);
        memcpy(s->ring, (const unsigned char *)data + first, n - first);
    }
    s->count += (uint32_t)n;
    s->refused += len - n;
    pthread_mutex_unlock(&s->tlock);
    if (n != 0)
        mk__irq_raise_line(k, MK_IRQ_TERMINAL);
    *accepted = n;
    return 0;
}

int mk_term_read(mk_t *k, mk_pid_t pid, void *buf, size_t cap, size_t *n,
                 uint64_t timeout_ticks)
{
    MK__CHECK(k);
    if (buf == NULL || n == NULL || cap == 0)
        return MK_EINVAL;
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    pid = mk__sched_self_or(k, pid);
    if (pid != MK_PID_KERNEL && mk__proc_alive(k, pid) != 0)
        return MK_ENOENT;
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->tlock);
    if (s->rx_head == NULL && s->count != 0) {
        size_t got = ring_take(s, buf, cap);
        pthread_mutex_unlock(&s->tlock);
        *n = got;
        return 0;
    }
    if (timeout_ticks == MK_NO_WAIT) {
        pthread_mutex_unlock(&s->tlock);
        return MK_EAGAIN;
    }
    struct mk__term_rx rx = {.pid = pid, .buf = buf, .cap = cap};
    mk__wq_init(&rx.wq, MK__H_TERM, MK_IRQ_TERMINAL);
    if (s->rx_tail != NULL)
        s->rx_tail->next = &rx;
    else
        s->rx_head = &rx;
    s->rx_tail = &rx;
    rc = mk__wq_wait(k, &rx.wq, &s->tlock, timeout_ticks, pid);
    if (rx.done) {
        rc = rx.rc; /* a hand-off wins over a timeout or a kill */
    } else {
        rx_unlink(s, &rx);
        if (rc == 0)
            rc = MK_EDESTROYED; /* woken without a hand-off: cannot happen */
    }
    pthread_mutex_unlock(&s->tlock);
    if (rc == 0)
        *n = rx.got;
    return rc;
}

int mk_term_status(mk_t *k, uint32_t *buffered, uint64_t *refused)
{
    MK__CHECK(k);
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->tlock);
    if (buffered != NULL)
        *buffered = s->count;
    if (refused != NULL)
        *refused = s->refused;
    pthread_mutex_unlock(&s->tlock);
    return 0;
}
