/*
 * minikernel-getpid.c - the mini-kernel's first exercise: a process asks
 * for its own id (getpid). In libmk that is mk_self(): the pid of the body
 * running on the simulated CPU, 0 (the kernel) from host code.
 *
 * Three processes get assigned pids; each asks for its own pid, spawns a
 * child that asks too, and waits for it. The host checks every answer
 * against the pid mk_proc_spawn() returned. Exit status 0 when all match.
 */
#include <microkernel/mk.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define TRY(call)                                                                        \
    do {                                                                                 \
        int rc_ = (call);                                                                \
        if (rc_ != 0) {                                                                  \
            fprintf(stderr, "minikernel-getpid: %s: %s\n", #call, mk_err_name(rc_));    \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

#define NPROC 3

struct slot {
    mk_pid_t said;       /* what mk_self() answered in the body */
    mk_pid_t child;      /* the child's pid, from mk_proc_spawn() */
    mk_pid_t child_said; /* what mk_self() answered in the child */
    int32_t child_status;
};

static int child_body(mk_t *k, void *arg)
{
    struct slot *s = arg;
    s->child_said = mk_self(k);
    return (int)s->child_said; /* the exit status carries the pid too */
}

static int parent_body(mk_t *k, void *arg)
{
    struct slot *s = arg;
    s->said = mk_self(k);
    printf("  process %" PRIu32 ": getpid() = %" PRIu32 "\n", s->said, s->said);
    TRY(mk_proc_spawn(k, 0, NULL, child_body, s, &s->child));
    TRY(mk_wait(k, s->child, MK_FOREVER, &s->child_status));
    printf("  process %" PRIu32 ": its child %" PRIu32 " said getpid() = %" PRIu32
           " and exited with %" PRId32 "\n",
           s->said, s->child, s->child_said, s->child_status);
    return 0;
}

int main(void)
{
    mk_t *k;
    TRY(mk_create(NULL, &k));
    struct slot slot[NPROC] = {{0}};
    mk_pid_t pid[NPROC];
    for (int i = 0; i < NPROC; i++)
        TRY(mk_proc_spawn(k, 0, NULL, parent_body, &slot[i], &pid[i]));
    printf("host: getpid() = %" PRIu32 " (the kernel)\n", mk_self(k));
    printf("spawned pids %" PRIu32 ", %" PRIu32 ", %" PRIu32 "; running:\n", pid[0], pid[1],
           pid[2]);
    uint32_t reason;
    TRY(mk_run(k, MK_FOREVER, &reason));
    int ok = reason == MK_RUN_DONE && mk_self(k) == MK_PID_KERNEL;
    for (int i = 0; i < NPROC; i++) {
        int32_t st;
        TRY(mk_wait(k, pid[i], MK_NO_WAIT, &st));
        ok = ok && st == 0 && slot[i].said == pid[i] && slot[i].child_said == slot[i].child &&
             slot[i].child_status == (int32_t)slot[i].child && slot[i].child != pid[i];
    }
    uint32_t left;
    TRY(mk_proc_count(k, &left));
    ok = ok && left == 0;
    TRY(mk_destroy(k));
    printf("%s: every process got its own pid\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
