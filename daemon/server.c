/*
 * server.c — mkd's event loop side: the two listening Unix sockets
 * (native frames and microipc text), one connection object per client,
 * framing, fairness, limits and the worker pool for blocking requests.
 *
 * Sits on libuv and on dispatch.c / mipc.c (which know nothing of sockets).
 * Everything here runs on the loop thread; workers run mkd_job_run only.
 *
 * Fairness and back-pressure (why idle or slow clients cannot stall others):
 *   - the loop never blocks: waits go to libuv's thread pool (sized so each
 *     client can have its one wait in flight), answers are written with
 *     uv_try_write and queued only when the socket is full;
 *   - a client gets at most BUDGET requests per turn; if more are buffered
 *     it goes to the back of a ready list served by an idle handle, and its
 *     socket is not read meanwhile;
 *   - a client whose unsent answers or buffered input exceed its memory
 *     limit is not read until that clears: its own requests pile up in its
 *     own socket buffer, nobody else's (a client with a wait in flight is
 *     still read, into its buffer, so that a hang-up cancels the wait);
 *   - a frame longer than the limit closes the connection (after an
 *     MK_EMSGSIZE answer); --idle-timeout closes silent connections.
 * Connection life cycle: refs = 1 (handle) + 1 per job in flight; the
 * struct is freed when both the close callback and the last job are done.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

#define BUDGET 16
#define READ_CHUNK 65536

int mkd_log_level = MKD_LOG_INFO;
int mkd_log_syslog = 0;

void mkd_log(int level, const char *fmt, ...)
{
    if (level > mkd_log_level)
        return;
    static const char *names[] = {"error", "warn", "info", "debug"};
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (mkd_log_syslog) {
        static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
        syslog(prio[level], "%s", msg);
    } else {
        fprintf(stderr, "mkd: %s: %s\n", names[level], msg);
    }
}

struct conn {
    uv_pipe_t pipe;
    uv_timer_t flush; /* microipc: a command without newline, after a pause;
                         native: the timeout of a parked mailbox receive */
    struct mkd_server *sv;
    int mipc; /* 1: text protocol */
    struct mkd_session s;
    uint8_t *in;
    size_t in_off, in_len, in_cap;
    size_t out_pending;
    int refs;
    int busy, closing, reading, ready, flush_now;
    uint64_t last_active;
    uid_t uid;
    pid_t ospid;
    struct conn *prev, *next;   /* all connections */
    struct conn *rnext;         /* ready list */
    struct mkd_job *parked;     /* mailbox receive waiting on the loop */
    struct conn *pnext;         /* parked list */
};

struct job_req {
    uv_work_t work;
    struct conn *c;
    struct mkd_job *job;
};

struct write_req {
    uv_write_t req;
    struct conn *c;
    size_t len;
    char data[];
};

struct mkd_server {
    uv_loop_t *loop;
    struct mkd *d;
    struct mipc_state *m;
    struct mkd_server_opts o;
    uv_pipe_t native, text;
    int have_native, have_text;
    uv_idle_t idle;
    uv_timer_t sweep;
    struct conn *all;
    struct conn *rhead, *rtail;
    struct conn *parked; /* connections with a parked mailbox receive */
    uint32_t nconns;
    uint64_t served, refused;
    int stopping;
    struct mk__wbuf out; /* loop-thread scratch for answers */
};

static void process(struct conn *c);
static void conn_close(struct conn *c, const char *why);
static void on_idle(uv_idle_t *h);
static void on_flush(uv_timer_t *t);
static void sent_to(struct mkd_server *sv, uint64_t pid);

static uint64_t now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec;
}

static void conn_unref(struct conn *c)
{
    if (--c->refs)
        return;
    free(c->in);
    free(c);
}

/* ---- output ------------------------------------------------------------------ */

static void on_write(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct conn *c = w->c;
    c->out_pending -= w->len;
    free(w);
    if (status < 0 && !c->closing)
        conn_close(c, "write failed");
    else if (!c->closing)
        process(c); /* may have been throttled on output */
    conn_unref(c);
}

