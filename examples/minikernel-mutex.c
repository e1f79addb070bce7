/*
 * minikernel-mutex.c - the mini-kernel's mutex exercises, one scenario per
 * context, each checked:
 *
 *   1. create / open / lock / unlock / close: a second process blocks on a
 *      locked mutex and gets it on unlock; the last close destroys it.
 *   2. recursive: the owner locks three times and must unlock three times;
 *      a non-recursive relock is refused (MK_EDEADLK); only the owner may
 *      unlock (MK_EPERM).
 *   3. limits: a process may have MK_MUTEX_OPEN_MAX mutexes open
 *      (MK_EMFILE past that); with MK_MUTEX_SYS_MAX mutexes in the system a
 *      creator waits for a free slot and gets one when a mutex is destroyed.
 *   4. closing or exiting while holding releases the mutex to the next
 *      waiter.
 *   5. deadlock: two processes locking two mutexes in opposite order; the
 *      lock that would close the cycle fails with MK_EDEADLK and the cycle
 *      is reported.
 *
 * Prints one line per check; exit status 0 when every check passed.
 */
#include <microkernel/mk.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define TRY(call)                                                                     \
    do {                                                                              \
        int rc_ = (call);                                                             \
        if (rc_ != 0) {                                                               \
            fprintf(stderr, "minikernel-mutex: line %d: %s: %s\n", __LINE__, #call,   \
                    mk_err_name(rc_));                                                \
            exit(1);                                                                  \
        }                                                                             \
    } while (0)

/* Check that `call` returns `want`, print the result. */
#define EXPECT(want, call)                                                            \
    do {                                                                              \
        int got_ = (call);                                                            \
        printf("    %-4s %-58s -> %s\n", got_ == (want) ? "ok" : "FAIL", #call,        \
               got_ == 0 ? "0" : mk_err_name(got_));                                  \
        if (got_ != (want))                                                           \
            failures++;                                                               \
    } while (0)

#define CHECK(cond, what)                                                             \
    do {                                                                              \
        int c_ = (cond);                                                              \
        printf("    %-4s %s\n", c_ ? "ok" : "FAIL", what);                            \
        if (!c_)                                                                      \
            failures++;                                                               \
    } while (0)

static uint64_t now(mk_t *k)
{
    uint64_t t = 0;
    (void)mk_clock_now(k, &t);
    return t;
}

static mk_t *fresh(void)
{
    mk_t *k;
    TRY(mk_create(NULL, &k));
    return k;
}

static void run_all(mk_t *k)
{
    uint32_t reason;
    TRY(mk_run(k, 100000, &reason));
    if (reason != MK_RUN_DONE) {
        fprintf(stderr, "minikernel-mutex: a scenario did not finish\n");
        exit(1);
    }
}

static mk_pid_t spawn(mk_t *k, mk_pid_t pid, uint32_t prio, mk_body_fn fn, void *arg)
{
    mk_proc_attr_t a;
    mk_proc_attr_init(&a);
    a.priority = prio;
    TRY(mk_proc_spawn(k, pid, &a, fn, arg, NULL));
    return pid;
}

/* ---- 1. create, open, lock, unlock, close ---------------------------- */

static uint64_t s1_b_asked, s1_b_got;

static int s1_a(mk_t *k, void *arg)
{
    (void)arg;
    mk_mutex_t m;
    TRY(mk_mutex_create(k, "door", 0, &m));
    TRY(mk_mutex_lock(k, 0, m, MK_FOREVER));
    TRY(mk_sleep(k, 10)); /* holds it while b tries */
    TRY(mk_mutex_unlock(k, 0, m));
    TRY(mk_sleep(k, 10));
    TRY(mk_mutex_close(k, 0, m));
    return 0;
}

static int s1_b(mk_t *k, void *arg)
{
    (void)arg;
    mk_mutex_t m;
    TRY(mk_sleep(k, 2));
    TRY(mk_mutex_open(k, 0, "door", &m));
    s1_b_asked = now(k);
    TRY(mk_mutex_lock(k, 0, m, MK_FOREVER));
    s1_b_got = now(k);
    TRY(mk_mutex_unlock(k, 0, m));
    TRY(mk_mutex_close(k, 0, m));
    return 0;
}

