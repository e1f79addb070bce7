/*
 * test-threads.c - queues, mailboxes and semaphores used from real host
 * threads at once: producers and consumers through a work queue (nothing
 * lost, nothing duplicated, per-producer order kept), pub/sub fan-out to
 * subscriber threads, a semaphore used as a mutex, timed waits, and
 * deletion / process destruction waking blocked threads with
 * MK_EDESTROYED. Also run under ThreadSanitizer (-Db_sanitize=thread).
 *
 * Where a test must know that a thread is already blocked before it
 * deletes the object, the thread announces itself just before the call and
 * the test then sleeps; a thread that still arrives after the delete gets
 * the "no such object" code instead, which the test accepts as long as at
 * least one thread really was woken from its wait.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static mk_t *new_kernel(void)
{
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    ck_assert_ptr_nonnull(k);
    return k;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* ---- N producers x M consumers through a work queue ------------------ */

enum { NPROD = 4, NCONS = 4, PER_PROD = 3000, TAG_DATA = 1, TAG_STOP = 2 };

struct item {
    uint32_t producer;
    uint32_t seq;
};

struct wq_ctx {
    mk_t *k;
    mk_queue_t q;
    atomic_int errors;
    /* seen[p][s]: how many times (producer p, seq s) was received */
    atomic_uchar seen[NPROD][PER_PROD];
};

struct worker {
    struct wq_ctx *c;
    uint32_t id;
    uint32_t got;
};

