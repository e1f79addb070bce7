/*
 * proc.c - the process table: pid -> process control block.
 *
 * Sits on core only (hash map, hooks). Modules above learn about processes
 * through the life-cycle hooks (core.h) and ask about them through
 * mk__proc_alive() (proc.h).
 *
 * Life cycle of a pid, in the manner of xv6's proc.c (UNUSED -> EMBRYO ->
 * RUNNABLE ... -> ZOMBIE -> UNUSED):
 *
 *   free --reserve--> CREATING --hooks ok--> LIVE --destroy--> EXITING --> free
 *                        |hooks fail
 *                        +-----------------------------------------------> free
 *
 * A CREATING or EXITING pid is taken (create gets MK_EEXIST) but not visible
 * (exists/state/count/list ignore it). The hooks run with no lock held, so
 * a module's hook may take its own locks and call mk__proc_alive().
 *
 * Spawned processes (bodies) add ZOMBIE: LIVE --body ends--> EXITING (exit
 * hooks) --> ZOMBIE --mk_wait/destroy--> free. The scheduler itself is in
 * sched.c, wait queues in wq.c.
 *
 * Locking: one mutex (struct mk__proc.lock) guards the table and every pcb
 * in it. A pcb is freed only by the thread that moved it to EXITING (or
 * owns it in CREATING), after removing it from the table under the lock, so
 * no other thread can hold a pointer to it.
 */
#include "proc_int.h"

#include <stdlib.h>
#include <string.h>

#include <microkernel/proc.h>

int mk__proc_init(mk_t *k)
{
    struct mk__proc *p = calloc(1, sizeof *p);
    if (p == NULL)
        return MK_ENOMEM;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return MK_ENOMEM;
    }
    if (pthread_mutex_init(&p->exit_lock, NULL) != 0 || mk__cond_init(&p->run_cond) != 0) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return MK_ENOMEM;
    }
    p->limit = UINT64_MAX;
    mk__hmap_init(&p->table);
    p->hint = 1;
    k->proc = p;
    k->clock_fn = mk__sched_clock; /* mk_clock_advance goes through timers */
    return 0;
}

/* Modules above have already been taken apart (context.c tears down in
 * reverse layer order), so no exit hook is run here: each module's fini
 * released its own per-process state. */
void mk__proc_fini(mk_t *k)
{
    struct mk__proc *p = k->proc;
    if (p == NULL)
        return;
    mk__sched_fini_bodies(k);
    size_t cur = 0;
    void *v;
    while ((v = mk__hmap_next(&p->table, &cur, NULL)) != NULL)
        mk__pcb_free(v);
    mk__hmap_fini(&p->table);
    free(p->timers);
    pthread_cond_destroy(&p->run_cond);
    pthread_mutex_destroy(&p->exit_lock);
    pthread_mutex_destroy(&p->lock);
    free(p);
    k->proc = NULL;
}

/* Lowest free pid >= p->hint, or 0 if none. Lock held. The hint only moves
 * up when pids are assigned and down when they are freed, so the scan is
 * amortised O(1) for the usual create/destroy pattern. */
static mk_pid_t mk__proc_lowest_free(struct mk__proc *p)
{
    if (p->table.count >= (size_t)MK_PID_MAX)
        return 0;
    for (mk_pid_t pid = p->hint; pid != 0 && pid <= MK_PID_MAX; pid++)
        if (mk__hmap_get(&p->table, pid) == NULL)
            return pid;
    return 0;
}

/* Reserve pid (0 = lowest free), run the create hooks, publish pcb.
 * Takes ownership of pcb (freed on failure). */