static void conn_send(struct conn *c, const void *data, size_t len)
{
    if (c->closing || len == 0)
        return;
    size_t done = 0;
    if (c->out_pending == 0) {
        uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
        int n = uv_try_write((uv_stream_t *)&c->pipe, &b, 1);
        if (n > 0)
            done = (size_t)n;
        else if (n < 0 && n != UV_EAGAIN) {
            conn_close(c, "write failed");
            return;
        }
    }
    if (done == len)
        return;
    size_t rest = len - done;
    struct write_req *w = malloc(sizeof *w + rest);
    if (!w) {
        conn_close(c, "out of memory");
        return;
    }
    memcpy(w->data, (const char *)data + done, rest);
    w->c = c;
    w->len = rest;
    uv_buf_t b = uv_buf_init(w->data, (unsigned)rest);
    c->refs++;
    c->out_pending += rest;
    if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_write) < 0) {
        c->out_pending -= rest;
        c->refs--;
        free(w);
        conn_close(c, "write failed");
    }
}

/* ---- input ------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct conn *c = h->data;
    if (c->in_off && c->in_off == c->in_len)
        c->in_off = c->in_len = 0;
    if (c->in_cap - c->in_len < READ_CHUNK / 4 && c->in_off) {
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
    if (c->in_cap - c->in_len < READ_CHUNK / 4) {
        size_t cap = c->in_cap ? c->in_cap * 2 : READ_CHUNK;
        uint8_t *p = realloc(c->in, cap);
        if (p) {
            c->in = p;
            c->in_cap = cap;
        }
    }
    *buf = uv_buf_init((char *)c->in + c->in_len, (unsigned)(c->in_cap - c->in_len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct conn *c = st->data;
    if (n < 0) {
        conn_close(c, n == UV_EOF ? "disconnected" : uv_strerror((int)n));
        return;
    }
    c->in_len += (size_t)n;
    c->last_active = now_s();
    process(c);
}

static void start_reading(struct conn *c, int on)
{
    if (c->closing || c->reading == on)
        return;
    c->reading = on;
    if (on)
        uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
    else
        uv_read_stop((uv_stream_t *)&c->pipe);
}

static void ready_push(struct conn *c)
{
    struct mkd_server *sv = c->sv;
    if (c->ready)
        return;
    c->ready = 1;
    c->refs++;
    c->rnext = NULL;
    if (sv->rtail)
        sv->rtail->rnext = c;
    else
        sv->rhead = c;
    sv->rtail = c;
    if (!uv_is_active((uv_handle_t *)&sv->idle))
        uv_idle_start(&sv->idle, on_idle);
}

/* ---- jobs -------------------------------------------------------------------- */

static void work_cb(uv_work_t *w)
{
    mkd_job_run(((struct job_req *)w)->job);
}

static void after_work_cb(uv_work_t *w, int status)
{
    struct job_req *jr = (struct job_req *)w;
    struct conn *c = jr->c;
    if (jr->job->op == MK__OP_MBOX_SEND && jr->job->rc == 0)
        sent_to(c->sv, jr->job->h);
    if (!c->closing) {
        struct mkd_server *sv = c->sv;
        mkd_job_answer(sv->d, jr->job, &sv->out);
        conn_send(c, sv->out.p, sv->out.len);
        c->busy = 0;
        process(c);
    } else {
        mkd_job_undo(jr->job);
    }
    mkd_job_free(jr->job);
    free(jr);
    conn_unref(c);
}

/* ---- one connection's turn ----------------------------------------------------- */

