/*
 * life.c - the calls a process makes about itself and its children:
 * mk_self, mk_yield, mk_sleep, mk_compute, mk_exit, mk_kill, mk_wait, and
 * priorities and CPU time.
 *
 * Sits on sched.c (suspend, ready, timers) and wq.c (mk_wait waits on the
 * child's exit queue under exit_lock). Each call made from a body is a
 * kernel entry: it starts with mk__sched_enter (charging and preemption).
 * Lock order: exit_lock -> proc lock.
 */
#include "proc_int.h"

#include <stdlib.h>

mk_pid_t mk_self(mk_t *k)
{
    if (mk__check(k) != 0)
        return 0;
    if (mk__sched_enter(k) != 0)
        return 0;
    return mk__sched_current(k);
}

int mk_yield(mk_t *k)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    struct mk__pcb *self = mk__self_pcb(k);
    if (rc != 0 || self == NULL)
        return rc;
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    self->state = MK_PROC_READY;
    self->slice_left = 0;
    mk__rq_push(p, self, false);
    mk__switch_out(k, self);
    if (self->killed) {
        mk__body_die(k, self, -1); /* fibers do not return */
        pthread_mutex_unlock(&p->lock);
        return MK_EDESTROYED;
    }
    pthread_mutex_unlock(&p->lock);
    return 0;
}

/* Host thread sleep: wall time at the tick rate. */
static int mk__host_sleep(mk_t *k, uint64_t ticks)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c;
    if (mk__cond_init(&c) != 0)
        return MK_ENOMEM;
    struct timespec abs;
    bool has;
    mk__deadline(k, ticks, &abs, &has);
    pthread_mutex_lock(&m);
    while (mk__cond_wait(&c, &m, &abs, has) != MK_ETIMEDOUT)
        ;
    pthread_mutex_unlock(&m);
    pthread_cond_destroy(&c);
    pthread_mutex_destroy(&m);
    return 0;
}