static int mk__proc_add(mk_t *k, mk_pid_t pid, struct mk__pcb *pcb, mk_pid_t *out)
{
    struct mk__proc *p = k->proc;
    /* Reserve the pid: CREATING is taken but invisible. */
    pthread_mutex_lock(&p->lock);
    if (pid == 0) {
        pid = mk__proc_lowest_free(p);
        if (pid == 0) {
            pthread_mutex_unlock(&p->lock);
            mk__pcb_free(pcb);
            return MK_ENOSPC;
        }
    } else if (mk__hmap_get(&p->table, pid) != NULL) {
        pthread_mutex_unlock(&p->lock);
        mk__pcb_free(pcb);
        return MK_EEXIST;
    }
    pcb->pid = pid;
    pcb->phase = MK__P_CREATING;
    pcb->state = MK_PROC_READY;
    pcb->created_at = atomic_load(&k->ticks);
    int rc = mk__hmap_put(&p->table, pid, pcb);
    if (rc != 0) {
        pthread_mutex_unlock(&p->lock);
        mk__pcb_free(pcb);
        return rc;
    }
    if (pid == p->hint)
        p->hint = pid + 1;
    pthread_mutex_unlock(&p->lock);

    /* Outside the lock: hooks take their modules' locks and may ask
     * mk__proc_alive() about other pids. A failing hook has already undone
     * the hooks before it (core.h). */
    rc = mk__hooks_run_create(k, pid);

    pthread_mutex_lock(&p->lock);
    if (rc != 0) {
        mk__hmap_del(&p->table, pid);
        if (pid < p->hint)
            p->hint = pid;
    } else {
        pcb->phase = MK__P_LIVE;
        p->live++;
        if (pcb->bodied) {
            p->bodies++;
            mk__rq_push(p, pcb, false);
            mk__trace_emit(k, MK_EV_SPAWN, pid, pcb->prio, pcb->parent);
            struct mk__pcb *self = mk__self_pcb(k);
            if (self != NULL && pcb->prio > self->prio)
                p->need_resched = true;
            pthread_cond_signal(&p->run_cond);
        }
    }
    pthread_mutex_unlock(&p->lock);
    if (rc != 0) {
        mk__pcb_free(pcb);
        return rc;
    }
    if (out != NULL)
        *out = pid;
    return 0;
}

int mk_proc_create(mk_t *k, mk_pid_t pid, mk_pid_t *out)
{
    MK__CHECK(k);
    if (pid > MK_PID_MAX || (pid == 0 && out == NULL))
        return MK_EINVAL; /* an assigned pid nobody can learn is a leak */
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    struct mk__pcb *pcb = calloc(1, sizeof *pcb);
    if (pcb == NULL)
        return MK_ENOMEM;
    pcb->base_prio = pcb->prio = MK_PRIO_DEFAULT;
    pcb->parent = mk__sched_current(k);
    return mk__proc_add(k, pid, pcb, out);
}

void mk_proc_attr_init(mk_proc_attr_t *attr)
{
    if (attr == NULL)
        return;
    memset(attr, 0, sizeof *attr);
    attr->size = (uint32_t)sizeof *attr;
}

int mk_proc_spawn(mk_t *k, mk_pid_t pid, const mk_proc_attr_t *attr, mk_body_fn body, void *arg,
                  mk_pid_t *out)
{
    MK__CHECK(k);
    if (body == NULL || pid > MK_PID_MAX || (pid == 0 && out == NULL))
        return MK_EINVAL;
    mk_proc_attr_t a;
    mk_proc_attr_init(&a);
    if (attr != NULL) {
        if (attr->size < sizeof a)
            return MK_EINVAL; /* 1.0 is the first layout */
        memcpy(&a, attr, sizeof a);
    }
    if ((a.flags & ~MK_PROC_THREAD) != 0 || a.reserved != 0)
        return MK_EINVAL;
    if (a.priority == 0)
        a.priority = MK_PRIO_DEFAULT;
    if (a.priority < MK_PRIO_MIN || a.priority > MK_PRIO_MAX)
        return MK_ERANGE;
    if (a.stack_size != 0 && (a.stack_size < MK_PROC_STACK_MIN || a.stack_size > MK_PROC_STACK_MAX))
        return MK_ERANGE;
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    /* From now on a body may exist: calls of mem, blk, fs and vfs become
     * kernel entries too (core.h, mk__kernel_enter). */
    atomic_store_explicit(&k->enter_fn, mk__sched_enter, memory_order_relaxed);
    struct mk__pcb *pcb = calloc(1, sizeof *pcb);
    if (pcb == NULL)
        return MK_ENOMEM;
    if (pthread_cond_init(&pcb->baton_cond, NULL) != 0) {
        free(pcb);
        return MK_ENOMEM;
    }
    pcb->bodied = true;
    pcb->body = body;
    pcb->arg = arg;
    pcb->flags = a.flags;
    pcb->base_prio = pcb->prio = a.priority;
    pcb->parent = mk__sched_current(k);
    mk__wq_init(&pcb->exit_wq, 0, 0);
    if (a.flags & MK_PROC_THREAD) {
        pcb->stack_size = (size_t)a.stack_size; /* 0: the host's default */
    } else {
        size_t sz = a.stack_size ? (size_t)a.stack_size : (size_t)MK_PROC_STACK_DEFAULT;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
        sz *= 4; /* instrumented frames are several times larger */
#endif
        rc = mk__fiber_make(pcb, sz);
        if (rc != 0) {
            mk__pcb_free(pcb);
            return rc;
        }
    }
    return mk__proc_add(k, pid, pcb, out);
}