static int text_turn(struct conn *c, int *budget)
{
    struct mkd_server *sv = c->sv;
    char answer[512];
    while (*budget > 0 && c->in_off < c->in_len) {
        char *p = (char *)c->in + c->in_off;
        size_t avail = c->in_len - c->in_off;
        char *nl = memchr(p, '\n', avail);
        size_t len;
        if (nl) {
            len = (size_t)(nl - p);
            c->in_off += len + 1;
        } else {
            /* The original read one command per recv with no terminator:
             * accept a complete-looking command without a newline too. */
            size_t e = avail;
            while (e && (p[e - 1] == ' ' || p[e - 1] == '\r' || p[e - 1] == '\0'))
                e--;
            if (avail > MIPC_LINE_MAX) {
                c->in_off = c->in_len;
                const char *msg = "error: malformed request: line too long\n";
                conn_send(c, msg, strlen(msg));
                continue;
            }
            if (e == 0 || (p[e - 1] != '}' && !c->flush_now)) {
                /* Maybe more is coming; if not, the pause timer runs it
                 * as one command, as the original's one recv did. */
                uv_timer_start(&c->flush, on_flush, 100, 0);
                return 0;
            }
            c->flush_now = 0;
            len = avail;
            c->in_off += avail;
        }
        (*budget)--;
        size_t n;
        if (len > MIPC_LINE_MAX)
            n = (size_t)snprintf(answer, sizeof answer,
                                 "error: malformed request: line too long\n");
        else
            n = mipc_exec(sv->m, p, len, answer, sizeof answer);
        mkd_log(MKD_LOG_DEBUG, "mipc: %.*s", (int)(n - 1), answer);
        conn_send(c, answer, n);
        if (c->closing)
            return 0;
    }
    return c->in_off < c->in_len && memchr(c->in + c->in_off, '\n', c->in_len - c->in_off);
}

/* ---- parked mailbox receives ------------------------------------------------
 * A blocking mailbox receive does not need a worker: every message to a
 * client's process arrives through this loop (a native send, or a worker's
 * blocking send, which reports back here), so the receive is parked on its
 * connection and completed right after the send that fills the mailbox —
 * no thread hand-off on the hot path of cross-process messaging. Timeouts
 * use the connection's timer. Other waits (semaphores, queues, full
 * mailboxes) still go to the worker pool. */

static void unpark(struct conn *c)
{
    struct conn **pp = &c->sv->parked;
    while (*pp && *pp != c)
        pp = &(*pp)->pnext;
    if (*pp)
        *pp = c->pnext;
    c->pnext = NULL;
    uv_timer_stop(&c->flush);
}

static void complete_parked(struct conn *c, int rc)
{
    struct mkd_server *sv = c->sv;
    struct mkd_job *j = c->parked;
    unpark(c);
    c->parked = NULL;
    j->rc = rc;
    mkd_job_answer(sv->d, j, &sv->out);
    conn_send(c, sv->out.p, sv->out.len);
    mkd_job_free(j);
    c->busy = 0;
    process(c);
}

static int try_parked(struct conn *c)
{
    struct mkd_job *j = c->parked;
    return mk_mbox_recv(j->k, j->pid, &j->tag, j->buf, j->cap, &j->len, MK_NO_WAIT);
}

static void wake_parked(struct mkd_server *sv, mk_pid_t pid)
{
    for (struct conn *c = sv->parked; c; c = c->pnext)
        if (c->parked->pid == pid) {
            int rc = try_parked(c);
            if (rc != MK_EAGAIN)
                complete_parked(c, rc);
            return; /* a pid has one owner, which has one wait at a time */
        }
}

static void on_wait_timeout(uv_timer_t *t)
{
    struct conn *c = t->data;
    if (!c->parked)
        return;
    int rc = try_parked(c);
    complete_parked(c, rc == MK_EAGAIN ? MK_ETIMEDOUT : rc);
}

static void park(struct conn *c, struct mkd_job *j)
{
    struct mkd_server *sv = c->sv;
    c->parked = j;
    c->busy = 1;
    c->pnext = sv->parked;
    sv->parked = c;
    if (j->timeout != MK_FOREVER) {
        uint64_t hz = j->tick_hz;
        uint64_t ms = j->timeout / hz > 1000000000u ? UINT64_MAX / 2
                                                    : (j->timeout * 1000 + hz - 1) / hz;
        uv_timer_start(&c->flush, on_wait_timeout, ms, 0);
    }
}

/* A successful send to a pid, inline or from a worker: wake its receiver. */
static void sent_to(struct mkd_server *sv, uint64_t pid)
{
    if (sv->parked && pid <= MK_PID_MAX)
        wake_parked(sv, (mk_pid_t)pid);
}