int mk_sleep(mk_t *k, uint64_t ticks)
{
    MK__CHECK(k);
    if (ticks > ((uint64_t)1 << 62))
        return MK_EINVAL;
    struct mk__pcb *self = mk__self_pcb(k);
    if (self == NULL)
        return ticks == 0 ? 0 : mk__host_sleep(k, ticks);
    if (ticks == 0)
        return mk_yield(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    self->timer_gen++;
    rc = mk__timer_add(p, self, atomic_load(&k->ticks) + ticks);
    if (rc != 0) {
        pthread_mutex_unlock(&p->lock);
        return rc;
    }
    self->state = MK_PROC_SLEEPING;
    self->slice_left = 0;
    mk__trace_emit(k, MK_EV_SLEEP, self->pid, ticks, 0);
    mk__switch_out(k, self);
    if (self->killed) {
        mk__body_die(k, self, -1);
        pthread_mutex_unlock(&p->lock);
        return MK_EDESTROYED;
    }
    pthread_mutex_unlock(&p->lock);
    return 0;
}

int mk_compute(mk_t *k, uint64_t ticks)
{
    MK__CHECK(k);
    if (ticks > ((uint64_t)1 << 62))
        return MK_EINVAL;
    return mk__sched_compute(k, ticks);
}

int mk_exit(mk_t *k, int32_t status)
{
    MK__CHECK(k);
    struct mk__pcb *self = mk__self_pcb(k);
    if (self == NULL)
        return MK_EPERM;
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    mk__body_die(k, self, status); /* a fiber does not come back */
    pthread_mutex_unlock(&p->lock);
    return 0;
}

int mk__sched_kill(mk_t *k, mk_pid_t pid, int status)
{
    if (pid == MK_PID_KERNEL)
        return MK_EPERM;
    if (pid > MK_PID_MAX)
        return MK_ENOENT;
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    struct mk__pcb *pcb = mk__pcb_get(p, pid);
    if (pcb == NULL || pcb->phase != MK__P_LIVE || pcb->ended || pcb->killed) {
        pthread_mutex_unlock(&p->lock);
        return MK_ENOENT;
    }
    if (!pcb->bodied) {
        pthread_mutex_unlock(&p->lock);
        return mk_proc_destroy(k, pid);
    }
    pcb->killed = true;
    if (pcb == mk__self_pcb(k)) {
        mk__body_die(k, pcb, status); /* a fiber does not come back */
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    if (!pcb->started && pcb->state == MK_PROC_READY) {
        /* Never ran: nothing on its stack, end it now. */
        mk__rq_remove(p, pcb);
        pcb->ended = true;
        pcb->status = -1;
        mk__sched_finish(k, pcb);
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    mk__sched_ready_locked(k, pcb, MK_EDESTROYED);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

int mk_kill(mk_t *k, mk_pid_t pid)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    return mk__sched_kill(k, pid, -1);
}

int mk_wait(mk_t *k, mk_pid_t pid, uint64_t timeout_ticks, int32_t *status)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    mk_pid_t self = mk__sched_current(k);
    if (pid == 0 || pid > MK_PID_MAX)
        return MK_ENOENT;
    if (pid == self)
        return MK_EPERM;
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->exit_lock);
    pthread_mutex_lock(&p->lock);
    struct mk__pcb *pcb = mk__pcb_get(p, pid);
    if (pcb == NULL || !pcb->bodied ||
        (pcb->phase != MK__P_LIVE && pcb->phase != MK__P_ZOMBIE && pcb->phase != MK__P_EXITING))
        rc = MK_ENOENT;
    else if (pcb->parent != self)
        rc = MK_EPERM;
    else if (pcb->reaping)
        rc = MK_EBUSY;
    if (rc != 0) {
        pthread_mutex_unlock(&p->lock);
        pthread_mutex_unlock(&p->exit_lock);
        return rc;
    }
    pcb->reaping = true;
    if (pcb->phase != MK__P_ZOMBIE) {
        pthread_mutex_unlock(&p->lock);
        rc = timeout_ticks == MK_NO_WAIT
                 ? MK_EAGAIN
                 : mk__wq_wait(k, &pcb->exit_wq, &p->exit_lock, timeout_ticks, self);
        pthread_mutex_lock(&p->lock);
        if (rc == 0 && pcb->phase != MK__P_ZOMBIE)
            rc = MK_EDESTROYED; /* cannot happen: woken only by the end */
    }
    if (rc == 0) {
        int32_t st = pcb->status;
        mk__hmap_del(&p->table, pid);
        p->live--;
        if (pid < p->hint)
            p->hint = pid;
        pthread_mutex_unlock(&p->lock);
        pthread_mutex_unlock(&p->exit_lock);
        mk__pcb_free(pcb);
        if (status != NULL)
            *status = st;
        return 0;
    }
    pcb->reaping = false;
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_unlock(&p->exit_lock);
    return rc;
}

int mk_proc_set_priority(mk_t *k, mk_pid_t pid, uint32_t priority)
{
    MK__CHECK(k);
    if (priority < MK_PRIO_MIN || priority > MK_PRIO_MAX)
        return MK_ERANGE;
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    pid = mk__sched_self_or(k, pid);
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    struct mk__pcb *pcb = pid ? mk__pcb_get(p, pid) : NULL;
    if (pcb == NULL || pcb->phase != MK__P_LIVE) {
        rc = MK_ENOENT;
    } else {
        pcb->base_prio = priority;
        mk__prio_update(k, pcb);
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int mk_proc_priority(mk_t *k, mk_pid_t pid, uint32_t *base, uint32_t *effective)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    pid = mk__sched_self_or(k, pid);
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    const struct mk__pcb *pcb = pid ? mk__pcb_get(p, pid) : NULL;
    if (pcb == NULL || (pcb->phase != MK__P_LIVE && pcb->phase != MK__P_ZOMBIE)) {
        rc = MK_ENOENT;
    } else {
        if (base != NULL)
            *base = pcb->base_prio;
        if (effective != NULL)
            *effective = pcb->prio;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int mk_proc_cpu_ticks(mk_t *k, mk_pid_t pid, uint64_t *ticks)
{
    MK__CHECK(k);
    if (ticks == NULL)
        return MK_EINVAL;
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    const struct mk__pcb *pcb = (pid && pid <= MK_PID_MAX) ? mk__pcb_get(p, pid) : NULL;
    int rc = MK_ENOENT;
    if (pcb != NULL && (pcb->phase == MK__P_LIVE || pcb->phase == MK__P_ZOMBIE)) {
        *ticks = pcb->cpu_ticks;
        rc = 0;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}
