/*
 * dispatch.c — the native mkd protocol: one request frame in, one answer
 * frame out, against the daemon's kernel through the public libmk API.
 *
 * Sits on libmk (public API) and client/proto.h; no sockets, no libuv, so
 * the fuzz target calls it directly. Runs on the loop thread only, except
 * mkd_job_run, which runs on a worker thread and touches nothing but the
 * kernel (thread-safe) and its job.
 *
 * Ownership rule: a process belongs to the session that created it. Only
 * the owner may receive for it, act for it on queues and files, or destroy
 * it (MK_EPERM otherwise); anyone may send to it. A wait never runs on the
 * loop: it is tried once without waiting and, when that would block and the
 * caller allowed a timeout, handed to a worker as a job. Jobs wait in short
 * slices (1/20 s) so that a client that vanishes, or a daemon shutting
 * down, frees its worker within a slice even from an MK_FOREVER wait.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mkd.h"

#define PATH_CAP 4096

int mkd_init(struct mkd *d, mk_t *k, const struct mkd_limits *lim, uint32_t tick_hz)
{
    memset(d, 0, sizeof *d);
    d->k = k;
    d->lim = *lim;
    d->tick_hz = tick_hz ? tick_hz : 1000;
    d->scratch = malloc(lim->max_frame);
    return d->scratch ? 0 : MK_ENOMEM;
}

void mkd_fini(struct mkd *d)
{
    free(d->scratch);
    free(d->objs);
    d->scratch = NULL;
    d->objs = NULL;
    d->nobjs = d->capobjs = 0;
}

void mkd_session_init(struct mkd *d, struct mkd_session *s)
{
    memset(s, 0, sizeof *s);
    s->d = d;
    atomic_init(&s->cancel, 0);
}

void mkd_session_fini(struct mkd_session *s)
{
    atomic_store(&s->cancel, 1);
    /* Destroying a process releases its mailbox, memory, subscriptions and
     * files and wakes whoever waits on them (proc hooks of each module). */
    for (uint32_t i = 0; i < s->npids; i++)
        mk_proc_destroy(s->d->k, s->pids[i]);
    free(s->pids);
    s->pids = NULL;
    s->npids = s->cappids = 0;
    struct mkd *d = s->d;
    for (size_t i = 0; i < d->nobjs; i++)
        if (d->objs[i].owner == s)
            d->objs[i].owner = NULL; /* named objects outlive their creator */
}

static int owns(const struct mkd_session *s, mk_pid_t pid)
{
    for (uint32_t i = 0; i < s->npids; i++)
        if (s->pids[i] == pid)
            return 1;
    return 0;
}

/* MK_EPERM when pid exists but is not ours; the kernel's own code
 * (MK_ENOENT …) when it does not exist at all. */
static int check_owner(struct mkd_session *s, mk_pid_t pid)
{
    if (owns(s, pid))
        return 0;
    int rc = mk_proc_exists(s->d->k, pid);
    return rc == 0 ? MK_EPERM : rc;
}

static void forget_pid(struct mkd_session *s, mk_pid_t pid)
{
    for (uint32_t i = 0; i < s->npids; i++)
        if (s->pids[i] == pid) {
            s->pids[i] = s->pids[--s->npids];
            return;
        }
}

static int obj_add(struct mkd_session *s, uint64_t h, uint8_t kind, uint64_t bytes)
{
    struct mkd *d = s->d;
    if (d->nobjs == d->capobjs) {
        size_t cap = d->capobjs ? d->capobjs * 2 : 16;
        struct mkd_obj *p = realloc(d->objs, cap * sizeof *p);
        if (!p)
            return MK_ENOMEM;
        d->objs = p;
        d->capobjs = cap;
    }
    d->objs[d->nobjs++] = (struct mkd_obj){h, s, bytes, kind};
    if (kind == 0) {
        s->nqueues++;
        s->qbytes += bytes;
    } else {
        s->nsems++;
    }
    return 0;
}