static void *producer(void *arg)
{
    struct worker *w = arg;
    for (uint32_t s = 0; s < PER_PROD; s++) {
        struct item it = {w->id, s};
        if (mk_queue_send(w->c->k, w->c->q, TAG_DATA, &it, sizeof it, MK_FOREVER) != 0)
            atomic_fetch_add(&w->c->errors, 1);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct worker *w = arg;
    int64_t last[NPROD];
    for (int i = 0; i < NPROD; i++)
        last[i] = -1;
    for (;;) {
        struct item it;
        uint32_t tag = 0;
        size_t len = 0;
        int rc = mk_queue_recv(w->c->k, w->c->q, 0, &tag, &it, sizeof it, &len, MK_FOREVER);
        if (rc != 0) {
            atomic_fetch_add(&w->c->errors, 1);
            return NULL;
        }
        if (tag == TAG_STOP)
            return NULL;
        if (tag != TAG_DATA || len != sizeof it || it.producer >= NPROD ||
            it.seq >= PER_PROD) {
            atomic_fetch_add(&w->c->errors, 1);
            continue;
        }
        /* A consumer sees a subsequence of the FIFO, so each producer's
         * messages reach it in increasing order. */
        if ((int64_t)it.seq <= last[it.producer])
            atomic_fetch_add(&w->c->errors, 1);
        last[it.producer] = it.seq;
        atomic_fetch_add(&w->c->seen[it.producer][it.seq], 1);
        w->got++;
    }
}

START_TEST(work_queue_producers_consumers)
{
    static struct wq_ctx c;
    memset(&c, 0, sizeof c);
    c.k = new_kernel();
    mk_queue_attr_t a;
    mk_queue_attr_init(&a);
    a.capacity = 8; /* small: producers block often */
    ck_assert_int_eq(mk_queue_create(c.k, "work", &a, &c.q), 0);
    pthread_t pt[NPROD], ct[NCONS];
    struct worker pw[NPROD], cw[NCONS];
    for (uint32_t i = 0; i < NCONS; i++) {
        cw[i] = (struct worker){&c, i, 0};
        ck_assert_int_eq(pthread_create(&ct[i], NULL, consumer, &cw[i]), 0);
    }
    for (uint32_t i = 0; i < NPROD; i++) {
        pw[i] = (struct worker){&c, i, 0};
        ck_assert_int_eq(pthread_create(&pt[i], NULL, producer, &pw[i]), 0);
    }
    for (int i = 0; i < NPROD; i++)
        ck_assert_int_eq(pthread_join(pt[i], NULL), 0);
    for (int i = 0; i < NCONS; i++)
        ck_assert_int_eq(mk_queue_send(c.k, c.q, TAG_STOP, NULL, 0, MK_FOREVER), 0);
    uint32_t total = 0;
    for (int i = 0; i < NCONS; i++) {
        ck_assert_int_eq(pthread_join(ct[i], NULL), 0);
        total += cw[i].got;
    }
    ck_assert_int_eq(atomic_load(&c.errors), 0);
    ck_assert_uint_eq(total, NPROD * PER_PROD);
    for (int p = 0; p < NPROD; p++)
        for (int s = 0; s < PER_PROD; s++)
            ck_assert_uint_eq(atomic_load(&c.seen[p][s]), 1);
    uint32_t left;
    ck_assert_int_eq(mk_queue_count(c.k, c.q, 0, &left), 0);
    ck_assert_uint_eq(left, 0);
    ck_assert_int_eq(mk_destroy(c.k), 0);
}
END_TEST

/* ---- mailbox: many senders, one receiver ------------------------------ */

struct mb_ctx {
    mk_t *k;
    uint32_t id;
    atomic_int *errors;
};

static void *mbox_sender(void *arg)
{
    struct mb_ctx *m = arg;
    for (uint32_t s = 0; s < 2000; s++) {
        struct item it = {m->id, s};
        if (mk_mbox_send(m->k, 1, m->id, &it, sizeof it, MK_FOREVER) != 0)
            atomic_fetch_add(m->errors, 1);
    }
    return NULL;
}

START_TEST(mailbox_many_senders_one_receiver)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_mbox_set_capacity(k, 1, 4), 0);
    atomic_int errors = 0;
    pthread_t th[4];
    struct mb_ctx mc[4];
    for (uint32_t i = 0; i < 4; i++) {
        mc[i] = (struct mb_ctx){k, i, &errors};
        ck_assert_int_eq(pthread_create(&th[i], NULL, mbox_sender, &mc[i]), 0);
    }
    uint32_t next[4] = {0, 0, 0, 0};
    for (int n = 0; n < 4 * 2000; n++) {
        struct item it;
        uint32_t tag;
        size_t len;
        ck_assert_int_eq(mk_mbox_recv(k, 1, &tag, &it, sizeof it, &len, MK_FOREVER), 0);
        ck_assert_uint_eq(len, sizeof it);
        ck_assert_uint_lt(it.producer, 4);
        ck_assert_uint_eq(tag, it.producer);
        ck_assert_uint_eq(it.seq, next[it.producer]); /* per-sender FIFO */
        next[it.producer]++;
    }
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    ck_assert_int_eq(atomic_load(&errors), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- pub/sub fan-out to subscriber threads ----------------------------- */

enum { NSUB = 4, NPUB_MSG = 2000 };

struct sub_ctx {
    mk_t *k;
    mk_queue_t q;
    mk_pid_t pid;
    int errors;
    uint32_t got;
};

static void *subscriber(void *arg)
{
    struct sub_ctx *s = arg;
    for (uint32_t i = 0; i < NPUB_MSG; i++) {
        uint32_t v = 0, tag = 0;
        size_t len = 0;
        int rc = mk_queue_recv(s->k, s->q, s->pid, &tag, &v, sizeof v, &len, MK_FOREVER);
        if (rc != 0 || len != sizeof v || v != i || tag != i % 7)
            s->errors++;
        else
            s->got++;
    }
    return NULL;
}

START_TEST(pubsub_fan_out_threads)
{
    mk_t *k = new_kernel();
    mk_queue_attr_t a;
    mk_queue_attr_init(&a);
    a.mode = MK_QUEUE_PUBSUB;
    a.capacity = 4; /* the publisher waits for the slowest subscriber */
    mk_queue_t q;
    ck_assert_int_eq(mk_queue_create(k, "fan", &a, &q), 0);
    struct sub_ctx sc[NSUB];
    pthread_t th[NSUB];
    for (int i = 0; i < NSUB; i++) {
        mk_pid_t pid = (mk_pid_t)i; /* pid 0 is host code; 1..3 processes */
        if (pid != 0)
            ck_assert_int_eq(mk_proc_create(k, pid, NULL), 0);
        ck_assert_int_eq(mk_queue_subscribe(k, q, pid), 0);
        sc[i] = (struct sub_ctx){k, q, pid, 0, 0};
    }
    for (int i = 0; i < NSUB; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, subscriber, &sc[i]), 0);
    for (uint32_t i = 0; i < NPUB_MSG; i++)
        ck_assert_int_eq(mk_queue_send(k, q, i % 7, &i, sizeof i, MK_FOREVER), 0);
    for (int i = 0; i < NSUB; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(sc[i].errors, 0);
        ck_assert_uint_eq(sc[i].got, NPUB_MSG);
    }
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- a semaphore as a mutex -------------------------------------------- */

struct lock_ctx {
    mk_t *k;
    mk_sem_t s;
    long counter; /* plain: only the semaphore protects it */
    atomic_int errors;
};

static void *locker(void *arg)
{
    struct lock_ctx *c = arg;
    for (int i = 0; i < 5000; i++) {
        if (mk_sem_wait(c->k, c->s, MK_FOREVER) != 0) {
            atomic_fetch_add(&c->errors, 1);
            continue;
        }
        long v = c->counter;
        c->counter = v + 1;
        if (mk_sem_post(c->k, c->s) != 0)
            atomic_fetch_add(&c->errors, 1);
    }
    return NULL;
}

START_TEST(semaphore_as_mutex)
{
    static struct lock_ctx c;
    memset(&c, 0, sizeof c);
    c.k = new_kernel();
    ck_assert_int_eq(mk_sem_create(c.k, "lock", 1, 1, &c.s), 0);
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, locker, &c), 0);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    ck_assert_int_eq(atomic_load(&c.errors), 0);
    ck_assert_int_eq(c.counter, 8 * 5000);
    uint32_t v;
    ck_assert_int_eq(mk_sem_value(c.k, c.s, &v), 0);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(mk_destroy(c.k), 0);
}
END_TEST

