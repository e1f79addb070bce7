/*
 * trace.c - the event stream: a ring buffer of mk_event_t and an optional
 * callback, both fed by mk__trace_emit() from every module.
 *
 * Emitting is a relaxed atomic load when tracing is off (the common case on
 * hot paths). When on, one mutex serialises the sequence number, the ring
 * and the callback, so events are totally ordered; the callback runs under
 * that mutex and must not call back into the context.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

struct mk__trace {
    pthread_mutex_t lock;
    mk_event_t *ring;   /* capacity slots, NULL when the ring is off */
    uint32_t capacity;
    uint64_t head;      /* index of the oldest event (monotonic) */
    uint64_t count;     /* events buffered */
    uint64_t seq;       /* last sequence number issued */
    uint64_t dropped;
    mk_trace_fn fn;
    void *fn_ctx;
};

int mk__trace_init(mk_t *k)
{
    struct mk__trace *t = calloc(1, sizeof *t);
    if (t == NULL)
        return MK_ENOMEM;
    if (pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t);
        return MK_ENOMEM;
    }
    k->trace = t;
    atomic_store(&k->trace_on, 0);
    return 0;
}

void mk__trace_fini(mk_t *k)
{
    struct mk__trace *t = k->trace;
    if (t == NULL)
        return;
    atomic_store(&k->trace_on, 0);
    pthread_mutex_destroy(&t->lock);
    free(t->ring);
    free(t);
    k->trace = NULL;
}

static void mk__trace_update_on(mk_t *k, const struct mk__trace *t)
{
    atomic_store_explicit(&k->trace_on, (t->ring != NULL || t->fn != NULL) ? 1 : 0,
                          memory_order_release);
}

void mk__trace_emit_slow(mk_t *k, uint32_t type, mk_pid_t pid, uint64_t a, uint64_t b)
{
    struct mk__trace *t = k->trace;
    if (t == NULL)
        return;
    pthread_mutex_lock(&t->lock);
    mk_event_t ev = {
        .tick = atomic_load(&k->ticks),
        .seq = ++t->seq,
        .type = type,
        .pid = pid,
        .a = a,
        .b = b,
    };
    if (t->ring != NULL) {
        if (t->count == t->capacity) {
            t->head++;
            t->count--;
            t->dropped++;
        }
        t->ring[(t->head + t->count) % t->capacity] = ev;
        t->count++;
    }
    if (t->fn != NULL)
        t->fn(t->fn_ctx, &ev);
    pthread_mutex_unlock(&t->lock);
}

int mk_trace_enable(mk_t *k, uint32_t capacity)
{
    MK__CHECK(k);
    if (capacity > (1u << 24))
        return MK_EINVAL;
    mk_event_t *ring = NULL;
    if (capacity > 0 && (ring = calloc(capacity, sizeof *ring)) == NULL)
        return MK_ENOMEM;
    struct mk__trace *t = k->trace;
    pthread_mutex_lock(&t->lock);
    mk_event_t *old = t->ring;
    t->ring = ring;
    t->capacity = capacity;
    t->head = 0;
    t->count = 0;
    t->dropped = 0;
    mk__trace_update_on(k, t);
    pthread_mutex_unlock(&t->lock);
    free(old);
    return 0;
}

int mk_trace_read(mk_t *k, mk_event_t *events, size_t cap, size_t *count)
{
    MK__CHECK(k);
    if (count == NULL || (events == NULL && cap > 0))
        return MK_EINVAL;
    struct mk__trace *t = k->trace;
    pthread_mutex_lock(&t->lock);
    size_t n = 0;
    while (n < cap && t->count > 0) {
        events[n++] = t->ring[t->head % t->capacity];
        t->head++;
        t->count--;
    }
    pthread_mutex_unlock(&t->lock);
    *count = n;
    return 0;
}

int mk_trace_dropped(mk_t *k, uint64_t *dropped)
{
    MK__CHECK(k);
    if (dropped == NULL)
        return MK_EINVAL;
    pthread_mutex_lock(&k->trace->lock);
    *dropped = k->trace->dropped;
    pthread_mutex_unlock(&k->trace->lock);
    return 0;
}

int mk_trace_set_callback(mk_t *k, mk_trace_fn fn, void *ctx)
{
    MK__CHECK(k);
    struct mk__trace *t = k->trace;
    pthread_mutex_lock(&t->lock);
    t->fn = fn;
    t->fn_ctx = fn != NULL ? ctx : NULL;
    mk__trace_update_on(k, t);
    pthread_mutex_unlock(&t->lock);
    return 0;
}

int mk_trace_mark(mk_t *k, mk_pid_t pid, uint64_t a, uint64_t b)
{
    MK__CHECK(k);
    mk__trace_emit(k, MK_EV_USER, pid, a, b);
    return 0;
}

const char *mk_event_name(uint32_t type)
{
    static const char *const names[] = {
        [MK_EV_SPAWN] = "spawn",
        [MK_EV_EXIT] = "exit",
        [MK_EV_SWITCH] = "switch",
        [MK_EV_PREEMPT] = "preempt",
        [MK_EV_BLOCK] = "block",
        [MK_EV_WAKE] = "wake",
        [MK_EV_SLEEP] = "sleep",
        [MK_EV_IRQ] = "irq",
        [MK_EV_MSG_SEND] = "msg_send",
        [MK_EV_MSG_RECV] = "msg_recv",
        [MK_EV_LOCK] = "lock",
        [MK_EV_UNLOCK] = "unlock",
        [MK_EV_FAULT] = "fault",
        [MK_EV_CACHE_HIT] = "cache_hit",
        [MK_EV_CACHE_MISS] = "cache_miss",
        [MK_EV_CACHE_EVICT] = "cache_evict",
        [MK_EV_CACHE_WRITEBACK] = "cache_writeback",
        [MK_EV_PRIO] = "prio",
        [MK_EV_RPC_CALL] = "rpc_call",
        [MK_EV_RPC_REPLY] = "rpc_reply",
        [MK_EV_USER] = "user",
    };
    if (type < sizeof names / sizeof names[0] && names[type] != NULL)
        return names[type];
    return "unknown";
}