/* An object was deleted (by anyone): give its creator its allowance back. */
static void obj_del(struct mkd *d, uint64_t h, uint8_t kind)
{
    for (size_t i = 0; i < d->nobjs; i++) {
        struct mkd_obj *o = &d->objs[i];
        if (o->h != h || o->kind != kind)
            continue;
        if (o->owner) {
            if (kind == 0) {
                o->owner->nqueues--;
                o->owner->qbytes -= o->bytes;
            } else {
                o->owner->nsems--;
            }
        }
        *o = d->objs[--d->nobjs];
        return;
    }
}

/* Objects whose creator is gone are still bounded: at most max_clients
 * times the per-client allowance may exist at once. */
static int orphans_full(const struct mkd *d, uint8_t kind)
{
    size_t n = 0;
    for (size_t i = 0; i < d->nobjs; i++)
        if (d->objs[i].kind == kind)
            n++;
    return n >= (size_t)d->lim.max_clients * d->lim.max_queues;
}

void mkd_error_frame(struct mkd *d, struct mk__wbuf *out, uint16_t op, uint32_t seq, int rc)
{
    mk__wbuf_begin(out, d->lim.max_frame);
    mk__wbuf_end(out, op, seq, rc);
}

/* ---- jobs ------------------------------------------------------------------ */

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int job_try(struct mkd_job *j, uint64_t t)
{
    switch (j->op) {
    case MK__OP_MBOX_SEND:
        return mk_mbox_send(j->k, (mk_pid_t)j->h, j->tag, j->buf, j->len, t);
    case MK__OP_Q_SEND:
        return mk_queue_send(j->k, j->h, j->tag, j->buf, j->len, t);
    case MK__OP_MBOX_RECV:
        return mk_mbox_recv(j->k, j->pid, &j->tag, j->buf, j->cap, &j->len, t);
    case MK__OP_Q_RECV:
        return mk_queue_recv(j->k, j->h, j->pid, &j->tag, j->buf, j->cap, &j->len, t);
    case MK__OP_SEM_WAIT:
        return mk_sem_wait(j->k, j->h, t);
    default:
        return MK_ENOTSUP;
    }
}

void mkd_job_run(struct mkd_job *j)
{
    uint64_t hz = j->tick_hz;
    uint64_t slice = hz / 20 ? hz / 20 : 1;
    int forever = j->timeout == MK_FOREVER || j->timeout / hz > 100000000u;
    uint64_t deadline = forever ? 0 : now_ns() + j->timeout * (1000000000u / hz) +
                                          j->timeout * (1000000000u % hz) / hz;
    for (;;) {
        uint64_t t = slice;
        if (!forever) {
            uint64_t now = now_ns();
            uint64_t left = now >= deadline ? 0 : deadline - now;
            uint64_t ticks = (left * hz + 999999999u) / 1000000000u;
            if (ticks < t)
                t = ticks;
        }
        int rc = job_try(j, t);
        if (rc != MK_ETIMEDOUT && rc != MK_EAGAIN) {
            j->rc = rc;
            return;
        }
        if (atomic_load(j->cancel)) {
            j->rc = MK_EDESTROYED;
            return;
        }
        if (!forever && (t == 0 || now_ns() >= deadline)) {
            j->rc = MK_ETIMEDOUT;
            return;
        }
    }
}

static void answer_msg(struct mk__wbuf *out, uint32_t tag, const void *buf, size_t len)
{
    mk__wbuf_put_u32(out, tag);
    mk__wbuf_put_blob(out, buf, len);
}

/* Finish an answer: on failure the body is dropped, only the status goes. */
static void finish(struct mkd *d, struct mk__wbuf *out, const struct mk__hdr *h, int rc)
{
    if (rc == 0 && out->err)
        rc = out->err == MK_ENOMEM ? MK_ENOMEM : MK_EMSGSIZE;
    if (rc) {
        mkd_error_frame(d, out, h->op, h->seq, rc);
        return;
    }
    mk__wbuf_end(out, h->op, h->seq, 0);
}