static void scenario_basic(void)
{
    printf("1. create, open, lock, unlock, close\n");
    mk_t *k = fresh();
    spawn(k, 1, 0, s1_a, NULL);
    spawn(k, 2, 0, s1_b, NULL);
    run_all(k);
    printf("    b asked at tick %" PRIu64 ", got it at tick %" PRIu64 "\n", s1_b_asked, s1_b_got);
    CHECK(s1_b_got >= 10 && s1_b_got > s1_b_asked, "b waited until a unlocked");
    mk_mutex_t m;
    EXPECT(MK_ENOENT, mk_mutex_open(k, 0, "door", &m)); /* destroyed at last close */
    TRY(mk_destroy(k));
}

/* ---- 2. recursive, relock, owner-only unlock ------------------------- */

static mk_mutex_t s2_rec, s2_plain;
static uint32_t s2_depth;

static int s2_owner(mk_t *k, void *arg)
{
    (void)arg;
    TRY(mk_mutex_open(k, 0, "rec", &s2_rec));
    TRY(mk_mutex_open(k, 0, "plain", &s2_plain));
    for (int i = 0; i < 3; i++)
        TRY(mk_mutex_lock(k, 0, s2_rec, MK_FOREVER));
    TRY(mk_mutex_owner(k, s2_rec, NULL, &s2_depth));
    TRY(mk_mutex_lock(k, 0, s2_plain, MK_FOREVER));
    EXPECT(MK_EDEADLK, mk_mutex_lock(k, 0, s2_plain, MK_FOREVER));
    TRY(mk_sleep(k, 10)); /* let the intruder try */
    for (int i = 0; i < 3; i++)
        EXPECT(0, mk_mutex_unlock(k, 0, s2_rec));
    EXPECT(MK_EPERM, mk_mutex_unlock(k, 0, s2_rec)); /* count already 0 */
    TRY(mk_mutex_unlock(k, 0, s2_plain));
    TRY(mk_mutex_close(k, 0, s2_rec));
    TRY(mk_mutex_close(k, 0, s2_plain));
    return 0;
}

static int s2_intruder(mk_t *k, void *arg)
{
    (void)arg;
    mk_mutex_t m;
    TRY(mk_sleep(k, 2));
    TRY(mk_mutex_open(k, 0, "plain", &m));
    EXPECT(MK_EPERM, mk_mutex_unlock(k, 0, m)); /* not the owner */
    EXPECT(MK_EAGAIN, mk_mutex_lock(k, 0, m, MK_NO_WAIT));
    EXPECT(MK_ETIMEDOUT, mk_mutex_lock(k, 0, m, 2));
    TRY(mk_mutex_close(k, 0, m));
    return 0;
}

static void scenario_recursive(void)
{
    printf("2. recursive mutex, relock, owner-only unlock\n");
    mk_t *k = fresh();
    mk_mutex_t rec, plain;
    TRY(mk_mutex_create(k, "rec", MK_MUTEX_RECURSIVE, &rec));
    TRY(mk_mutex_create(k, "plain", 0, &plain));
    spawn(k, 1, 20, s2_owner, NULL);
    spawn(k, 2, 10, s2_intruder, NULL);
    run_all(k);
    CHECK(s2_depth == 3, "recursive mutex locked 3 times has count 3");
    mk_pid_t owner = 99;
    uint32_t count = 99;
    TRY(mk_mutex_owner(k, rec, &owner, &count));
    CHECK(owner == 0 && count == 0, "after 3 unlocks it is free");
    TRY(mk_mutex_close(k, 0, rec));
    TRY(mk_mutex_close(k, 0, plain));
    TRY(mk_destroy(k));
}

/* ---- 3. limits: per process, and the system with a waiting creator ---- */

static int s3_emfile;
static uint64_t s3_asked, s3_created;
static int s3_created_rc = 1;