/* Returns 1 when another complete frame is already buffered. */
static int native_turn(struct conn *c, int *budget)
{
    struct mkd_server *sv = c->sv;
    struct mkd *d = sv->d;
    while (*budget > 0 && !c->busy && !c->closing) {
        size_t avail = c->in_len - c->in_off;
        if (avail < MK__PROTO_HDR)
            return 0;
        struct mk__hdr h;
        mk__hdr_get(c->in + c->in_off, &h);
        if (h.len > d->lim.max_frame - MK__PROTO_HDR) {
            mkd_error_frame(d, &sv->out, h.op, h.seq, MK_EMSGSIZE);
            conn_send(c, sv->out.p, sv->out.len);
            conn_close(c, "frame over the size limit");
            return 0;
        }
        if (avail < MK__PROTO_HDR + h.len)
            return 0;
        const uint8_t *body = c->in + c->in_off + MK__PROTO_HDR;
        c->in_off += MK__PROTO_HDR + h.len;
        (*budget)--;
        struct mkd_job *job;
        enum mkd_result r = mkd_dispatch(&c->s, &h, body, &sv->out, &job);
        sv->served++;
        if (r == MKD_DEFER && job->op == MK__OP_MBOX_RECV) {
            park(c, job);
            return 0;
        }
        if (r == MKD_DEFER) {
            struct job_req *jr = calloc(1, sizeof *jr);
            if (!jr) {
                mkd_job_free(job);
                mkd_error_frame(d, &sv->out, h.op, h.seq, MK_ENOMEM);
                conn_send(c, sv->out.p, sv->out.len);
                continue;
            }
            jr->c = c;
            jr->job = job;
            c->busy = 1;
            c->refs++;
            uv_queue_work(sv->loop, &jr->work, work_cb, after_work_cb);
            return 0;
        }
        conn_send(c, sv->out.p, sv->out.len);
        if (r == MKD_CLOSE) {
            conn_close(c, "handshake refused");
        } else if (h.op == MK__OP_MBOX_SEND && sv->out.len >= MK__PROTO_HDR &&
                   sv->out.p[12] == 0 && sv->out.p[13] == 0 && sv->out.p[14] == 0 &&
                   sv->out.p[15] == 0 && h.len >= 8) {
            struct mk__rbuf rb;
            mk__rbuf_init(&rb, body, h.len);
            sent_to(sv, mk__rbuf_u64(&rb)); /* status 0: delivered */
        }
    }
    if (c->busy || c->closing)
        return 0;
    size_t avail = c->in_len - c->in_off;
    if (avail < MK__PROTO_HDR)
        return 0;
    struct mk__hdr h;
    mk__hdr_get(c->in + c->in_off, &h);
    return avail >= MK__PROTO_HDR + h.len;
}

static void process(struct conn *c)
{
    if (c->closing || c->ready)
        return;
    struct mkd *d = c->sv->d;
    if (c->out_pending > d->lim.max_mem) {
        start_reading(c, 0); /* slow reader: resume from on_write */
        return;
    }
    int budget = BUDGET;
    int more = c->mipc ? text_turn(c, &budget) : native_turn(c, &budget);
    if (c->closing)
        return;
    if (more) {
        start_reading(c, 0);
        ready_push(c);
        return;
    }
    size_t buffered = c->in_len - c->in_off;
    /* A partial frame may need room up to the frame limit; anything beyond
     * the client's memory allowance means it is flooding us. */
    int full = buffered > d->lim.max_mem && buffered > d->lim.max_frame;
    /* Keep reading while a wait is in flight (requests just buffer): that
     * is how a client that hangs up or dies mid-wait is noticed at once
     * and its wait cancelled. */
    start_reading(c, !full && c->out_pending <= d->lim.max_mem);
}

static void on_idle(uv_idle_t *h)
{
    struct mkd_server *sv = h->data;
    struct conn *c = sv->rhead;
    sv->rhead = sv->rtail = NULL;
    /* One turn each, in arrival order; those with more go to the back. */
    while (c) {
        struct conn *next = c->rnext;
        c->ready = 0;
        process(c);
        conn_unref(c);
        c = next;
    }
    if (!sv->rhead)
        uv_idle_stop(h);
}