void mkd_job_answer(struct mkd *d, struct mkd_job *j, struct mk__wbuf *out)
{
    struct mk__hdr h = {0, j->op, 0, j->seq, 0};
    mk__wbuf_begin(out, d->lim.max_frame);
    if (j->rc == 0 && (j->op == MK__OP_MBOX_RECV || j->op == MK__OP_Q_RECV))
        answer_msg(out, j->tag, j->buf, j->len);
    finish(d, out, &h, j->rc);
}

void mkd_job_undo(struct mkd_job *j)
{
    /* The client went away while its wait was succeeding: hand back what
     * it took so nobody else loses it (a unit, or a work-queue message,
     * which goes to the back of the queue). */
    if (j->rc != 0)
        return;
    if (j->op == MK__OP_SEM_WAIT)
        mk_sem_post(j->k, j->h);
    else if (j->op == MK__OP_Q_RECV)
        mk_queue_send(j->k, j->h, j->tag, j->buf, j->len, MK_NO_WAIT);
}

void mkd_job_free(struct mkd_job *j)
{
    if (j) {
        free(j->buf);
        free(j);
    }
}

static struct mkd_job *job_new(struct mkd_session *s, const struct mk__hdr *h, size_t bufsize)
{
    struct mkd_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->buf = malloc(bufsize ? bufsize : 1);
    if (!j->buf) {
        free(j);
        return NULL;
    }
    j->k = s->d->k;
    j->tick_hz = s->d->tick_hz;
    j->cancel = &s->cancel;
    j->op = h->op;
    j->seq = h->seq;
    return j;
}

/* ---- requests ---------------------------------------------------------------- */

static int do_hello(struct mkd_session *s, struct mk__rbuf *r, struct mk__wbuf *out)
{
    uint32_t magic = mk__rbuf_u32(r);
    uint32_t vmin = mk__rbuf_u32(r);
    uint32_t vmax = mk__rbuf_u32(r);
    if (mk__rbuf_done(r) || magic != MK__PROTO_MAGIC)
        return MK_EINVAL;
    if (vmin > MK_CLIENT_PROTO_VERSION || vmax < MK_CLIENT_PROTO_VERSION)
        return MK_ENOTSUP;
    s->hello = true;
    mk__wbuf_put_u32(out, MK_CLIENT_PROTO_VERSION);
    mk__wbuf_put_u32(out, s->d->lim.max_frame);
    mk__wbuf_put_u32(out, s->d->tick_hz);
    return 0;
}

static int do_proc(struct mkd_session *s, uint16_t op, struct mk__rbuf *r, struct mk__wbuf *out)
{
    mk_t *k = s->d->k;
    mk_pid_t pid = mk__rbuf_u32(r);
    if (mk__rbuf_done(r))
        return MK_EINVAL;
    if (op == MK__OP_PROC_EXISTS)
        return mk_proc_exists(k, pid);
    if (op == MK__OP_PROC_DESTROY) {
        int rc = check_owner(s, pid);
        if (rc == 0 && (rc = mk_proc_destroy(k, pid)) == 0)
            forget_pid(s, pid);
        return rc;
    }
    if (s->npids >= s->d->lim.max_procs)
        return MK_ENOSPC;
    if (s->npids == s->cappids) {
        uint32_t cap = s->cappids ? s->cappids * 2 : 8;
        mk_pid_t *p = realloc(s->pids, cap * sizeof *p);
        if (!p)
            return MK_ENOMEM;
        s->pids = p;
        s->cappids = cap;
    }
    mk_pid_t got;
    int rc = mk_proc_create(k, pid, &got);
    if (rc)
        return rc;
    s->pids[s->npids++] = got;
    mk__wbuf_put_u32(out, got);
    return 0;
}