static int s3_collector(mk_t *k, void *arg)
{
    (void)arg;
    mk_mutex_t m[MK_MUTEX_OPEN_MAX];
    char name[16];
    for (uint32_t i = 0; i < MK_MUTEX_OPEN_MAX; i++) {
        snprintf(name, sizeof name, "c%" PRIu32, i);
        TRY(mk_mutex_create(k, name, 0, &m[i]));
    }
    mk_mutex_t extra;
    s3_emfile = mk_mutex_create(k, "one-too-many", 0, &extra);
    TRY(mk_sleep(k, 10)); /* the system is full meanwhile: the creator waits */
    TRY(mk_mutex_close(k, 0, m[0])); /* frees a slot */
    TRY(mk_sleep(k, 5));
    for (uint32_t i = 1; i < MK_MUTEX_OPEN_MAX; i++)
        TRY(mk_mutex_close(k, 0, m[i]));
    return 0;
}

static int s3_creator(mk_t *k, void *arg)
{
    (void)arg;
    mk_mutex_t m;
    TRY(mk_sleep(k, 2));
    s3_asked = now(k);
    s3_created_rc = mk_mutex_create(k, "late", 0, &m);
    s3_created = now(k);
    if (s3_created_rc == 0)
        TRY(mk_mutex_close(k, 0, m));
    return 0;
}

static void scenario_limits(void)
{
    printf("3. limits: %u open per process, %u in the system\n", MK_MUTEX_OPEN_MAX,
           MK_MUTEX_SYS_MAX);
    mk_t *k = fresh();
    /* The host (kernel) fills the system, is refused one more, and then
     * leaves room for the collector's MK_MUTEX_OPEN_MAX. */
    mk_mutex_t host[MK_MUTEX_SYS_MAX], m;
    uint32_t nhost = MK_MUTEX_SYS_MAX - MK_MUTEX_OPEN_MAX;
    char name[16];
    for (uint32_t i = 0; i < MK_MUTEX_SYS_MAX; i++) {
        snprintf(name, sizeof name, "h%" PRIu32, i);
        TRY(mk_mutex_create(k, name, 0, &host[i]));
    }
    EXPECT(MK_ENOSPC, mk_mutex_create(k, "host-extra", 0, &m));
    for (uint32_t i = nhost; i < MK_MUTEX_SYS_MAX; i++)
        TRY(mk_mutex_close(k, 0, host[i]));
    spawn(k, 1, 0, s3_collector, NULL);
    spawn(k, 2, 0, s3_creator, NULL);
    run_all(k);
    printf("    the collector's mutex number %u: %s\n", MK_MUTEX_OPEN_MAX + 1,
           mk_err_name(s3_emfile));
    CHECK(s3_emfile == MK_EMFILE, "one more than MK_MUTEX_OPEN_MAX open: MK_EMFILE");
    printf("    creator asked at tick %" PRIu64 ", created at tick %" PRIu64 "\n", s3_asked,
           s3_created);
    CHECK(s3_created_rc == 0 && s3_created >= 10,
          "a creator waits for a free slot in a full system and gets it");
    for (uint32_t i = 0; i < nhost; i++)
        TRY(mk_mutex_close(k, 0, host[i]));
    TRY(mk_destroy(k));
}

/* ---- 4. close or exit while holding ----------------------------------- */

static int s4_results[2] = {1, 1};
static mk_pid_t s4_owner_seen[2];

static int s4_holder(mk_t *k, void *arg)
{
    int exit_instead = *(int *)arg;
    mk_mutex_t m;
    TRY(mk_mutex_open(k, 0, "held", &m));
    TRY(mk_mutex_lock(k, 0, m, MK_FOREVER));
    TRY(mk_sleep(k, 5));
    if (exit_instead)
        mk_exit(k, 7); /* does not return */
    TRY(mk_mutex_close(k, 0, m)); /* still locked: released to the waiter */
    return 0;
}