/* ---- timed waits -------------------------------------------------------- */

struct timed_ctx {
    mk_t *k;
    mk_sem_t s;
    mk_queue_t full;
    int sem_rc, send_rc, recv_rc;
};

static void *timed_waiter(void *arg)
{
    struct timed_ctx *t = arg;
    char buf[4];
    size_t len;
    t->sem_rc = mk_sem_wait(t->k, t->s, 20);
    t->send_rc = mk_queue_send(t->k, t->full, 0, "x", 1, 20);
    t->recv_rc = mk_mbox_recv(t->k, 1, NULL, buf, sizeof buf, &len, 20);
    return NULL;
}

START_TEST(timed_waits_time_out)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    struct timed_ctx t[4];
    mk_sem_t s;
    mk_queue_t q;
    mk_queue_attr_t a;
    mk_queue_attr_init(&a);
    a.capacity = 1;
    ck_assert_int_eq(mk_sem_create(k, "zero", 0, 0, &s), 0);
    ck_assert_int_eq(mk_queue_create(k, "full", &a, &q), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 5, "keep", 4, MK_NO_WAIT), 0);
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (struct timed_ctx){k, s, q, 1, 1, 1};
        ck_assert_int_eq(pthread_create(&th[i], NULL, timed_waiter, &t[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(t[i].sem_rc, MK_ETIMEDOUT);
        ck_assert_int_eq(t[i].send_rc, MK_ETIMEDOUT);
        ck_assert_int_eq(t[i].recv_rc, MK_ETIMEDOUT);
    }
    /* The timed-out waiters left no trace. */
    uint32_t v, c;
    ck_assert_int_eq(mk_sem_value(k, s, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(mk_sem_post(k, s), 0);
    ck_assert_int_eq(mk_sem_value(k, s, &v), 0);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(mk_queue_count(k, q, 0, &c), 0);
    ck_assert_uint_eq(c, 1);
    char buf[8];
    size_t len;
    uint32_t tag;
    ck_assert_int_eq(mk_queue_recv(k, q, 0, &tag, buf, sizeof buf, &len, MK_NO_WAIT), 0);
    ck_assert_uint_eq(tag, 5);
    ck_assert_mem_eq(buf, "keep", 4);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

static void *post_later(void *arg)
{
    struct timed_ctx *t = arg;
    sleep_ms(20);
    t->sem_rc = mk_sem_post(t->k, t->s);
    return NULL;
}

START_TEST(timed_wait_succeeds_when_posted)
{
    mk_t *k = new_kernel();
    mk_sem_t s;
    ck_assert_int_eq(mk_sem_create(k, "later", 0, 0, &s), 0);
    struct timed_ctx t = {k, s, 0, 1, 0, 0};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, post_later, &t), 0);
    /* 100 s: far beyond the 20 ms the poster sleeps. */
    ck_assert_int_eq(mk_sem_wait(k, s, 100000), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(t.sem_rc, 0);
    uint32_t v;
    ck_assert_int_eq(mk_sem_value(k, s, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- deletion wakes blocked threads ------------------------------------ */

enum { NBLOCK = 6 };

enum blk_kind { B_SEM, B_QRECV, B_QSEND, B_MRECV, B_MSEND, B_SUBRECV };

struct blocker {
    mk_t *k;
    enum blk_kind kind;
    uint64_t h;
    mk_pid_t pid;
    atomic_int *ready;
    int rc;
};

static void *block_on(void *arg)
{
    struct blocker *b = arg;
    char buf[8];
    size_t len;
    atomic_fetch_add(b->ready, 1);
    switch (b->kind) {
    case B_SEM:
        b->rc = mk_sem_wait(b->k, b->h, MK_FOREVER);
        break;
    case B_QRECV:
        b->rc = mk_queue_recv(b->k, b->h, 0, NULL, buf, sizeof buf, &len, MK_FOREVER);
        break;
    case B_QSEND:
        b->rc = mk_queue_send(b->k, b->h, 0, "x", 1, MK_FOREVER);
        break;
    case B_MRECV:
        b->rc = mk_mbox_recv(b->k, b->pid, NULL, buf, sizeof buf, &len, MK_FOREVER);
        break;
    case B_MSEND:
        b->rc = mk_mbox_send(b->k, b->pid, 0, "x", 1, MK_FOREVER);
        break;
    case B_SUBRECV:
        b->rc = mk_queue_recv(b->k, b->h, b->pid, NULL, buf, sizeof buf, &len, MK_FOREVER);
        break;
    }
    return NULL;
}

/* Start n blockers, wait until all announced themselves, give them time to
 * block, then run `kill` and check every blocker returned: woken ones with
 * MK_EDESTROYED, late ones with `late_rc`; at least one was woken. */
static void run_blockers(mk_t *k, enum blk_kind kind, uint64_t h, mk_pid_t pid, int n,
                         void (*kill)(mk_t *, uint64_t, mk_pid_t), int late_rc)
{
    atomic_int ready = 0;
    struct blocker b[NBLOCK];
    pthread_t th[NBLOCK];
    ck_assert_int_le(n, NBLOCK);
    for (int i = 0; i < n; i++) {
        b[i] = (struct blocker){k, kind, h, pid, &ready, 1};
        ck_assert_int_eq(pthread_create(&th[i], NULL, block_on, &b[i]), 0);
    }
    while (atomic_load(&ready) < n)
        sleep_ms(1);
    sleep_ms(100);
    kill(k, h, pid);
    int woken = 0;
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        if (b[i].rc == MK_EDESTROYED)
            woken++;
        else
            ck_assert_int_eq(b[i].rc, late_rc);
    }
    ck_assert_int_ge(woken, 1);
}

static void kill_sem(mk_t *k, uint64_t h, mk_pid_t pid)
{
    (void)pid;
    ck_assert_int_eq(mk_sem_delete(k, h), 0);
}

static void kill_queue(mk_t *k, uint64_t h, mk_pid_t pid)
{
    (void)pid;
    ck_assert_int_eq(mk_queue_delete(k, h), 0);
}

static void kill_proc(mk_t *k, uint64_t h, mk_pid_t pid)
{
    (void)h;
    ck_assert_int_eq(mk_proc_destroy(k, pid), 0);
}

static void kill_sub(mk_t *k, uint64_t h, mk_pid_t pid)
{
    ck_assert_int_eq(mk_queue_unsubscribe(k, h, pid), 0);
}

START_TEST(sem_delete_wakes_waiters)
{
    mk_t *k = new_kernel();
    mk_sem_t s;
    ck_assert_int_eq(mk_sem_create(k, "s", 0, 0, &s), 0);
    run_blockers(k, B_SEM, s, 0, NBLOCK, kill_sem, MK_EBADH);
    ck_assert_int_eq(mk_sem_post(k, s), MK_EBADH);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(queue_delete_wakes_receivers_and_senders)
{
    mk_t *k = new_kernel();
    mk_queue_t q;
    ck_assert_int_eq(mk_queue_create(k, "empty", NULL, &q), 0);
    run_blockers(k, B_QRECV, q, 0, NBLOCK, kill_queue, MK_EBADH);
    mk_queue_attr_t a;
    mk_queue_attr_init(&a);
    a.capacity = 1;
    ck_assert_int_eq(mk_queue_create(k, "full", &a, &q), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 0, "f", 1, MK_NO_WAIT), 0);
    run_blockers(k, B_QSEND, q, 0, NBLOCK, kill_queue, MK_EBADH);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(process_destroy_wakes_mailbox_waiters)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 5, NULL), 0);
    run_blockers(k, B_MRECV, 0, 5, NBLOCK, kill_proc, MK_ENOENT);
    ck_assert_int_eq(mk_proc_create(k, 6, NULL), 0);
    ck_assert_int_eq(mk_mbox_set_capacity(k, 6, 1), 0);
    ck_assert_int_eq(mk_mbox_send(k, 6, 0, "f", 1, MK_NO_WAIT), 0);
    run_blockers(k, B_MSEND, 0, 6, NBLOCK, kill_proc, MK_ENOENT);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(unsubscribe_and_destroy_wake_subscriber)
{
    mk_t *k = new_kernel();
    mk_queue_attr_t a;
    mk_queue_attr_init(&a);
    a.mode = MK_QUEUE_PUBSUB;
    mk_queue_t q;
    ck_assert_int_eq(mk_queue_create(k, "ps", &a, &q), 0);
    ck_assert_int_eq(mk_proc_create(k, 2, NULL), 0);
    ck_assert_int_eq(mk_queue_subscribe(k, q, 2), 0);
    run_blockers(k, B_SUBRECV, q, 2, 3, kill_sub, MK_EPERM);
    ck_assert_int_eq(mk_queue_subscribe(k, q, 2), 0);
    run_blockers(k, B_SUBRECV, q, 2, 3, kill_proc, MK_ENOENT);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- races between life cycle and traffic ------------------------------ */

struct churn_ctx {
    mk_t *k;
    mk_queue_t q;
    mk_pid_t base;
    atomic_int *stop;
    int bad;
};

/* Create a process, subscribe it, destroy it - over and over. */
static void *churn_procs(void *arg)
{
    struct churn_ctx *c = arg;
    for (int i = 0; i < 100; i++) {
        mk_pid_t pid = c->base + (mk_pid_t)(i % 5);
        if (mk_proc_create(c->k, pid, NULL) != 0) {
            c->bad++;
            continue;
        }
        int rc = mk_queue_subscribe(c->k, c->q, pid);
        if (rc != 0)
            c->bad++;
        /* Wait until the publisher has delivered to it, so that it dies
         * holding unread messages that must be released for others. */
        uint32_t n = 0;
        for (int tries = 0; rc == 0 && tries < 10000; tries++) {
            if (mk_queue_count(c->k, c->q, pid, &n) != 0)
                c->bad++;
            if (n > 0)
                break;
            sleep_ms(1);
        }
        if (n == 0)
            c->bad++;
        (void)mk_mbox_send(c->k, pid, 0, "m", 1, MK_NO_WAIT);
        if (mk_proc_destroy(c->k, pid) != 0)
            c->bad++;
    }
    return NULL;
}

static void *publish_until_stopped(void *arg)
{
    struct churn_ctx *c = arg;
    while (!atomic_load(c->stop)) {
        /* Subscribers come and go and never read: the queue must never
         * stay full, because destroyed subscribers release their share. */
        int rc = mk_queue_send(c->k, c->q, 0, "p", 1, 100000);
        if (rc != 0 && rc != MK_ETIMEDOUT)
            c->bad++;
        if (rc == MK_ETIMEDOUT)
            c->bad++;
    }
    return NULL;
}

START_TEST(process_churn_with_subscriptions)
{
    mk_t *k = new_kernel();
    mk_queue_attr_t a;
    mk_queue_attr_init(&a);
    a.mode = MK_QUEUE_PUBSUB;
    a.capacity = 2;
    mk_queue_t q;
    ck_assert_int_eq(mk_queue_create(k, "churn", &a, &q), 0);
    atomic_int stop = 0;
    struct churn_ctx cc[4], pc = {k, q, 0, &stop, 0};
    pthread_t th[4], pub;
    ck_assert_int_eq(pthread_create(&pub, NULL, publish_until_stopped, &pc), 0);
    for (int i = 0; i < 4; i++) {
        cc[i] = (struct churn_ctx){k, q, (mk_pid_t)(100 * (i + 1)), &stop, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, churn_procs, &cc[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(cc[i].bad, 0);
    }
    atomic_store(&stop, 1);
    ck_assert_int_eq(pthread_join(pub, NULL), 0);
    ck_assert_int_eq(pc.bad, 0);
    uint32_t n;
    ck_assert_int_eq(mk_proc_count(k, &n), 0);
    ck_assert_uint_eq(n, 0);
    /* No subscriber is left: a host subscriber now sees only new messages. */
    ck_assert_int_eq(mk_queue_subscribe(k, q, 0), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 1, "z", 1, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 2, "z", 1, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 3, "z", 1, MK_NO_WAIT), MK_EAGAIN);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

struct hammer_ctx {
    mk_t *k;
    mk_queue_t q;
    int bad;
};

static void *hammer(void *arg)
{
    struct hammer_ctx *h = arg;
    for (int i = 0; i < 100000; i++) {
        char buf[4];
        size_t len;
        int rc = (i & 1) ? mk_queue_send(h->k, h->q, 0, "h", 1, 1)
                         : mk_queue_recv(h->k, h->q, 0, NULL, buf, sizeof buf, &len, 1);
        if (rc == MK_EBADH)
            return NULL; /* deleted: done */
        if (rc != 0 && rc != MK_EDESTROYED && rc != MK_ETIMEDOUT)
            h->bad++;
    }
    return NULL;
}

START_TEST(delete_during_traffic)
{
    mk_t *k = new_kernel();
    mk_queue_attr_t a;
    mk_queue_attr_init(&a);
    a.capacity = 2;
    mk_queue_t q;
    ck_assert_int_eq(mk_queue_create(k, "busy", &a, &q), 0);
    struct hammer_ctx hc[6];
    pthread_t th[6];
    for (int i = 0; i < 6; i++) {
        hc[i] = (struct hammer_ctx){k, q, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, &hc[i]), 0);
    }
    sleep_ms(30);
    ck_assert_int_eq(mk_queue_delete(k, q), 0);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(hc[i].bad, 0);
    }
    uint32_t c;
    ck_assert_int_eq(mk_queue_count(k, q, 0, &c), MK_EBADH);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- memory blocks through per-thread caches ---------------------------
 * Threads allocate blocks of 16-600 bytes (most go through their own
 * caches), write a pattern naming the block, and swap handles through a
 * shared pool, so most blocks are checked and freed by another thread
 * than the one that allocated them. Meanwhile the main thread reads heap
 * statistics and usage (which flush every cache), resets nothing in use,
 * and destroys and re-creates a process whose blocks sit in the threads'
 * caches. No byte may be wrong, no handle may be accepted twice, and at
 * the end every heap is empty and every account at zero. */

#define MEM_POOL 64
#define MEM_THREADS 4

struct mem_pool {
    mk_t *k;
    mk_heap_t heaps[3];
    pthread_mutex_t mu;
    mk_block_t b[MEM_POOL];
    uint64_t n[MEM_POOL];
    mk_pid_t pid[MEM_POOL];
    uint32_t seed[MEM_POOL];
    atomic_int stop;
};

struct mem_worker {
    struct mem_pool *p;
    uint32_t rng;
    int bad;
    int ops;
};

static uint32_t mem_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static uint8_t mem_pat(uint32_t seed, uint64_t i)
{
    return (uint8_t)(seed * 31u + i * 7u);
}

static void *mem_worker_main(void *arg)
{
    struct mem_worker *w = arg;
    struct mem_pool *p = w->p;
    uint8_t buf[600];
    while (!atomic_load(&p->stop) && w->ops < 20000) {
        w->ops++;
        uint32_t r = mem_rand(&w->rng);
        mk_pid_t pid = (r & 7) == 0 ? 3 : (mk_pid_t)(1 + (r >> 3) % 2);
        uint64_t n = 16 + (r >> 8) % 585;
        mk_heap_t heap = p->heaps[(r >> 20) % 3];
        mk_block_t b;
        int rc = mk_mem_alloc(p->k, pid, heap, n, &b);
        if (rc == MK_ENOENT && pid == 3)
            continue; /* pid 3 is being re-created */
        if (rc == MK_ENOMEM)
            continue; /* the bump heap fills up until its blocks all go */
        if (rc != 0) {
            w->bad++;
            continue;
        }
        uint32_t seed = mem_rand(&w->rng);
        for (uint64_t i = 0; i < n; i++)
            buf[i] = mem_pat(seed, i);
        rc = mk_mem_write(p->k, pid, b, 0, buf, n);
        /* pid 3 may have been destroyed since (its blocks with it) */
        if (rc != 0 && !(pid == 3 && (rc == MK_EBADH || rc == MK_ENOENT)))
            w->bad++;
        /* Swap with a pool entry; check and free what was there. */
        uint32_t j = mem_rand(&w->rng) % MEM_POOL;
        pthread_mutex_lock(&p->mu);
        mk_block_t ob = p->b[j];
        uint64_t on = p->n[j];
        mk_pid_t opid = p->pid[j];
        uint32_t oseed = p->seed[j];
        p->b[j] = b, p->n[j] = n, p->pid[j] = pid, p->seed[j] = seed;
        pthread_mutex_unlock(&p->mu);
        if (ob == 0)
            continue;
        rc = mk_mem_read(p->k, opid, ob, 0, buf, on);
        if (rc == 0) {
            for (uint64_t i = 0; i < on; i++)
                if (buf[i] != mem_pat(oseed, i)) {
                    w->bad++;
                    break;
                }
        } else if (!(opid == 3 && (rc == MK_EBADH || rc == MK_ENOENT))) {
            w->bad++;
        }
        rc = mk_mem_free(p->k, opid, ob);
        if (rc != 0 && !(opid == 3 && (rc == MK_EBADH || rc == MK_ENOENT)))
            w->bad++;
        if (mk_mem_free(p->k, opid, ob) == 0) /* never twice */
            w->bad++;
    }
    return NULL;
}

START_TEST(mem_blocks_cross_threads_with_exit_and_stats)
{
    mk_t *k = new_kernel();
    static struct mem_pool p;
    memset(&p, 0, sizeof p);
    p.k = k;
    pthread_mutex_init(&p.mu, NULL);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FIXED, 1 << 20, &p.heaps[0]), 0);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FREELIST, 1 << 20, &p.heaps[1]), 0);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, 1 << 20, &p.heaps[2]), 0);
    for (mk_pid_t pid = 1; pid <= 3; pid++)
        ck_assert_int_eq(mk_proc_create(k, pid, NULL), 0);
    struct mem_worker w[MEM_THREADS];
    pthread_t th[MEM_THREADS];
    for (int i = 0; i < MEM_THREADS; i++) {
        w[i] = (struct mem_worker){&p, 0x9e3779b9u * (uint32_t)(i + 1), 0, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, mem_worker_main, &w[i]), 0);
    }
    for (int round = 0; round < 20; round++) {
        sleep_ms(5);
        mk_heap_stats_t s;
        memset(&s, 0, sizeof s);
        s.size = sizeof s;
        for (int h = 0; h < 3; h++) {
            ck_assert_int_eq(mk_heap_stats(k, p.heaps[h], &s), 0);
            ck_assert_uint_eq(s.used + s.free, s.capacity);
            ck_assert_uint_le(s.live_blocks, s.allocs);
        }
        uint64_t used;
        ck_assert_int_eq(mk_mem_usage(k, 1, &used, NULL), 0);
        ck_assert_uint_le(used, (uint64_t)(MEM_POOL + MEM_THREADS) * 600);
        ck_assert_int_eq(mk_proc_destroy(k, 3), 0);
        ck_assert_int_eq(mk_proc_create(k, 3, NULL), 0);
    }
    atomic_store(&p.stop, 1);
    for (int i = 0; i < MEM_THREADS; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(w[i].bad, 0);
        ck_assert_int_gt(w[i].ops, 0);
    }
    for (int j = 0; j < MEM_POOL; j++) {
        if (p.b[j] == 0)
            continue;
        int rc = mk_mem_free(k, p.pid[j], p.b[j]);
        if (p.pid[j] == 3)
            ck_assert(rc == 0 || rc == MK_EBADH);
        else
            ck_assert_int_eq(rc, 0);
    }
    for (mk_pid_t pid = 1; pid <= 3; pid++) {
        uint64_t used = 1;
        ck_assert_int_eq(mk_mem_usage(k, pid, &used, NULL), 0);
        ck_assert_uint_eq(used, 0);
    }
    for (int h = 0; h < 3; h++) {
        mk_heap_stats_t s;
        memset(&s, 0, sizeof s);
        s.size = sizeof s;
        ck_assert_int_eq(mk_heap_stats(k, p.heaps[h], &s), 0);
        ck_assert_uint_eq(s.used, 0);
        ck_assert_uint_eq(s.live_blocks, 0);
        ck_assert_uint_eq(s.requested, 0);
        ck_assert_uint_eq(s.allocs, s.frees);
        ck_assert_int_eq(mk_heap_destroy(k, p.heaps[h]), 0);
    }
    pthread_mutex_destroy(&p.mu);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

static Suite *threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("host-threads");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, work_queue_producers_consumers);
    tcase_add_test(tc, mailbox_many_senders_one_receiver);
    tcase_add_test(tc, pubsub_fan_out_threads);
    tcase_add_test(tc, semaphore_as_mutex);
    tcase_add_test(tc, timed_waits_time_out);
    tcase_add_test(tc, timed_wait_succeeds_when_posted);
    tcase_add_test(tc, sem_delete_wakes_waiters);
    tcase_add_test(tc, queue_delete_wakes_receivers_and_senders);
    tcase_add_test(tc, process_destroy_wakes_mailbox_waiters);
    tcase_add_test(tc, unsubscribe_and_destroy_wake_subscriber);
    tcase_add_test(tc, process_churn_with_subscriptions);
    tcase_add_test(tc, delete_during_traffic);
    tcase_add_test(tc, mem_blocks_cross_threads_with_exit_and_stats);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(threads_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