/* MBOX_SEND / Q_SEND: u64 dst, u32 tag, u64 timeout, blob. */
static int do_send(struct mkd_session *s, const struct mk__hdr *h, struct mk__rbuf *r,
                   struct mkd_job **job)
{
    mk_t *k = s->d->k;
    uint64_t dst = mk__rbuf_u64(r);
    uint32_t tag = mk__rbuf_u32(r);
    uint64_t timeout = mk__rbuf_u64(r);
    size_t len;
    const uint8_t *data = mk__rbuf_blob(r, &len);
    if (mk__rbuf_done(r))
        return MK_EINVAL;
    int rc;
    if (h->op == MK__OP_MBOX_SEND) {
        if (dst > MK_PID_MAX)
            return MK_ENOENT;
        rc = mk_mbox_send(k, (mk_pid_t)dst, tag, data, len, MK_NO_WAIT);
    } else {
        rc = mk_queue_send(k, dst, tag, data, len, MK_NO_WAIT);
    }
    if (rc != MK_EAGAIN || timeout == MK_NO_WAIT || s->d->no_block)
        return rc;
    struct mkd_job *j = job_new(s, h, len);
    if (!j)
        return MK_ENOMEM;
    j->h = dst;
    j->tag = tag;
    j->timeout = timeout;
    if (len)
        memcpy(j->buf, data, len);
    j->len = len;
    *job = j;
    return 1;
}

/* MBOX_RECV / Q_RECV: u64 queue, u32 pid, u32 cap, u64 timeout. */
static int do_recv(struct mkd_session *s, const struct mk__hdr *h, struct mk__rbuf *r,
                   struct mk__wbuf *out, struct mkd_job **job)
{
    struct mkd *d = s->d;
    uint64_t q = mk__rbuf_u64(r);
    mk_pid_t pid = mk__rbuf_u32(r);
    uint32_t cap = mk__rbuf_u32(r);
    uint64_t timeout = mk__rbuf_u64(r);
    if (mk__rbuf_done(r))
        return MK_EINVAL;
    int rc = check_owner(s, pid);
    if (rc)
        return rc;
    if (cap > d->lim.max_frame - 64)
        cap = d->lim.max_frame - 64;
    uint32_t tag;
    size_t len;
    if (h->op == MK__OP_MBOX_RECV)
        rc = mk_mbox_recv(d->k, pid, &tag, d->scratch, cap, &len, MK_NO_WAIT);
    else
        rc = mk_queue_recv(d->k, q, pid, &tag, d->scratch, cap, &len, MK_NO_WAIT);
    if (rc == 0) {
        answer_msg(out, tag, d->scratch, len);
        return 0;
    }
    if (rc != MK_EAGAIN || timeout == MK_NO_WAIT || d->no_block)
        return rc;
    struct mkd_job *j = job_new(s, h, cap);
    if (!j)
        return MK_ENOMEM;
    j->h = q;
    j->pid = pid;
    j->cap = cap;
    j->timeout = timeout;
    *job = j;
    return 1;
}

