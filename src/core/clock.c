/*
 * clock.c - the virtual clock (ticks) and host-thread waiting.
 *
 * Virtual time is a tick counter: deterministic, advanced by the kernel.
 * Host threads that block (semaphore wait, receive with timeout) convert a
 * timeout in ticks into a CLOCK_MONOTONIC deadline at the configured tick
 * rate, so wall-clock jumps never shorten or stretch a wait.
 */
#include "core.h"

#include <errno.h>

int mk_clock_now(mk_t *k, uint64_t *ticks)
{
    MK__CHECK(k);
    if (ticks == NULL)
        return MK_EINVAL;
    *ticks = atomic_load(&k->ticks);
    return 0;
}

int mk_clock_advance(mk_t *k, uint64_t ticks)
{
    MK__CHECK(k);
    if (ticks > ((uint64_t)1 << 62))
        return MK_EINVAL;
    if (k->clock_fn != NULL)
        k->clock_fn(k, ticks); /* sleepers and timed waits see the new time */
    else
        atomic_fetch_add(&k->ticks, ticks);
    return 0;
}

int mk__cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    if (pthread_condattr_init(&a) != 0)
        return MK_ENOMEM;
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return rc == 0 ? 0 : MK_ENOMEM;
}

void mk__deadline(const mk_t *k, uint64_t timeout_ticks, struct timespec *abs,
                  bool *has_deadline)
{
    if (timeout_ticks == MK_FOREVER) {
        *has_deadline = false;
        return;
    }
    *has_deadline = true;
    clock_gettime(CLOCK_MONOTONIC, abs);
    uint64_t hz = k->cfg.tick_hz;
    uint64_t sec = timeout_ticks / hz;
    uint64_t nsec = (timeout_ticks % hz) * (1000000000ull / hz);
    if (sec > (uint64_t)1 << 40) /* far future: effectively forever */
        sec = (uint64_t)1 << 40;
    abs->tv_sec += (time_t)sec;
    abs->tv_nsec += (long)nsec;
    if (abs->tv_nsec >= 1000000000L) {
        abs->tv_sec++;
        abs->tv_nsec -= 1000000000L;
    }
}

int mk__cond_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abs,
                  bool has_deadline)
{
    if (!has_deadline) {
        pthread_cond_wait(c, m);
        return 0;
    }
    int rc = pthread_cond_timedwait(c, m, abs);
    return rc == ETIMEDOUT ? MK_ETIMEDOUT : 0;
}
