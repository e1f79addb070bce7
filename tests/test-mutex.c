/*
 * test-mutex.c - the seed-003 mutexes: create/open/lock/unlock/close from
 * process bodies, recursion, per-process and system limits (creators wait
 * for a free slot), release on close, exit and kill, priority inheritance
 * through chains of mutexes, deadlock detection with its report, host
 * threads locking on behalf of processes, tick timeouts, bad input.
 * Public API only.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mk_t *mk_new(void)
{
    mk_config_t cfg;
    mk_config_init(&cfg);
    cfg.mem_size = 1u << 20;
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(&cfg, &k), 0);
    return k;
}

static mk_pid_t spawn(mk_t *k, uint32_t prio, mk_body_fn fn, void *arg)
{
    mk_proc_attr_t a;
    mk_proc_attr_init(&a);
    a.priority = prio;
    mk_pid_t pid = 0;
    ck_assert_int_eq(mk_proc_spawn(k, 0, &a, fn, arg, &pid), 0);
    return pid;
}

static void run_all(mk_t *k)
{
    uint32_t why = 0;
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_DONE);
}

static char g_log[128];
static size_t g_n;
static void say(char c)
{
    if (g_n + 1 < sizeof g_log)
        g_log[g_n++] = c;
    g_log[g_n] = 0;
}

/* ---- the seed's scenario ---------------------------------------------- */

static int seed_a(mk_t *k, void *arg)
{
    (void)arg;
    mk_mutex_t m;
    ck_assert_int_eq(mk_mutex_create(k, "m", 0, &m), 0);
    ck_assert_int_eq(mk_mutex_lock(k, 0, m, MK_FOREVER), 0);
    say('A');
    ck_assert_int_eq(mk_sleep(k, 20), 0); /* B blocks meanwhile */
    say('a');
    ck_assert_int_eq(mk_mutex_unlock(k, 0, m), 0);
    ck_assert_int_eq(mk_mutex_close(k, 0, m), 0);
    return 0;
}

static int seed_b(mk_t *k, void *arg)
{
    (void)arg;
    mk_mutex_t m;
    ck_assert_int_eq(mk_sleep(k, 5), 0);
    ck_assert_int_eq(mk_mutex_open(k, 0, "m", &m), 0);
    ck_assert_int_eq(mk_mutex_lock(k, 0, m, MK_NO_WAIT), MK_EAGAIN);
    say('b');
    ck_assert_int_eq(mk_mutex_lock(k, mk_self(k), m, MK_FOREVER), 0);
    say('B');
    mk_pid_t owner;
    uint32_t count;
    ck_assert_int_eq(mk_mutex_owner(k, m, &owner, &count), 0);
    ck_assert_uint_eq(owner, mk_self(k));
    ck_assert_uint_eq(count, 1);
    ck_assert_int_eq(mk_mutex_unlock(k, 0, m), 0);
    ck_assert_int_eq(mk_mutex_unlock(k, 0, m), MK_EPERM);
    ck_assert_int_eq(mk_mutex_close(k, 0, m), 0); /* last close destroys it */
    ck_assert_int_eq(mk_mutex_owner(k, m, &owner, &count), MK_EBADH);
    ck_assert_int_eq(mk_mutex_open(k, 0, "m", &m), MK_ENOENT);
    return 0;
}

START_TEST(seed_create_open_lock_unlock_close)
{
    mk_t *k = mk_new();
    g_n = 0;
    ck_assert_int_eq(mk_trace_enable(k, 4096), 0);
    spawn(k, 0, seed_a, NULL);
    spawn(k, 0, seed_b, NULL);
    run_all(k);
    ck_assert_str_eq(g_log, "AbaB");
    mk_event_t ev[4096];
    size_t n;
    ck_assert_int_eq(mk_trace_read(k, ev, 4096, &n), 0);
    int locks = 0, unlocks = 0, blocks = 0;
    for (size_t i = 0; i < n; i++) {
        locks += ev[i].type == MK_EV_LOCK;
        unlocks += ev[i].type == MK_EV_UNLOCK;
        blocks += ev[i].type == MK_EV_BLOCK;
    }
    ck_assert_int_eq(locks, 2);
    ck_assert_int_eq(unlocks, 2);
    ck_assert_int_ge(blocks, 1);
    mk_destroy(k);
}
END_TEST