static int do_queue(struct mkd_session *s, uint16_t op, struct mk__rbuf *r, struct mk__wbuf *out)
{
    struct mkd *d = s->d;
    char name[MK_NAME_MAX + 1];
    mk_queue_t q;
    int rc;
    if (op == MK__OP_Q_CREATE || op == MK__OP_Q_OPEN) {
        mk__rbuf_str(r, name, sizeof name);
        mk_queue_attr_t a;
        mk_queue_attr_init(&a);
        if (op == MK__OP_Q_CREATE) {
            a.mode = mk__rbuf_u32(r);
            a.capacity = mk__rbuf_u32(r);
            a.msg_max = mk__rbuf_u32(r);
        }
        if ((rc = mk__rbuf_done(r)))
            return rc;
        if (op == MK__OP_Q_OPEN) {
            rc = mk_queue_open(d->k, name, &q);
        } else {
            uint64_t bytes = (uint64_t)(a.capacity ? a.capacity : MK_MBOX_CAPACITY_DEFAULT) *
                             (a.msg_max ? a.msg_max : MK_MSG_MAX_DEFAULT);
            if (s->nqueues >= d->lim.max_queues || orphans_full(d, 0))
                return MK_ENOSPC;
            if (bytes > d->lim.max_mem || s->qbytes + bytes > d->lim.max_mem)
                return MK_EQUOTA;
            rc = mk_queue_create(d->k, name, &a, &q);
            if (rc == 0 && obj_add(s, q, 0, bytes)) {
                mk_queue_delete(d->k, q);
                return MK_ENOMEM;
            }
        }
        if (rc == 0)
            mk__wbuf_put_u64(out, q);
        return rc;
    }
    q = mk__rbuf_u64(r);
    mk_pid_t pid = 0;
    if (op != MK__OP_Q_DELETE)
        pid = mk__rbuf_u32(r);
    if ((rc = mk__rbuf_done(r)))
        return rc;
    switch (op) {
    case MK__OP_Q_DELETE:
        rc = mk_queue_delete(d->k, q);
        if (rc == 0)
            obj_del(d, q, 0);
        return rc;
    case MK__OP_Q_SUB:
        return (rc = check_owner(s, pid)) ? rc : mk_queue_subscribe(d->k, q, pid);
    case MK__OP_Q_UNSUB:
        return (rc = check_owner(s, pid)) ? rc : mk_queue_unsubscribe(d->k, q, pid);
    default: {
        uint32_t n;
        rc = mk_queue_count(d->k, q, pid, &n);
        if (rc == 0)
            mk__wbuf_put_u32(out, n);
        return rc;
    }
    }
}

static int do_sem(struct mkd_session *s, const struct mk__hdr *h, struct mk__rbuf *r,
                  struct mk__wbuf *out, struct mkd_job **job)
{
    struct mkd *d = s->d;
    int rc;
    mk_sem_t sem;
    if (h->op == MK__OP_SEM_CREATE || h->op == MK__OP_SEM_OPEN) {
        char name[MK_NAME_MAX + 1];
        mk__rbuf_str(r, name, sizeof name);
        uint32_t initial = 0, max = 0;
        if (h->op == MK__OP_SEM_CREATE) {
            initial = mk__rbuf_u32(r);
            max = mk__rbuf_u32(r);
        }
        if ((rc = mk__rbuf_done(r)))
            return rc;
        if (h->op == MK__OP_SEM_OPEN) {
            rc = mk_sem_open(d->k, name, &sem);
        } else {
            if (s->nsems >= d->lim.max_queues || orphans_full(d, 1))
                return MK_ENOSPC;
            rc = mk_sem_create(d->k, name, initial, max, &sem);
            if (rc == 0 && obj_add(s, sem, 1, 0)) {
                mk_sem_delete(d->k, sem);
                return MK_ENOMEM;
            }
        }
        if (rc == 0)
            mk__wbuf_put_u64(out, sem);
        return rc;
    }
    sem = mk__rbuf_u64(r);
    uint64_t timeout = 0;
    if (h->op == MK__OP_SEM_WAIT)
        timeout = mk__rbuf_u64(r);
    if ((rc = mk__rbuf_done(r)))
        return rc;
    switch (h->op) {
    case MK__OP_SEM_WAIT: {
        rc = mk_sem_trywait(d->k, sem);
        if (rc != MK_EAGAIN || timeout == MK_NO_WAIT || d->no_block)
            return rc;
        struct mkd_job *j = job_new(s, h, 0);
        if (!j)
            return MK_ENOMEM;
        j->h = sem;
        j->timeout = timeout;
        *job = j;
        return 1;
    }
    case MK__OP_SEM_POST:
        return mk_sem_post(d->k, sem);
    case MK__OP_SEM_DELETE:
        rc = mk_sem_delete(d->k, sem);
        if (rc == 0)
            obj_del(d, sem, 1);
        return rc;
    default: {
        uint32_t v;
        rc = mk_sem_value(d->k, sem, &v);
        if (rc == 0)
            mk__wbuf_put_u32(out, v);
        return rc;
    }
    }
}