/* ---- connections ---------------------------------------------------------------- */

static void on_flush(uv_timer_t *t)
{
    struct conn *c = t->data;
    if (c->closing || c->in_off == c->in_len)
        return;
    c->flush_now = 1;
    process(c);
    c->flush_now = 0;
}

static void on_close(uv_handle_t *h)
{
    conn_unref(h->data);
}

static void conn_close(struct conn *c, const char *why)
{
    if (c->closing)
        return;
    struct mkd_server *sv = c->sv;
    mkd_log(MKD_LOG_INFO, "client pid %d (%s) closed: %s", (int)c->ospid,
            c->mipc ? "microipc" : "native", why);
    c->closing = 1;
    if (!c->mipc)
        mkd_session_fini(&c->s); /* sets cancel; destroys its processes */
    if (c->prev)
        c->prev->next = c->next;
    else
        sv->all = c->next;
    if (c->next)
        c->next->prev = c->prev;
    sv->nconns--;
    if (c->parked) { /* nothing was taken: just drop the wait */
        unpark(c);
        mkd_job_free(c->parked);
        c->parked = NULL;
    }
    uv_close((uv_handle_t *)&c->flush, on_close);
    uv_close((uv_handle_t *)&c->pipe, on_close);
}

static void refuse(int fd, int mipc, int rc, const char *why)
{
    if (mipc) {
        char line[160];
        int n = snprintf(line, sizeof line, "error: %s\n", why);
        (void)!write(fd, line, (size_t)n);
    } else {
        uint8_t f[MK__PROTO_HDR];
        struct mk__hdr h = {0, MK__OP_HELLO, 0, 0, rc};
        mk__hdr_put(f, &h);
        (void)!write(fd, f, sizeof f);
    }
}

static void on_connection(uv_stream_t *server, int status, int mipc)
{
    struct mkd_server *sv = server->data;
    if (status < 0)
        return;
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->sv = sv;
    c->mipc = mipc;
    c->refs = 1;
    uv_pipe_init(sv->loop, &c->pipe, 0);
    c->pipe.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
        uv_close((uv_handle_t *)&c->pipe, on_close);
        return;
    }
    uv_os_fd_t fd;
    uv_fileno((uv_handle_t *)&c->pipe, &fd);
    struct ucred cr;
    socklen_t sl = sizeof cr;
    int ok = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) == 0;
    c->uid = ok ? cr.uid : (uid_t)-1;
    c->ospid = ok ? cr.pid : -1;
    const char *why = NULL;
    int rc = 0;
    if (!ok || (cr.uid != geteuid() &&
                !(sv->o.group != (gid_t)-1 && cr.gid == sv->o.group))) {
        why = "permission denied: peer user is not allowed";
        rc = MK_EPERM;
    } else if (sv->nconns >= sv->d->lim.max_clients || sv->stopping) {
        why = "too many clients";
        rc = MK_EAGAIN;
    }
    if (why) {
        sv->refused++;
        mkd_log(MKD_LOG_WARN, "refused client pid %d uid %d: %s", (int)c->ospid, (int)c->uid,
                why);
        refuse(fd, mipc, rc, why);
        uv_close((uv_handle_t *)&c->pipe, on_close);
        return;
    }
    mkd_session_init(sv->d, &c->s);
    uv_timer_init(sv->loop, &c->flush);
    c->flush.data = c;
    c->refs++; /* released by the timer's close callback */
    c->last_active = now_s();
    c->next = sv->all;
    if (sv->all)
        sv->all->prev = c;
    sv->all = c;
    sv->nconns++;
    mkd_log(MKD_LOG_INFO, "client pid %d uid %d connected (%s, %u clients)", (int)c->ospid,
            (int)c->uid, mipc ? "microipc" : "native", sv->nconns);
    start_reading(c, 1);
}

static void on_native(uv_stream_t *s, int status)
{
    on_connection(s, status, 0);
}

static void on_text(uv_stream_t *s, int status)
{
    on_connection(s, status, 1);
}