static int rec_body(mk_t *k, void *arg)
{
    (void)arg;
    mk_mutex_t r, n;
    ck_assert_int_eq(mk_mutex_create(k, "rec", MK_MUTEX_RECURSIVE, &r), 0);
    ck_assert_int_eq(mk_mutex_create(k, "nonrec", 0, &n), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(mk_mutex_lock(k, 0, r, MK_FOREVER), 0);
    uint32_t c;
    ck_assert_int_eq(mk_mutex_owner(k, r, NULL, &c), 0);
    ck_assert_uint_eq(c, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(mk_mutex_unlock(k, 0, r), 0);
    ck_assert_int_eq(mk_mutex_unlock(k, 0, r), MK_EPERM);
    ck_assert_int_eq(mk_mutex_lock(k, 0, n, MK_FOREVER), 0);
    ck_assert_int_eq(mk_mutex_lock(k, 0, n, MK_FOREVER), MK_EDEADLK);
    ck_assert_int_eq(mk_mutex_owner(k, n, NULL, &c), 0);
    ck_assert_uint_eq(c, 1); /* the refused lock changed nothing */
    ck_assert_int_eq(mk_mutex_unlock(k, 0, n), 0);
    return 0;
}

START_TEST(recursive_counts_and_plain_refuses_relock)
{
    mk_t *k = mk_new();
    spawn(k, 0, rec_body, NULL);
    run_all(k);
    mk_mutex_t m;
    ck_assert_int_eq(mk_mutex_open(k, 0, "rec", &m), MK_ENOENT); /* closed at exit */
    mk_destroy(k);
}
END_TEST

/* ---- limits --------------------------------------------------------------- */

static int limit_body(mk_t *k, void *arg)
{
    (void)arg;
    mk_mutex_t m[MK_MUTEX_OPEN_MAX], x;
    char name[16];
    for (unsigned i = 0; i < MK_MUTEX_OPEN_MAX; i++) {
        snprintf(name, sizeof name, "p%u", i);
        ck_assert_int_eq(mk_mutex_create(k, name, 0, &m[i]), 0);
    }
    ck_assert_int_eq(mk_mutex_create(k, "one-more", 0, &x), MK_EMFILE);
    ck_assert_int_eq(mk_mutex_open(k, 0, "p0", &x), MK_EMFILE);
    ck_assert_int_eq(mk_mutex_open(k, 0, "one-more", &x), MK_ENOENT);
    ck_assert_int_eq(mk_mutex_close(k, 0, m[0]), 0);
    ck_assert_int_eq(mk_mutex_open(k, 0, "p1", &x), 0); /* twice counts twice */
    ck_assert_uint_eq(x, m[1]);
    ck_assert_int_eq(mk_mutex_close(k, 0, m[1]), 0);
    ck_assert_int_eq(mk_mutex_lock(k, 0, m[1], MK_NO_WAIT), 0); /* still open once */
    return 0;
}

START_TEST(per_process_limit)
{
    mk_t *k = mk_new();
    spawn(k, 0, limit_body, NULL);
    run_all(k);
    mk_destroy(k);
}
END_TEST

struct slot {
    mk_mutex_t last;
    uint64_t got_at;
};

static int slot_waiter(mk_t *k, void *arg)
{
    struct slot *s = arg;
    mk_mutex_t m;
    ck_assert_int_eq(mk_mutex_create(k, "late", 0, &m), 0); /* waits for a slot */
    ck_assert_int_eq(mk_clock_now(k, &s->got_at), 0);
    return 0;
}

static int slot_freer(mk_t *k, void *arg)
{
    struct slot *s = arg;
    mk_mutex_t m;
    ck_assert_int_eq(mk_mutex_open(k, 0, "sys63", &m), 0);
    ck_assert_uint_eq(m, s->last);
    ck_assert_int_eq(mk_sleep(k, 100), 0);
    ck_assert_int_eq(mk_mutex_close(k, 0, m), 0); /* last open: a slot frees */
    return 0;
}

START_TEST(system_limit_creators_wait_for_a_slot)
{
    mk_t *k = mk_new();
    mk_mutex_t m[MK_MUTEX_SYS_MAX], x;
    char name[16];
    for (unsigned i = 0; i < MK_MUTEX_SYS_MAX; i++) {
        snprintf(name, sizeof name, "sys%u", i);
        ck_assert_int_eq(mk_mutex_create(k, name, 0, &m[i]), 0);
    }
    ck_assert_int_eq(mk_mutex_create(k, "full", 0, &x), MK_ENOSPC); /* host: no wait */
    struct slot s = {m[MK_MUTEX_SYS_MAX - 1], 0};
    spawn(k, 0, slot_waiter, &s);
    spawn(k, 0, slot_freer, &s);
    /* the kernel lets go of sys63; the freer still has it open */
    uint32_t why;
    ck_assert_int_eq(mk_run(k, 10, &why), 0);
    ck_assert_int_eq(mk_mutex_close(k, 0, m[MK_MUTEX_SYS_MAX - 1]), 0);
    ck_assert_int_eq(mk_mutex_close(k, 0, m[MK_MUTEX_SYS_MAX - 1]), MK_EPERM);
    run_all(k);
    ck_assert_uint_ge(s.got_at, 100);
    ck_assert_int_eq(mk_mutex_open(k, 0, "sys63", &x), MK_ENOENT);
    mk_destroy(k);
}
END_TEST

/* ---- release on close, exit and kill -------------------------------------------- */

struct hold {
    int how; /* 0 close, 1 return, 2 killed */
    mk_pid_t holder;
    int waiter_rc;
    mk_pid_t owner_seen;
};

static int holder_body(mk_t *k, void *arg)
{
    struct hold *h = arg;
    mk_mutex_t m;
    ck_assert_int_eq(mk_mutex_create(k, "held", MK_MUTEX_RECURSIVE, &m), 0);
    ck_assert_int_eq(mk_mutex_lock(k, 0, m, MK_FOREVER), 0);
    ck_assert_int_eq(mk_mutex_lock(k, 0, m, MK_FOREVER), 0);
    ck_assert_int_eq(mk_sleep(k, 10), 0);
    if (h->how == 0)
        ck_assert_int_eq(mk_mutex_close(k, 0, m), 0);
    if (h->how == 2)
        mk_sleep(k, 100000); /* killed here */
    return 0;
}

static int grabber_body(mk_t *k, void *arg)
{
    struct hold *h = arg;
    mk_mutex_t m;
    ck_assert_int_eq(mk_sleep(k, 2), 0);
    ck_assert_int_eq(mk_mutex_open(k, 0, "held", &m), 0);
    h->waiter_rc = mk_mutex_lock(k, 0, m, MK_FOREVER);
    ck_assert_int_eq(mk_mutex_owner(k, m, &h->owner_seen, NULL), 0);
    ck_assert_int_eq(mk_mutex_unlock(k, 0, m), 0);
    return 0;
}

static int killer_body(mk_t *k, void *arg)
{
    struct hold *h = arg;
    ck_assert_int_eq(mk_sleep(k, 20), 0);
    ck_assert_int_eq(mk_kill(k, h->holder), 0);
    return 0;
}

START_TEST(close_exit_or_kill_releases_to_the_waiter)
{
    for (int how = 0; how < 3; how++) {
        mk_t *k = mk_new();
        struct hold h = {how, 0, 1, 0};
        h.holder = spawn(k, 0, holder_body, &h);
        mk_pid_t g = spawn(k, 0, grabber_body, &h);
        if (how == 2)
            spawn(k, 0, killer_body, &h);
        run_all(k);
        ck_assert_int_eq(h.waiter_rc, 0);
        ck_assert_uint_eq(h.owner_seen, g);
        int32_t st;
        ck_assert_int_eq(mk_wait(k, h.holder, 0, &st), 0);
        ck_assert_int_eq(st, how == 2 ? -1 : 0);
        mk_destroy(k);
    }
}
END_TEST

/* ---- priority inheritance ------------------------------------------------------ */

#define CHAIN 4
struct chain {
    mk_mutex_t m[CHAIN];
    uint32_t eff_while_holding[CHAIN];
    uint32_t eff_after[CHAIN];
};

struct link {
    struct chain *c;
    int i;
};

/* Process i (prio 2 + 8i) holds m[i] and then waits for m[i-1]; process 0
 * holds m[0] and checks its inherited priority once everybody waits. */
static int chain_body(mk_t *k, void *arg)
{
    struct link *l = arg;
    struct chain *c = l->c;
    int i = l->i;
    ck_assert_int_eq(mk_sleep(k, 1 + (uint64_t)i * 10), 0);
    if (i < CHAIN - 1) {
        ck_assert_int_eq(mk_mutex_open(k, 0, (char[]){(char)('a' + i), 0}, &c->m[i]), 0);
        ck_assert_int_eq(mk_mutex_lock(k, 0, c->m[i], MK_FOREVER), 0);
    }
    if (i > 0) {
        mk_mutex_t prev;
        ck_assert_int_eq(mk_mutex_open(k, 0, (char[]){(char)('a' + i - 1), 0}, &prev), 0);
        ck_assert_int_eq(mk_mutex_lock(k, 0, prev, MK_FOREVER), 0);
        ck_assert_int_eq(mk_mutex_unlock(k, 0, prev), 0);
    } else {
        ck_assert_int_eq(mk_sleep(k, 100), 0); /* the others pile up */
    }
    ck_assert_int_eq(mk_proc_priority(k, 0, NULL, &c->eff_while_holding[i]), 0);
    if (i < CHAIN - 1)
        ck_assert_int_eq(mk_mutex_unlock(k, 0, c->m[i]), 0);
    ck_assert_int_eq(mk_proc_priority(k, 0, NULL, &c->eff_after[i]), 0);
    return 0;
}

START_TEST(priority_inheritance_is_transitive)
{
    mk_t *k = mk_new();
    ck_assert_int_eq(mk_trace_enable(k, 4096), 0);
    struct chain c;
    memset(&c, 0, sizeof c);
    mk_mutex_t tmp;
    for (int i = 0; i < CHAIN - 1; i++)
        ck_assert_int_eq(mk_mutex_create(k, (char[]){(char)('a' + i), 0}, 0, &tmp), 0);
    struct link l[CHAIN];
    mk_pid_t p[CHAIN];
    for (int i = 0; i < CHAIN; i++) {
        l[i] = (struct link){&c, i};
        p[i] = spawn(k, 2 + 8 * (uint32_t)i, chain_body, &l[i]);
    }
    run_all(k);
    /* The low holder of m[0] ran at the top waiter's priority (26), as did
     * every process in between, and each fell back after unlocking. */
    for (int i = 0; i < CHAIN - 1; i++) {
        ck_assert_uint_eq(c.eff_while_holding[i], 2 + 8 * (CHAIN - 1));
        ck_assert_uint_eq(c.eff_after[i], 2 + 8 * (uint32_t)i);
    }
    mk_event_t ev[4096];
    size_t n;
    ck_assert_int_eq(mk_trace_read(k, ev, 4096, &n), 0);
    int raised0 = 0;
    for (size_t i = 0; i < n; i++)
        if (ev[i].type == MK_EV_PRIO && ev[i].pid == p[0] && ev[i].b == 26)
            raised0++;
    ck_assert_int_ge(raised0, 1);
    mk_destroy(k);
}
END_TEST

struct inv {
    char order[8];
    int n;
    mk_mutex_t m;
};

static int inv_low(mk_t *k, void *arg)
{
    struct inv *v = arg;
    ck_assert_int_eq(mk_mutex_lock(k, 0, v->m, MK_FOREVER), 0);
    ck_assert_int_eq(mk_compute(k, 50), 0);
    v->order[v->n++] = 'L';
    ck_assert_int_eq(mk_mutex_unlock(k, 0, v->m), 0);
    return 0;
}

static int inv_mid(mk_t *k, void *arg)
{
    struct inv *v = arg;
    ck_assert_int_eq(mk_sleep(k, 5), 0);
    ck_assert_int_eq(mk_compute(k, 200), 0);
    v->order[v->n++] = 'M';
    return 0;
}

static int inv_high(mk_t *k, void *arg)
{
    struct inv *v = arg;
    ck_assert_int_eq(mk_sleep(k, 10), 0);
    ck_assert_int_eq(mk_mutex_lock(k, 0, v->m, MK_FOREVER), 0);
    v->order[v->n++] = 'H';
    ck_assert_int_eq(mk_mutex_unlock(k, 0, v->m), 0);
    return 0;
}

START_TEST(inheritance_prevents_priority_inversion)
{
    mk_t *k = mk_new();
    struct inv v;
    memset(&v, 0, sizeof v);
    ck_assert_int_eq(mk_mutex_create(k, "inv", 0, &v.m), 0);
    mk_pid_t lo = spawn(k, 2, inv_low, &v);
    mk_pid_t mi = spawn(k, 10, inv_mid, &v);
    mk_pid_t hi = spawn(k, 20, inv_high, &v);
    ck_assert_int_eq(mk_mutex_open(k, lo, "inv", &v.m), 0);
    ck_assert_int_eq(mk_mutex_open(k, hi, "inv", &v.m), 0);
    (void)mi;
    run_all(k);
    /* Without inheritance the middle process would run before L and H. */
    ck_assert_str_eq(v.order, "LHM");
    mk_destroy(k);
}
END_TEST

/* ---- deadlock detection ------------------------------------------------------------ */

struct dl {
    int n;                 /* processes in the cycle */
    mk_mutex_t m[3];
    int rc[3];
    mk_pid_t pid[3];
};

struct dlarg {
    struct dl *d;
    int i;
};

/* Process i locks m[i], waits, then locks m[(i+1) % n]. The last to ask
 * closes the cycle and is refused. */
static int dl_body(mk_t *k, void *arg)
{
    struct dlarg *a = arg;
    struct dl *d = a->d;
    int i = a->i;
    mk_mutex_t mine, next;
    ck_assert_int_eq(mk_mutex_open(k, 0, (char[]){(char)('x' + i), 0}, &mine), 0);
    ck_assert_int_eq(mk_mutex_open(k, 0, (char[]){(char)('x' + (i + 1) % d->n), 0}, &next), 0);
    ck_assert_int_eq(mk_mutex_lock(k, 0, mine, MK_FOREVER), 0);
    ck_assert_int_eq(mk_sleep(k, 10 + (uint64_t)i * 10), 0);
    d->rc[i] = mk_mutex_lock(k, 0, next, MK_FOREVER);
    if (d->rc[i] == 0)
        ck_assert_int_eq(mk_mutex_unlock(k, 0, next), 0);
    ck_assert_int_eq(mk_mutex_unlock(k, 0, mine), 0);
    return 0;
}

static void deadlock_cycle(int n)
{
    mk_t *k = mk_new();
    struct dl d;
    memset(&d, 0, sizeof d);
    d.n = n;
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(mk_mutex_create(k, (char[]){(char)('x' + i), 0}, 0, &d.m[i]), 0);
    uint32_t cnt = 7;
    ck_assert_int_eq(mk_mutex_deadlock_report(k, NULL, NULL, 0, &cnt), 0);
    ck_assert_uint_eq(cnt, 0);
    struct dlarg a[3];
    for (int i = 0; i < n; i++) {
        a[i] = (struct dlarg){&d, i};
        d.pid[i] = spawn(k, 0, dl_body, &a[i]);
    }
    run_all(k);
    for (int i = 0; i < n - 1; i++)
        ck_assert_int_eq(d.rc[i], 0); /* they got it once the refused one let go */
    ck_assert_int_eq(d.rc[n - 1], MK_EDEADLK);
    mk_pid_t pids[3];
    mk_mutex_t mx[3];
    ck_assert_int_eq(mk_mutex_deadlock_report(k, pids, mx, 3, &cnt), 0);
    ck_assert_uint_eq(cnt, (uint32_t)n);
    /* pids[j] asks for mx[j], held by pids[j+1]; the last by pids[0]. */
    for (int j = 0; j < n; j++) {
        int who = (n - 1 + j) % n;
        ck_assert_uint_eq(pids[j], d.pid[who]);
        ck_assert_uint_eq(mx[j], d.m[(who + 1) % n]);
    }
    ck_assert_int_eq(mk_mutex_deadlock_report(k, pids, mx, 1, &cnt), 0);
    ck_assert_uint_eq(cnt, (uint32_t)n); /* more than fits */
    mk_destroy(k);
}

START_TEST(deadlock_two_cycle)
{
    deadlock_cycle(2);
}
END_TEST

START_TEST(deadlock_three_cycle)
{
    deadlock_cycle(3);
}
END_TEST

/* ---- host threads on behalf of processes, timeouts ------------------------------------ */

struct hostlock {
    mk_t *k;
    mk_pid_t pid;
    mk_mutex_t m;
    int rc;
};

static void *host_lock(void *arg)
{
    struct hostlock *h = arg;
    h->rc = mk_mutex_lock(h->k, h->pid, h->m, MK_FOREVER);
    return NULL;
}

START_TEST(host_threads_lock_for_processes)
{
    mk_t *k = mk_new();
    mk_pid_t p1, p2;
    ck_assert_int_eq(mk_proc_create(k, 0, &p1), 0);
    ck_assert_int_eq(mk_proc_create(k, 0, &p2), 0);
    mk_mutex_t m, m2;
    ck_assert_int_eq(mk_mutex_create(k, "h", 0, &m), 0);
    ck_assert_int_eq(mk_mutex_lock(k, p1, m, MK_NO_WAIT), MK_EPERM); /* not open */
    ck_assert_int_eq(mk_mutex_open(k, p1, "h", &m2), 0);
    ck_assert_int_eq(mk_mutex_open(k, p2, "h", &m2), 0);
    ck_assert_int_eq(mk_mutex_lock(k, 0, m, MK_NO_WAIT), MK_EINVAL); /* host needs a pid */
    ck_assert_int_eq(mk_mutex_lock(k, 999, m, MK_NO_WAIT), MK_ENOENT);
    ck_assert_int_eq(mk_mutex_lock(k, p1, m, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_mutex_lock(k, p2, m, MK_NO_WAIT), MK_EAGAIN);
    ck_assert_int_eq(mk_mutex_lock(k, p2, m, 5), MK_ETIMEDOUT); /* wall time */
    ck_assert_int_eq(mk_mutex_unlock(k, p2, m), MK_EPERM);
    struct hostlock h = {k, p2, m, 1};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, host_lock, &h), 0);
    /* destroying the owner releases the mutex to the waiting thread */
    for (;;) {
        uint32_t inh;
        ck_assert_int_eq(mk_proc_priority(k, p1, NULL, &inh), 0);
        mk_pid_t o;
        ck_assert_int_eq(mk_mutex_owner(k, m, &o, NULL), 0);
        ck_assert_uint_eq(o, p1);
        /* a waiting host thread is visible once it queued: give it time */
        ck_assert_int_eq(mk_sleep(k, 1), 0);
        break;
    }
    ck_assert_int_eq(mk_proc_destroy(k, p1), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(h.rc, 0);
    mk_pid_t o;
    ck_assert_int_eq(mk_mutex_owner(k, m, &o, NULL), 0);
    ck_assert_uint_eq(o, p2);
    ck_assert_int_eq(mk_mutex_close(k, p2, m), 0); /* closing while holding releases */
    ck_assert_int_eq(mk_mutex_owner(k, m, &o, NULL), 0);
    ck_assert_uint_eq(o, 0);
    ck_assert_int_eq(mk_mutex_close(k, 0, m), 0); /* the kernel's open: destroyed */
    ck_assert_int_eq(mk_mutex_owner(k, m, &o, NULL), MK_EBADH);
    mk_destroy(k);
}
END_TEST

static int timeout_holder(mk_t *k, void *arg)
{
    mk_mutex_t m = *(mk_mutex_t *)arg;
    ck_assert_int_eq(mk_mutex_open(k, 0, "to", &m), 0);
    ck_assert_int_eq(mk_mutex_lock(k, 0, m, MK_FOREVER), 0);
    ck_assert_int_eq(mk_sleep(k, 1000), 0);
    ck_assert_int_eq(mk_mutex_unlock(k, 0, m), 0);
    return 0;
}

static int timeout_waiter(mk_t *k, void *arg)
{
    int *rc = arg;
    mk_mutex_t m;
    ck_assert_int_eq(mk_sleep(k, 1), 0);
    ck_assert_int_eq(mk_mutex_open(k, 0, "to", &m), 0);
    uint64_t t0, t1;
    mk_clock_now(k, &t0);
    rc[0] = mk_mutex_lock(k, 0, m, 30);
    mk_clock_now(k, &t1);
    rc[1] = (int)(t1 - t0);
    return 0;
}

START_TEST(lock_times_out_in_ticks)
{
    mk_t *k = mk_new();
    mk_mutex_t m;
    ck_assert_int_eq(mk_mutex_create(k, "to", 0, &m), 0);
    int rc[2] = {0};
    spawn(k, 0, timeout_holder, &m);
    spawn(k, 0, timeout_waiter, rc);
    run_all(k);
    ck_assert_int_eq(rc[0], MK_ETIMEDOUT);
    ck_assert_int_ge(rc[1], 30);
    ck_assert_int_le(rc[1], 32);
    mk_destroy(k);
}
END_TEST

/* ---- bad input -------------------------------------------------------------------------- */

static int body_other_pid(mk_t *k, void *arg)
{
    mk_mutex_t m = *(mk_mutex_t *)arg;
    ck_assert_int_eq(mk_mutex_lock(k, mk_self(k) + 100, m, MK_NO_WAIT), MK_EPERM);
    ck_assert_int_eq(mk_mutex_unlock(k, mk_self(k) + 100, m), MK_EPERM);
    return 0;
}

START_TEST(bad_input_on_every_call)
{
    mk_t *k = mk_new();
    mk_mutex_t m, x;
    char longname[MK_NAME_MAX + 2];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    ck_assert_int_eq(mk_mutex_create(NULL, "a", 0, &m), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_create(k, NULL, 0, &m), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_create(k, "", 0, &m), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_create(k, longname, 0, &m), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_mutex_create(k, "a", 0x10, &m), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_create(k, "a", 0, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_create(k, "a", 0, &m), 0);
    ck_assert_int_eq(mk_mutex_create(k, "a", 0, &x), MK_EEXIST);
    ck_assert_int_eq(mk_mutex_open(NULL, 0, "a", &x), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_open(k, 0, NULL, &x), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_open(k, 0, "a", NULL), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_open(k, 0, longname, &x), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_mutex_open(k, 0, "nope", &x), MK_ENOENT);
    ck_assert_int_eq(mk_mutex_open(k, 4242, "a", &x), MK_ENOENT);
    mk_mutex_t forged = m ^ 0x100000000ull, stale;
    ck_assert_int_eq(mk_mutex_lock(k, 1, forged, 0), MK_ENOENT); /* pid checked first */
    mk_pid_t p;
    ck_assert_int_eq(mk_proc_create(k, 0, &p), 0);
    ck_assert_int_eq(mk_mutex_open(k, p, "a", &x), 0);
    ck_assert_int_eq(mk_mutex_lock(k, p, forged, 0), MK_EBADH);
    ck_assert_int_eq(mk_mutex_lock(k, p, 0, 0), MK_EBADH);
    ck_assert_int_eq(mk_mutex_unlock(k, p, forged), MK_EBADH);
    ck_assert_int_eq(mk_mutex_close(k, p, forged), MK_EBADH);
    ck_assert_int_eq(mk_mutex_owner(k, forged, NULL, NULL), MK_EBADH);
    ck_assert_int_eq(mk_mutex_lock(NULL, p, m, 0), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_unlock(NULL, p, m), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_close(NULL, p, m), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_owner(NULL, m, NULL, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_unlock(k, 0, m), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_unlock(k, p, m), MK_EPERM); /* not locked */
    ck_assert_int_eq(mk_mutex_close(k, 4242, m), MK_ENOENT);
    mk_pid_t q;
    ck_assert_int_eq(mk_proc_create(k, 0, &q), 0);
    ck_assert_int_eq(mk_mutex_close(k, q, m), MK_EPERM); /* q never opened it */
    ck_assert_int_eq(mk_mutex_deadlock_report(NULL, NULL, NULL, 0, &p), MK_EINVAL);
    uint32_t cnt;
    ck_assert_int_eq(mk_mutex_deadlock_report(k, NULL, NULL, 0, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_deadlock_report(k, NULL, &x, 1, &cnt), MK_EINVAL);
    ck_assert_int_eq(mk_mutex_deadlock_report(k, &p, NULL, 1, &cnt), MK_EINVAL);
    /* a body may only act for itself */
    spawn(k, 0, body_other_pid, &m);
    run_all(k);
    /* nothing was lost: p can still lock and unlock, then everything closes */
    ck_assert_int_eq(mk_mutex_lock(k, p, m, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_mutex_unlock(k, p, m), 0);
    ck_assert_int_eq(mk_mutex_close(k, p, m), 0);
    ck_assert_int_eq(mk_mutex_close(k, 0, m), 0);
    stale = m;
    ck_assert_int_eq(mk_mutex_lock(k, p, stale, 0), MK_EBADH);
    ck_assert_int_eq(mk_mutex_close(k, 0, stale), MK_EBADH);
    ck_assert_int_eq(mk_mutex_create(k, "a", 0, &x), 0); /* name free again */
    ck_assert_uint_ne(x, stale);
    mk_destroy(k);
    ck_assert_int_eq(mk_mutex_create(k, "b", 0, &x), MK_EBADH);
    ck_assert_int_eq(mk_mutex_open(k, 0, "a", &x), MK_EBADH);
    ck_assert_int_eq(mk_mutex_lock(k, 1, x, 0), MK_EBADH);
    ck_assert_int_eq(mk_mutex_unlock(k, 1, x), MK_EBADH);
    ck_assert_int_eq(mk_mutex_close(k, 1, x), MK_EBADH);
    ck_assert_int_eq(mk_mutex_owner(k, x, NULL, NULL), MK_EBADH);
    ck_assert_int_eq(mk_mutex_deadlock_report(k, NULL, NULL, 0, &cnt), MK_EBADH);
}
END_TEST

static Suite *mutex_suite(void)
{
    Suite *s = suite_create("mutex");
    TCase *tc = tcase_create("seed003");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, seed_create_open_lock_unlock_close);
    tcase_add_test(tc, recursive_counts_and_plain_refuses_relock);
    tcase_add_test(tc, per_process_limit);
    tcase_add_test(tc, system_limit_creators_wait_for_a_slot);
    tcase_add_test(tc, close_exit_or_kill_releases_to_the_waiter);
    tcase_add_test(tc, priority_inheritance_is_transitive);
    tcase_add_test(tc, inheritance_prevents_priority_inversion);
    tcase_add_test(tc, deadlock_two_cycle);
    tcase_add_test(tc, deadlock_three_cycle);
    tcase_add_test(tc, host_threads_lock_for_processes);
    tcase_add_test(tc, lock_times_out_in_ticks);
    tcase_add_test(tc, bad_input_on_every_call);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mutex_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