static int do_vfs(struct mkd_session *s, uint16_t op, struct mk__rbuf *r, struct mk__wbuf *out)
{
    struct mkd *d = s->d;
    mk_t *k = d->k;
    int rc;
    if (op == MK__OP_VFS_UNLINK || op == MK__OP_VFS_MKDIR || op == MK__OP_VFS_STAT) {
        char *path = malloc(PATH_CAP);
        if (!path)
            return MK_ENOMEM;
        mk__rbuf_str(r, path, PATH_CAP);
        rc = mk__rbuf_done(r);
        if (rc == MK_ENAMETOOLONG || rc == 0) {
            if (rc == 0 && op == MK__OP_VFS_UNLINK)
                rc = mk_vfs_unlink(k, path);
            else if (rc == 0 && op == MK__OP_VFS_MKDIR)
                rc = mk_vfs_mkdir(k, path);
            else if (rc == 0) {
                mk_stat_t st;
                memset(&st, 0, sizeof st);
                st.size = sizeof st;
                rc = mk_vfs_stat(k, path, &st);
                if (rc == 0) {
                    mk__wbuf_put_u32(out, st.type);
                    mk__wbuf_put_u64(out, st.ino);
                    mk__wbuf_put_u64(out, st.bytes);
                    mk__wbuf_put_u64(out, st.blocks);
                    mk__wbuf_put_u64(out, st.nlink);
                    mk__wbuf_put_u64(out, st.ctime);
                    mk__wbuf_put_u64(out, st.mtime);
                }
            }
        }
        free(path);
        return rc;
    }
    mk_pid_t pid = mk__rbuf_u32(r);
    if (op == MK__OP_VFS_OPEN) {
        uint32_t flags = mk__rbuf_u32(r);
        char *path = malloc(PATH_CAP);
        if (!path)
            return MK_ENOMEM;
        mk__rbuf_str(r, path, PATH_CAP);
        rc = mk__rbuf_done(r);
        mk_fd_t fd;
        if (rc == 0)
            rc = check_owner(s, pid);
        if (rc == 0)
            rc = mk_vfs_open(k, pid, path, flags, &fd);
        if (rc == 0)
            mk__wbuf_put_u64(out, fd);
        free(path);
        return rc;
    }
    mk_fd_t fd = mk__rbuf_u64(r);
    switch (op) {
    case MK__OP_VFS_CLOSE:
        if ((rc = mk__rbuf_done(r)) || (rc = check_owner(s, pid)))
            return rc;
        return mk_vfs_close(k, pid, fd);
    case MK__OP_VFS_READ:
    case MK__OP_VFS_PREAD: {
        uint32_t len = mk__rbuf_u32(r);
        uint64_t off = mk__rbuf_u64(r);
        if ((rc = mk__rbuf_done(r)) || (rc = check_owner(s, pid)))
            return rc;
        if (len > d->lim.max_frame - 64)
            return MK_EMSGSIZE;
        size_t n;
        if (op == MK__OP_VFS_READ)
            rc = mk_vfs_read(k, pid, fd, d->scratch, len, &n);
        else
            rc = mk_vfs_pread(k, pid, fd, d->scratch, len, off, &n);
        if (rc == 0)
            mk__wbuf_put_blob(out, d->scratch, n);
        return rc;
    }
    case MK__OP_VFS_WRITE:
    case MK__OP_VFS_PWRITE: {
        uint64_t off = mk__rbuf_u64(r);
        size_t len;
        const uint8_t *data = mk__rbuf_blob(r, &len);
        if ((rc = mk__rbuf_done(r)) || (rc = check_owner(s, pid)))
            return rc;
        size_t n;
        if (op == MK__OP_VFS_WRITE)
            rc = mk_vfs_write(k, pid, fd, data, len, &n);
        else
            rc = mk_vfs_pwrite(k, pid, fd, data, len, off, &n);
        if (rc == 0)
            mk__wbuf_put_u64(out, n);
        return rc;
    }
    default: { /* SEEK */
        int64_t off = (int64_t)mk__rbuf_u64(r);
        uint32_t whence = mk__rbuf_u32(r);
        if ((rc = mk__rbuf_done(r)) || (rc = check_owner(s, pid)))
            return rc;
        uint64_t pos;
        rc = mk_vfs_seek(k, pid, fd, off, whence, &pos);
        if (rc == 0)
            mk__wbuf_put_u64(out, pos);
        return rc;
    }
    }
}