static void on_sweep(uv_timer_t *t)
{
    struct mkd_server *sv = t->data;
    uint64_t now = now_s();
    for (struct conn *c = sv->all, *n; c; c = n) {
        n = c->next;
        if (!c->busy && now - c->last_active >= sv->d->lim.idle_timeout)
            conn_close(c, "idle timeout");
    }
}

/* ---- listening ---------------------------------------------------------------------- */

static int listen_on(struct mkd_server *sv, uv_pipe_t *p, const char *path, uv_connection_cb cb)
{
    /* A socket left by a daemon that died is replaced; a live one is not. */
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            mkd_log(MKD_LOG_ERROR, "%s exists and is not a socket", path);
            return -1;
        }
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        int alive = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        if (fd >= 0)
            close(fd);
        if (alive) {
            mkd_log(MKD_LOG_ERROR, "another daemon listens on %s", path);
            return -1;
        }
        unlink(path);
    }
    uv_pipe_init(sv->loop, p, 0);
    p->data = sv;
    /* Create the socket file with mode 0600 from the start (no window in
     * which it is world-accessible). */
    mode_t old = umask(0177);
    int rc = uv_pipe_bind(p, path);
    umask(old);
    if (rc == 0 && sv->o.group != (gid_t)-1) {
        if (chown(path, (uid_t)-1, sv->o.group) < 0 || chmod(path, 0660) < 0)
            rc = UV_EPERM;
    }
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)p, 128, cb);
    if (rc < 0) {
        mkd_log(MKD_LOG_ERROR, "cannot listen on %s: %s", path, uv_strerror(rc));
        uv_close((uv_handle_t *)p, NULL);
        return -1;
    }
    mkd_log(MKD_LOG_INFO, "listening on %s", path);
    return 0;
}

int mkd_server_start(uv_loop_t *loop, struct mkd *d, struct mipc_state *m,
                     const struct mkd_server_opts *o, struct mkd_server **out)
{
    struct mkd_server *sv = calloc(1, sizeof *sv);
    if (!sv)
        return -1;
    sv->loop = loop;
    sv->d = d;
    sv->m = m;
    sv->o = *o;
    uv_idle_init(loop, &sv->idle);
    sv->idle.data = sv;
    uv_timer_init(loop, &sv->sweep);
    sv->sweep.data = sv;
    if (listen_on(sv, &sv->native, o->path, on_native) < 0)
        goto fail;
    sv->have_native = 1;
    if (o->mipc_path) {
        if (listen_on(sv, &sv->text, o->mipc_path, on_text) < 0)
            goto fail;
        sv->have_text = 1;
    }
    if (d->lim.idle_timeout)
        uv_timer_start(&sv->sweep, on_sweep, 1000, 1000);
    *out = sv;
    return 0;
fail:
    mkd_server_stop(sv);
    uv_run(loop, UV_RUN_DEFAULT);
    mkd_server_free(sv);
    return -1;
}

void mkd_server_stop(struct mkd_server *sv)
{
    if (sv->stopping)
        return;
    sv->stopping = 1;
    if (sv->have_native)
        uv_close((uv_handle_t *)&sv->native, NULL);
    if (sv->have_text)
        uv_close((uv_handle_t *)&sv->text, NULL);
    while (sv->all)
        conn_close(sv->all, "daemon shutting down");
    /* Ready-list entries hold references; drop them. */
    for (struct conn *c = sv->rhead, *n; c; c = n) {
        n = c->rnext;
        c->ready = 0;
        conn_unref(c);
    }
    sv->rhead = sv->rtail = NULL;
    uv_close((uv_handle_t *)&sv->idle, NULL);
    uv_close((uv_handle_t *)&sv->sweep, NULL);
}

void mkd_server_free(struct mkd_server *sv)
{
    if (!sv)
        return;
    if (sv->have_native)
        unlink(sv->o.path);
    if (sv->have_text)
        unlink(sv->o.mipc_path);
    mkd_log(MKD_LOG_INFO, "served %llu requests, refused %llu connections",
            (unsigned long long)sv->served, (unsigned long long)sv->refused);
    mk__wbuf_free(&sv->out);
    free(sv);
}
