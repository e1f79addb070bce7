/*
 * exc.c - exceptions: synchronous faults of one process, delivered to the
 * process's handler on the faulting thread; the default kills it.
 *
 * Sits on the scheduler (mk__sched_kill, mk__sched_current) and on mem's
 * violation notifier (mem.h), which it installs at init so that memory
 * violations and quota overruns become MK_EXC_MEMORY / MK_EXC_QUOTA
 * without mem calling upward by name. Other layers call mk__exc_raise()
 * (irq.h); bodies and host code call mk_exc_raise().
 *
 * A violation is fatal by default only when the process itself committed
 * it (the faulting call ran in its body). Host code acting for a pid, the
 * foundation's model, gets the error code as before: killing the pid
 * under its feet would turn every bounds check into a destroy.
 *
 * Lock: struct mk__irq.xlock guards the pid -> record map; it is dropped
 * before the handler runs and before a kill (which runs every exit hook,
 * ours included).
 */
#include "irq_int.h"

#include <stdlib.h>

#include "../mem/mem.h"
#include "../proc/proc.h"

struct mk__exc_rec {
    mk_exc_fn fn;
    void *ctx;
    uint64_t count;
};

/* Exit status of a process killed by an exception: that of mk_kill(). */
#define EXC_STATUS(exc) (-1)

static void on_violation(mk_t *k, mk_pid_t pid, int code, void *arg)
{
    (void)arg;
    uint32_t exc = code == MK_EQUOTA ? MK_EXC_QUOTA : MK_EXC_MEMORY;
    bool own = mk__sched_current(k) == pid;
    (void)mk__exc_raise(k, pid, exc, (uint64_t)(-code), own, NULL);
}

void mk__exc_init(mk_t *k)
{
    mk__mem_set_violation_hook(k, on_violation, NULL);
}

void mk__exc_fini(mk_t *k)
{
    struct mk__irq *s = k->irq;
    if (k->mem != NULL)
        mk__mem_set_violation_hook(k, NULL, NULL);
    size_t cur = 0;
    void *v;
    while ((v = mk__hmap_next(&s->exc, &cur, NULL)) != NULL)
        free(v);
}

/* A pid is being (re)created: forget a record left by a set_handler that
 * raced the previous holder's destruction. */
int mk__exc_on_create(mk_t *k, mk_pid_t pid)
{
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->xlock);
    struct mk__exc_rec *r = mk__hmap_del(&s->exc, pid);
    pthread_mutex_unlock(&s->xlock);
    free(r);
    return 0;
}

void mk__exc_on_exit(mk_t *k, mk_pid_t pid)
{
    (void)mk__exc_on_create(k, pid);
}

/* Record for pid, created if needed; NULL on allocation failure. xlock held. */
static struct mk__exc_rec *rec_get(struct mk__irq *s, mk_pid_t pid)
{
    struct mk__exc_rec *r = mk__hmap_get(&s->exc, pid);
    if (r != NULL)
        return r;
    r = calloc(1, sizeof *r);
    if (r != NULL && mk__hmap_put(&s->exc, pid, r) != 0) {
        free(r);
        r = NULL;
    }
    return r;
}

int mk__exc_raise(mk_t *k, mk_pid_t pid, uint32_t exc, uint64_t detail, bool fatal_default,
                  uint32_t *killed)
{
    if (mk__proc_alive(k, pid) != 0)
        return MK_ENOENT;
    struct mk__irq *s = k->irq;
    mk_exc_fn fn = NULL;
    void *ctx = NULL;
    pthread_mutex_lock(&s->xlock);
    struct mk__exc_rec *r = rec_get(s, pid);
    if (r != NULL) {
        r->count++; /* lost only if the host is out of memory */
        fn = r->fn;
        ctx = r->ctx;
    }
    pthread_mutex_unlock(&s->xlock);
    mk__trace_emit(k, MK_EV_FAULT, pid, exc, detail);

    bool kill = fatal_default;
    if (fn != NULL)
        kill = fn(k, pid, exc, detail, ctx) != MK_EXC_HANDLED;
    if (kill && pid == mk__sched_current(k) && mk__irq_in_handler(k))
        mk__irq_defer_kill(k, pid); /* the body the handler runs in: after it */
    else if (kill)
        (void)mk__sched_kill(k, pid, EXC_STATUS(exc)); /* MK_ENOENT: died meanwhile */
    if (killed != NULL)
        *killed = kill;
    return 0;
}

int mk_exc_set_handler(mk_t *k, mk_pid_t pid, mk_exc_fn fn, void *ctx)
{
    MK__CHECK(k);
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    pid = mk__sched_self_or(k, pid);
    if (mk__proc_alive(k, pid) != 0)
        return MK_ENOENT;
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->xlock);
    struct mk__exc_rec *r = rec_get(s, pid);
    if (r == NULL) {
        rc = MK_ENOMEM;
    } else {
        r->fn = fn;
        r->ctx = ctx;
    }
    pthread_mutex_unlock(&s->xlock);
    return rc;
}

int mk_exc_raise(mk_t *k, mk_pid_t pid, uint32_t exc, uint64_t detail, uint32_t *killed)
{
    MK__CHECK(k);
    if (exc == 0 || exc > MK_EXC_MAX || (exc > MK_EXC_ILLEGAL && exc < MK_EXC_USER))
        return MK_ERANGE;
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    pid = mk__sched_self_or(k, pid);
    uint32_t dead = 0;
    rc = mk__exc_raise(k, pid, exc, detail, true, &dead);
    if (rc != 0)
        return rc;
    if (dead && pid == mk__sched_current(k) && !mk__irq_in_handler(k)) {
        /* A body killed itself: it ends at this kernel entry (a fiber
         * never comes back; a thread body gets MK_EDESTROYED). */
        rc = mk__sched_enter(k);
        return rc != 0 ? rc : MK_EDESTROYED;
    }
    if (killed != NULL)
        *killed = dead;
    return 0;
}

int mk_exc_count(mk_t *k, mk_pid_t pid, uint64_t *count)
{
    MK__CHECK(k);
    if (count == NULL)
        return MK_EINVAL;
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    pid = mk__sched_self_or(k, pid);
    if (mk__proc_alive(k, pid) != 0)
        return MK_ENOENT;
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->xlock);
    const struct mk__exc_rec *r = mk__hmap_get(&s->exc, pid);
    uint64_t c = r != NULL ? r->count : 0;
    pthread_mutex_unlock(&s->xlock);
    *count = c;
    return 0;
}