enum mkd_result mkd_dispatch(struct mkd_session *s, const struct mk__hdr *h,
                             const uint8_t *body, struct mk__wbuf *out, struct mkd_job **job)
{
    struct mkd *d = s->d;
    struct mk__rbuf r;
    mk__rbuf_init(&r, body, h->len);
    *job = NULL;
    if (mk__wbuf_begin(out, d->lim.max_frame))
        return MKD_CLOSE;
    int rc;
    if (!s->hello) {
        /* The handshake comes first; anything else ends the connection. */
        rc = h->op == MK__OP_HELLO ? do_hello(s, &r, out) : MK_EPERM;
        finish(d, out, h, rc);
        return rc ? MKD_CLOSE : MKD_ANSWER;
    }
    switch (h->op) {
    case MK__OP_HELLO:
        rc = MK_EINVAL; /* only once */
        break;
    case MK__OP_PING: {
        size_t n;
        const uint8_t *p = mk__rbuf_blob(&r, &n);
        rc = mk__rbuf_done(&r);
        if (rc == 0)
            mk__wbuf_put_blob(out, p, n);
        break;
    }
    case MK__OP_PROC_CREATE:
    case MK__OP_PROC_DESTROY:
    case MK__OP_PROC_EXISTS:
        rc = do_proc(s, h->op, &r, out);
        break;
    case MK__OP_MBOX_SEND:
    case MK__OP_Q_SEND:
        rc = do_send(s, h, &r, job);
        break;
    case MK__OP_MBOX_RECV:
    case MK__OP_Q_RECV:
        rc = do_recv(s, h, &r, out, job);
        break;
    case MK__OP_MBOX_COUNT: {
        mk_pid_t pid = mk__rbuf_u32(&r);
        uint32_t n;
        rc = mk__rbuf_done(&r);
        if (rc == 0)
            rc = mk_mbox_count(d->k, pid, &n);
        if (rc == 0)
            mk__wbuf_put_u32(out, n);
        break;
    }
    case MK__OP_Q_CREATE:
    case MK__OP_Q_OPEN:
    case MK__OP_Q_DELETE:
    case MK__OP_Q_SUB:
    case MK__OP_Q_UNSUB:
    case MK__OP_Q_COUNT:
        rc = do_queue(s, h->op, &r, out);
        break;
    case MK__OP_SEM_CREATE:
    case MK__OP_SEM_OPEN:
    case MK__OP_SEM_WAIT:
    case MK__OP_SEM_POST:
    case MK__OP_SEM_VALUE:
    case MK__OP_SEM_DELETE:
        rc = do_sem(s, h, &r, out, job);
        break;
    case MK__OP_VFS_OPEN:
    case MK__OP_VFS_CLOSE:
    case MK__OP_VFS_READ:
    case MK__OP_VFS_WRITE:
    case MK__OP_VFS_PREAD:
    case MK__OP_VFS_PWRITE:
    case MK__OP_VFS_SEEK:
    case MK__OP_VFS_UNLINK:
    case MK__OP_VFS_MKDIR:
    case MK__OP_VFS_STAT:
        rc = do_vfs(s, h->op, &r, out);
        break;
    default:
        rc = MK_ENOTSUP;
        break;
    }
    if (rc == 1)
        return MKD_DEFER;
    finish(d, out, h, rc);
    return MKD_ANSWER;
}