int mk__proc_alive(mk_t *k, mk_pid_t pid)
{
    if (pid == MK_PID_KERNEL || pid > MK_PID_MAX)
        return MK_ENOENT;
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    const struct mk__pcb *pcb = mk__hmap_get(&p->table, pid);
    int rc = (pcb != NULL && pcb->phase == MK__P_LIVE) ? 0 : MK_ENOENT;
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int mk_proc_exists(mk_t *k, mk_pid_t pid)
{
    MK__CHECK(k);
    if (pid == MK_PID_KERNEL || pid > MK_PID_MAX)
        return MK_ENOENT;
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    const struct mk__pcb *pcb = mk__hmap_get(&p->table, pid);
    int rc = (pcb != NULL && (pcb->phase == MK__P_LIVE || pcb->phase == MK__P_ZOMBIE)) ? 0
                                                                                  : MK_ENOENT;
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int mk_proc_destroy(mk_t *k, mk_pid_t pid)
{
    MK__CHECK(k);
    if (pid == MK_PID_KERNEL)
        return MK_EPERM;
    if (pid > MK_PID_MAX)
        return MK_ENOENT;
    struct mk__proc *p = k->proc;

    /* Claim the pcb: only one of several concurrent destroys moves it from
     * LIVE to EXITING; the others see it gone. */
    pthread_mutex_lock(&p->lock);
    struct mk__pcb *pcb = mk__hmap_get(&p->table, pid);
    if (pcb != NULL && pcb->phase == MK__P_ZOMBIE && !pcb->reaping) {
        /* An ended body: reap it (its hooks have run). */
        mk__hmap_del(&p->table, pid);
        p->live--;
        if (pid < p->hint)
            p->hint = pid;
        pthread_mutex_unlock(&p->lock);
        mk__pcb_free(pcb);
        return 0;
    }
    if (pcb == NULL || pcb->phase != MK__P_LIVE) {
        pthread_mutex_unlock(&p->lock);
        return pcb != NULL && pcb->phase == MK__P_ZOMBIE ? MK_EBUSY : MK_ENOENT;
    }
    if (pcb->bodied) {
        pthread_mutex_unlock(&p->lock);
        return MK_EBUSY;
    }
    pcb->phase = MK__P_EXITING;
    p->live--;
    pthread_mutex_unlock(&p->lock);

    mk__hooks_run_exit(k, pid);

    pthread_mutex_lock(&p->lock);
    mk__hmap_del(&p->table, pid);
    if (pid < p->hint)
        p->hint = pid;
    pthread_mutex_unlock(&p->lock);
    mk__pcb_free(pcb);
    return 0;
}

int mk_proc_state(mk_t *k, mk_pid_t pid, uint32_t *state)
{
    MK__CHECK(k);
    if (state == NULL)
        return MK_EINVAL;
    if (pid == MK_PID_KERNEL || pid > MK_PID_MAX)
        return MK_ENOENT;
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    const struct mk__pcb *pcb = mk__hmap_get(&p->table, pid);
    int rc = MK_ENOENT;
    if (pcb != NULL && (pcb->phase == MK__P_LIVE || pcb->phase == MK__P_ZOMBIE)) {
        *state = pcb->state;
        rc = 0;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int mk_proc_count(mk_t *k, uint32_t *count)
{
    MK__CHECK(k);
    if (count == NULL)
        return MK_EINVAL;
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    *count = p->live;
    pthread_mutex_unlock(&p->lock);
    return 0;
}

static int mk__pid_cmp(const void *a, const void *b)
{
    mk_pid_t x = *(const mk_pid_t *)a, y = *(const mk_pid_t *)b;
    return (x > y) - (x < y);
}

int mk_proc_list(mk_t *k, mk_pid_t *pids, uint32_t cap, uint32_t *count)
{
    MK__CHECK(k);
    if (count == NULL || (pids == NULL && cap != 0))
        return MK_EINVAL;
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    uint32_t n = p->live;
    if (cap == 0) {
        pthread_mutex_unlock(&p->lock);
        *count = n;
        return 0;
    }
    /* Snapshot every live pid, then sort outside the lock: the table is a
     * hash map, so the lowest cap pids are only known after a full sort. */
    mk_pid_t *all = malloc((n ? n : 1) * sizeof *all);
    if (all == NULL) {
        pthread_mutex_unlock(&p->lock);
        return MK_ENOMEM;
    }
    size_t cur = 0;
    uint32_t i = 0;
    const struct mk__pcb *pcb;
    while ((pcb = mk__hmap_next(&p->table, &cur, NULL)) != NULL)
        if ((pcb->phase == MK__P_LIVE || pcb->phase == MK__P_ZOMBIE) && i < n)
            all[i++] = pcb->pid;
    pthread_mutex_unlock(&p->lock);
    qsort(all, i, sizeof *all, mk__pid_cmp);
    memcpy(pids, all, (size_t)(i < cap ? i : cap) * sizeof *pids);
    free(all);
    *count = i;
    return 0;
}