static int s4_waiter(mk_t *k, void *arg)
{
    int idx = *(int *)arg;
    mk_mutex_t m;
    TRY(mk_sleep(k, 1));
    TRY(mk_mutex_open(k, 0, "held", &m));
    s4_results[idx] = mk_mutex_lock(k, 0, m, MK_FOREVER);
    if (s4_results[idx] == 0) {
        TRY(mk_mutex_owner(k, m, &s4_owner_seen[idx], NULL));
        TRY(mk_mutex_unlock(k, 0, m));
    }
    TRY(mk_mutex_close(k, 0, m));
    return 0;
}

static void scenario_release(void)
{
    printf("4. closing or exiting while holding releases the mutex\n");
    for (int exit_instead = 0; exit_instead < 2; exit_instead++) {
        mk_t *k = fresh();
        mk_mutex_t m;
        TRY(mk_mutex_create(k, "held", 0, &m));
        spawn(k, 1, 0, s4_holder, &exit_instead);
        spawn(k, 2, 0, s4_waiter, &exit_instead);
        run_all(k);
        int32_t st;
        TRY(mk_wait(k, 1, MK_NO_WAIT, &st));
        CHECK(s4_results[exit_instead] == 0 && s4_owner_seen[exit_instead] == 2,
              exit_instead ? "holder exits: the waiter gets the mutex"
                           : "holder closes: the waiter gets the mutex");
        TRY(mk_mutex_close(k, 0, m));
        TRY(mk_destroy(k));
    }
}

/* ---- 5. deadlock ---------------------------------------------------- */

static int s5_rc[2] = {1, 1};

static int s5_body(mk_t *k, void *arg)
{
    int me = *(int *)arg;
    mk_mutex_t first, second;
    TRY(mk_mutex_open(k, 0, me ? "B" : "A", &first));
    TRY(mk_mutex_open(k, 0, me ? "A" : "B", &second));
    TRY(mk_mutex_lock(k, 0, first, MK_FOREVER));
    TRY(mk_sleep(k, 3)); /* both hold their first mutex now */
    s5_rc[me] = mk_mutex_lock(k, 0, second, MK_FOREVER);
    if (s5_rc[me] == 0)
        TRY(mk_mutex_unlock(k, 0, second));
    TRY(mk_mutex_unlock(k, 0, first)); /* lets the other one finish */
    TRY(mk_mutex_close(k, 0, first));
    TRY(mk_mutex_close(k, 0, second));
    return 0;
}

static void scenario_deadlock(void)
{
    printf("5. deadlock detection\n");
    mk_t *k = fresh();
    mk_mutex_t a, b;
    TRY(mk_mutex_create(k, "A", 0, &a));
    TRY(mk_mutex_create(k, "B", 0, &b));
    static int ids[2] = {0, 1};
    spawn(k, 1, 0, s5_body, &ids[0]);
    spawn(k, 2, 0, s5_body, &ids[1]);
    run_all(k);
    printf("    p1 lock B: %s, p2 lock A: %s\n", s5_rc[0] ? mk_err_name(s5_rc[0]) : "0",
           s5_rc[1] ? mk_err_name(s5_rc[1]) : "0");
    CHECK((s5_rc[0] == 0 && s5_rc[1] == MK_EDEADLK) || (s5_rc[0] == MK_EDEADLK && s5_rc[1] == 0),
          "one lock closes the cycle and fails with MK_EDEADLK, the other succeeds");
    mk_pid_t pids[4];
    mk_mutex_t ms[4];
    uint32_t n;
    TRY(mk_mutex_deadlock_report(k, pids, ms, 4, &n));
    printf("    cycle:");
    for (uint32_t i = 0; i < n && i < 4; i++)
        printf(" p%" PRIu32 " wants %s held by p%" PRIu32 ";", pids[i], ms[i] == a ? "A" : "B",
               pids[(i + 1) % n]);
    printf("\n");
    CHECK(n == 2, "the reported cycle has 2 processes");
    TRY(mk_mutex_close(k, 0, a));
    TRY(mk_mutex_close(k, 0, b));
    TRY(mk_destroy(k));
}

int main(void)
{
    scenario_basic();
    scenario_recursive();
    scenario_limits();
    scenario_release();
    scenario_deadlock();
    printf("%s: %d failed check(s)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
