/*
 * client.c — connection to mkd: socket, handshake, request/answer calls.
 *
 * Sits on libc, pthreads and proto.c only; it never touches a local mk_t
 * (the kernel lives in the daemon). Every call encodes one request frame,
 * sends it, and reads frames until the answer with the same sequence
 * number arrives (the daemon answers in order, so that is the next one).
 *
 * Locking: one mutex per connection serialises whole calls, so frames of
 * two threads never interleave; a call blocked in a remote wait holds it.
 * Ownership: the connection owns its buffers; out-parameters are written
 * only after the whole answer decoded cleanly. Any transport error marks
 * the connection broken and every later call gets MK_EIO.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <microkernel/mk.h>

#include "proto.h"

struct mk_client {
    int fd;
    pthread_mutex_t lock;
    uint32_t seq;
    uint32_t frame_max;
    uint32_t tick_hz;
    int broken;
    struct mk__wbuf w;
    uint8_t *rb;
    size_t rcap;
};

/* Room a request needs beyond its payload (header, fixed fields). */
#define OVERHEAD 64u

int mk_client_default_path(char *buf, size_t cap)
{
    if (!buf)
        return MK_EINVAL;
    const char *x = getenv("XDG_RUNTIME_DIR");
    char tmp[256];
    int n;
    if (x && *x)
        n = snprintf(tmp, sizeof tmp, "%s/mkd.sock", x);
    else
        n = snprintf(tmp, sizeof tmp, "/tmp/mkd-%u.sock", (unsigned)getuid());
    if (n < 0 || (size_t)n >= sizeof tmp || (size_t)n > MK_CLIENT_PATH_MAX ||
        (size_t)n + 1 > cap)
        return MK_ENAMETOOLONG;
    memcpy(buf, tmp, (size_t)n + 1);
    return 0;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return MK_EIO;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = recv(fd, p, n, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return MK_EIO;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Read one frame; the body lands in c->rb. */
static int read_frame(mk_client_t *c, struct mk__hdr *h)
{
    uint8_t hb[MK__PROTO_HDR];
    if (recv_all(c->fd, hb, sizeof hb))
        return MK_EIO;
    mk__hdr_get(hb, h);
    if (h->len > c->frame_max)
        return MK_EIO;
    if (h->len > c->rcap) {
        uint8_t *p = realloc(c->rb, h->len);
        if (!p)
            return MK_EIO;
        c->rb = p;
        c->rcap = h->len;
    }
    return recv_all(c->fd, c->rb, h->len);
}

/* Begin a call: lock, start the request frame. */
static int begin(mk_client_t *c)
{
    pthread_mutex_lock(&c->lock);
    if (c->broken) {
        pthread_mutex_unlock(&c->lock);
        return MK_EIO;
    }
    int rc = mk__wbuf_begin(&c->w, c->frame_max);
    if (rc)
        pthread_mutex_unlock(&c->lock);
    return rc;
}

/* Send the request, wait for its answer; on success r covers the body.
 * Leaves the lock held (end() releases it). */
static int exchange(mk_client_t *c, uint16_t op, struct mk__rbuf *r)
{
    uint32_t seq = ++c->seq;
    int rc = mk__wbuf_end(&c->w, op, seq, 0);
    if (rc)
        return rc; /* too big / no memory: nothing was sent */
    struct mk__hdr h;
    /* A daemon that refuses us at accept answers and closes at once, so
     * our send may fail: the refusal is still there to be read. */
    int sent = send_all(c->fd, c->w.p, c->w.len);
    if (read_frame(c, &h) || (sent && !(h.op == MK__OP_HELLO && h.seq == 0))) {
        c->broken = 1;
        return MK_EIO;
    }
    if (h.op == MK__OP_HELLO && h.seq == 0 && h.status < 0 && h.status >= -1000) {
        /* Refused at accept (peer credentials, client limit): the daemon
         * answered before reading our request and closed. */
        c->broken = 1;
        return h.status;
    }
    if (h.op != op || h.seq != seq) {
        c->broken = 1;
        return MK_EIO;
    }
    if (h.status > 0 || h.status < -1000) {
        c->broken = 1;
        return MK_EIO;
    }
    mk__rbuf_init(r, c->rb, h.status ? 0 : h.len);
    return h.status;
}

static int end(mk_client_t *c, int rc)
{
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* A decoded answer with leftovers or missing fields breaks the protocol. */
static int done(mk_client_t *c, const struct mk__rbuf *r)
{
    if (mk__rbuf_done(r)) {
        c->broken = 1;
        return MK_EIO;
    }
    return 0;
}

int mk_client_connect(const char *path, mk_client_t **out)
{
    if (!out)
        return MK_EINVAL;
    char def[MK_CLIENT_PATH_MAX + 1];
    if (!path) {
        int rc = mk_client_default_path(def, sizeof def);
        if (rc)
            return rc;
        path = def;
    }
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t n = strlen(path);
    if (n > MK_CLIENT_PATH_MAX || n >= sizeof sa.sun_path)
        return MK_ENAMETOOLONG;
    if (n == 0)
        return MK_ENOENT;
    memcpy(sa.sun_path, path, n + 1);

    mk_client_t *c = calloc(1, sizeof *c);
    if (!c)
        return MK_ENOMEM;
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        free(c);
        return MK_EIO;
    }
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(c->fd);
        free(c);
        if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR)
            return MK_ENOENT;
        if (e == EACCES || e == EPERM)
            return MK_EPERM;
        return MK_EIO;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->frame_max = MK__PROTO_FRAME_LIMIT; /* until the daemon says */

    int rc = begin(c);
    if (rc == 0) {
        struct mk__rbuf r;
        mk__wbuf_put_u32(&c->w, MK__PROTO_MAGIC);
        mk__wbuf_put_u32(&c->w, MK_CLIENT_PROTO_VERSION);
        mk__wbuf_put_u32(&c->w, MK_CLIENT_PROTO_VERSION);
        rc = exchange(c, MK__OP_HELLO, &r);
        if (rc == 0) {
            uint32_t ver = mk__rbuf_u32(&r);
            uint32_t fmax = mk__rbuf_u32(&r);
            uint32_t hz = mk__rbuf_u32(&r);
            rc = done(c, &r);
            if (rc == 0 && ver != MK_CLIENT_PROTO_VERSION)
                rc = MK_ENOTSUP;
            if (rc == 0 && (fmax < 4096 || fmax > MK__PROTO_FRAME_LIMIT || hz == 0))
                rc = MK_EIO;
            if (rc == 0) {
                c->frame_max = fmax;
                c->tick_hz = hz;
            }
        }
        end(c, 0);
    }
    if (rc) {
        mk_client_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

int mk_client_close(mk_client_t *c)
{
    if (!c)
        return 0;
    close(c->fd);
    pthread_mutex_destroy(&c->lock);
    mk__wbuf_free(&c->w);
    free(c->rb);
    free(c);
    return 0;
}

int mk_client_tick_hz(mk_client_t *c, uint32_t *hz)
{
    if (!c || !hz)
        return MK_EINVAL;
    *hz = c->tick_hz;
    return 0;
}

int mk_client_frame_max(mk_client_t *c, uint32_t *bytes)
{
    if (!c || !bytes)
        return MK_EINVAL;
    *bytes = c->frame_max;
    return 0;
}

int mk_client_ping(mk_client_t *c, const void *data, size_t len)
{
    if (!c || (!data && len))
        return MK_EINVAL;
    int rc = begin(c);
    if (rc)
        return rc;
    struct mk__rbuf r;
    mk__wbuf_put_blob(&c->w, data, len);
    rc = exchange(c, MK__OP_PING, &r);
    if (rc == 0) {
        size_t n;
        const uint8_t *p = mk__rbuf_blob(&r, &n);
        rc = done(c, &r);
        if (rc == 0 && (n != len || (len && memcmp(p, data, len))))
            rc = MK_EIO;
    }
    return end(c, rc);
}

/* ---- calls with no result or one integer result ------------------------ */

/* Sends the request prepared in c->w and decodes an optional u32/u64. */
static int call_u32(mk_client_t *c, uint16_t op, uint32_t *out)
{
    struct mk__rbuf r;
    int rc = exchange(c, op, &r);
    if (rc == 0) {
        uint32_t v = out ? mk__rbuf_u32(&r) : 0;
        rc = done(c, &r);
        if (rc == 0 && out)
            *out = v;
    }
    return end(c, rc);
}

static int call_u64(mk_client_t *c, uint16_t op, uint64_t *out)
{
    struct mk__rbuf r;
    int rc = exchange(c, op, &r);
    if (rc == 0) {
        uint64_t v = out ? mk__rbuf_u64(&r) : 0;
        rc = done(c, &r);
        if (rc == 0 && out)
            *out = v;
    }
    return end(c, rc);
}

/* Strings go as blobs; a name or path containing no NUL by construction. */
static void put_str(mk_client_t *c, const char *s)
{
    mk__wbuf_put_blob(&c->w, s, strlen(s));
}

int mk_client_proc_create(mk_client_t *c, mk_pid_t pid, mk_pid_t *out)
{
    if (!c || (pid == 0 && !out) || pid > MK_PID_MAX)
        return MK_EINVAL;
    int rc = begin(c);
    if (rc)
        return rc;
    mk__wbuf_put_u32(&c->w, pid);
    uint32_t got;
    rc = call_u32(c, MK__OP_PROC_CREATE, &got);
    if (rc == 0 && out)
        *out = got;
    return rc;
}

static int pid_call(mk_client_t *c, uint16_t op, mk_pid_t pid)
{
    if (!c)
        return MK_EINVAL;
    int rc = begin(c);
    if (rc)
        return rc;
    mk__wbuf_put_u32(&c->w, pid);
    return call_u32(c, op, NULL);
}

int mk_client_proc_destroy(mk_client_t *c, mk_pid_t pid)
{
    return pid_call(c, MK__OP_PROC_DESTROY, pid);
}

int mk_client_proc_exists(mk_client_t *c, mk_pid_t pid)
{
    return pid_call(c, MK__OP_PROC_EXISTS, pid);
}

/* ---- messages ------------------------------------------------------------ */

static int send_msg(mk_client_t *c, uint16_t op, uint64_t dst, uint32_t tag, const void *data,
                    size_t len, uint64_t timeout)
{
    if (!c || (!data && len))
        return MK_EINVAL;
    if (len > c->frame_max - OVERHEAD)
        return MK_EMSGSIZE;
    int rc = begin(c);
    if (rc)
        return rc;
    mk__wbuf_put_u64(&c->w, dst);
    mk__wbuf_put_u32(&c->w, tag);
    mk__wbuf_put_u64(&c->w, timeout);
    mk__wbuf_put_blob(&c->w, data, len);
    return call_u32(c, op, NULL);
}

static int recv_msg(mk_client_t *c, uint16_t op, uint64_t q, mk_pid_t pid, uint32_t *tag,
                    void *buf, size_t cap, size_t *len, uint64_t timeout)
{
    if (!c || !len || (!buf && cap))
        return MK_EINVAL;
    if (cap > c->frame_max - OVERHEAD)
        cap = c->frame_max - OVERHEAD; /* no message can be larger */
    int rc = begin(c);
    if (rc)
        return rc;
    mk__wbuf_put_u64(&c->w, q);
    mk__wbuf_put_u32(&c->w, pid);
    mk__wbuf_put_u32(&c->w, (uint32_t)cap);
    mk__wbuf_put_u64(&c->w, timeout);
    struct mk__rbuf r;
    rc = exchange(c, op, &r);
    if (rc == 0) {
        uint32_t t = mk__rbuf_u32(&r);
        size_t n;
        const uint8_t *p = mk__rbuf_blob(&r, &n);
        rc = done(c, &r);
        if (rc == 0 && n > cap) {
            c->broken = 1;
            rc = MK_EIO;
        }
        if (rc == 0) {
            if (n)
                memcpy(buf, p, n);
            if (tag)
                *tag = t;
            *len = n;
        }
    }
    return end(c, rc);
}

int mk_client_mbox_send(mk_client_t *c, mk_pid_t to, uint32_t tag, const void *data, size_t len,
                        uint64_t timeout_ticks)
{
    return send_msg(c, MK__OP_MBOX_SEND, to, tag, data, len, timeout_ticks);
}

int mk_client_mbox_recv(mk_client_t *c, mk_pid_t pid, uint32_t *tag, void *buf, size_t cap,
                        size_t *len, uint64_t timeout_ticks)
{
    return recv_msg(c, MK__OP_MBOX_RECV, 0, pid, tag, buf, cap, len, timeout_ticks);
}

int mk_client_mbox_count(mk_client_t *c, mk_pid_t pid, uint32_t *count)
{
    if (!c || !count)
        return MK_EINVAL;
    int rc = begin(c);
    if (rc)
        return rc;
    mk__wbuf_put_u32(&c->w, pid);
    return call_u32(c, MK__OP_MBOX_COUNT, count);
}

/* ---- queues -------------------------------------------------------------- */

int mk_client_queue_create(mk_client_t *c, const char *name, uint32_t mode, uint32_t capacity,
                           uint32_t msg_max, mk_queue_t *out)
{
    if (!c || !name || !out)
        return MK_EINVAL;
    if (strlen(name) > MK_NAME_MAX)
        return MK_ENAMETOOLONG;
    int rc = begin(c);
    if (rc)
        return rc;
    put_str(c, name);
    mk__wbuf_put_u32(&c->w, mode);
    mk__wbuf_put_u32(&c->w, capacity);
    mk__wbuf_put_u32(&c->w, msg_max);
    return call_u64(c, MK__OP_Q_CREATE, out);
}

static int name_call(mk_client_t *c, uint16_t op, const char *name, uint64_t *out)
{
    if (!c || !name || !out)
        return MK_EINVAL;
    if (strlen(name) > MK_NAME_MAX)
        return MK_ENAMETOOLONG;
    int rc = begin(c);
    if (rc)
        return rc;
    put_str(c, name);
    return call_u64(c, op, out);
}

int mk_client_queue_open(mk_client_t *c, const char *name, mk_queue_t *out)
{
    return name_call(c, MK__OP_Q_OPEN, name, out);
}

static int handle_call(mk_client_t *c, uint16_t op, uint64_t h, int with_pid, mk_pid_t pid,
                       uint32_t *out)
{
    if (!c)
        return MK_EINVAL;
    int rc = begin(c);
    if (rc)
        return rc;
    mk__wbuf_put_u64(&c->w, h);
    if (with_pid)
        mk__wbuf_put_u32(&c->w, pid);
    return call_u32(c, op, out);
}

int mk_client_queue_delete(mk_client_t *c, mk_queue_t q)
{
    return handle_call(c, MK__OP_Q_DELETE, q, 0, 0, NULL);
}

int mk_client_queue_send(mk_client_t *c, mk_queue_t q, uint32_t tag, const void *data, size_t len,
                         uint64_t timeout_ticks)
{
    return send_msg(c, MK__OP_Q_SEND, q, tag, data, len, timeout_ticks);
}

int mk_client_queue_recv(mk_client_t *c, mk_queue_t q, mk_pid_t pid, uint32_t *tag, void *buf,
                         size_t cap, size_t *len, uint64_t timeout_ticks)
{
    return recv_msg(c, MK__OP_Q_RECV, q, pid, tag, buf, cap, len, timeout_ticks);
}

int mk_client_queue_subscribe(mk_client_t *c, mk_queue_t q, mk_pid_t pid)
{
    return handle_call(c, MK__OP_Q_SUB, q, 1, pid, NULL);
}

int mk_client_queue_unsubscribe(mk_client_t *c, mk_queue_t q, mk_pid_t pid)
{
    return handle_call(c, MK__OP_Q_UNSUB, q, 1, pid, NULL);
}

int mk_client_queue_count(mk_client_t *c, mk_queue_t q, mk_pid_t pid, uint32_t *count)
{
    if (!count)
        return MK_EINVAL;
    return handle_call(c, MK__OP_Q_COUNT, q, 1, pid, count);
}

/* ---- semaphores ------------------------------------------------------------ */

int mk_client_sem_create(mk_client_t *c, const char *name, uint32_t initial, uint32_t max,
                         mk_sem_t *out)
{
    if (!c || !name || !out)
        return MK_EINVAL;
    if (strlen(name) > MK_NAME_MAX)
        return MK_ENAMETOOLONG;
    int rc = begin(c);
    if (rc)
        return rc;
    put_str(c, name);
    mk__wbuf_put_u32(&c->w, initial);
    mk__wbuf_put_u32(&c->w, max);
    return call_u64(c, MK__OP_SEM_CREATE, out);
}

int mk_client_sem_open(mk_client_t *c, const char *name, mk_sem_t *out)
{
    return name_call(c, MK__OP_SEM_OPEN, name, out);
}

int mk_client_sem_wait(mk_client_t *c, mk_sem_t s, uint64_t timeout_ticks)
{
    if (!c)
        return MK_EINVAL;
    int rc = begin(c);
    if (rc)
        return rc;
    mk__wbuf_put_u64(&c->w, s);
    mk__wbuf_put_u64(&c->w, timeout_ticks);
    return call_u32(c, MK__OP_SEM_WAIT, NULL);
}

int mk_client_sem_post(mk_client_t *c, mk_sem_t s)
{
    return handle_call(c, MK__OP_SEM_POST, s, 0, 0, NULL);
}

int mk_client_sem_value(mk_client_t *c, mk_sem_t s, uint32_t *value)
{
    if (!value)
        return MK_EINVAL;
    return handle_call(c, MK__OP_SEM_VALUE, s, 0, 0, value);
}

int mk_client_sem_delete(mk_client_t *c, mk_sem_t s)
{
    return handle_call(c, MK__OP_SEM_DELETE, s, 0, 0, NULL);
}

/* ---- files ------------------------------------------------------------------ */

int mk_client_vfs_open(mk_client_t *c, mk_pid_t pid, const char *path, uint32_t flags,
                       mk_fd_t *out)
{
    if (!c || !path || !out)
        return MK_EINVAL;
    int rc = begin(c);
    if (rc)
        return rc;
    mk__wbuf_put_u32(&c->w, pid);
    mk__wbuf_put_u32(&c->w, flags);
    put_str(c, path);
    return call_u64(c, MK__OP_VFS_OPEN, out);
}

int mk_client_vfs_close(mk_client_t *c, mk_pid_t pid, mk_fd_t fd)
{
    if (!c)
        return MK_EINVAL;
    int rc = begin(c);
    if (rc)
        return rc;
    mk__wbuf_put_u32(&c->w, pid);
    mk__wbuf_put_u64(&c->w, fd);
    return call_u32(c, MK__OP_VFS_CLOSE, NULL);
}

/* read and pread: offset UINT64_MAX on the wire means "at the position". */
static int do_read(mk_client_t *c, mk_pid_t pid, mk_fd_t fd, void *buf, size_t len,
                   uint64_t off, uint16_t op, size_t *nread)
{
    if (!c || !nread || (!buf && len))
        return MK_EINVAL;
    if (len > c->frame_max - OVERHEAD)
        return MK_EMSGSIZE;
    int rc = begin(c);
    if (rc)
        return rc;
    mk__wbuf_put_u32(&c->w, pid);
    mk__wbuf_put_u64(&c->w, fd);
    mk__wbuf_put_u32(&c->w, (uint32_t)len);
    mk__wbuf_put_u64(&c->w, off);
    struct mk__rbuf r;
    rc = exchange(c, op, &r);
    if (rc == 0) {
        size_t n;
        const uint8_t *p = mk__rbuf_blob(&r, &n);
        rc = done(c, &r);
        if (rc == 0 && n > len) {
            c->broken = 1;
            rc = MK_EIO;
        }
        if (rc == 0) {
            if (n)
                memcpy(buf, p, n);
            *nread = n;
        }
    }
    return end(c, rc);
}

static int do_write(mk_client_t *c, mk_pid_t pid, mk_fd_t fd, const void *buf, size_t len,
                    uint64_t off, uint16_t op, size_t *nwritten)
{
    if (!c || !nwritten || (!buf && len))
        return MK_EINVAL;
    if (len > c->frame_max - OVERHEAD)
        return MK_EMSGSIZE;
    int rc = begin(c);
    if (rc)
        return rc;
    mk__wbuf_put_u32(&c->w, pid);
    mk__wbuf_put_u64(&c->w, fd);
    mk__wbuf_put_u64(&c->w, off);
    mk__wbuf_put_blob(&c->w, buf, len);
    uint64_t n;
    rc = call_u64(c, op, &n);
    if (rc == 0)
        *nwritten = (size_t)n;
    return rc;
}

int mk_client_vfs_read(mk_client_t *c, mk_pid_t pid, mk_fd_t fd, void *buf, size_t len,
                       size_t *nread)
{
    return do_read(c, pid, fd, buf, len, 0, MK__OP_VFS_READ, nread);
}

int mk_client_vfs_write(mk_client_t *c, mk_pid_t pid, mk_fd_t fd, const void *buf, size_t len,
                        size_t *nwritten)
{
    return do_write(c, pid, fd, buf, len, 0, MK__OP_VFS_WRITE, nwritten);
}

int mk_client_vfs_pread(mk_client_t *c, mk_pid_t pid, mk_fd_t fd, void *buf, size_t len,
                        uint64_t offset, size_t *nread)
{
    return do_read(c, pid, fd, buf, len, offset, MK__OP_VFS_PREAD, nread);
}

int mk_client_vfs_pwrite(mk_client_t *c, mk_pid_t pid, mk_fd_t fd, const void *buf, size_t len,
                         uint64_t offset, size_t *nwritten)
{
    return do_write(c, pid, fd, buf, len, offset, MK__OP_VFS_PWRITE, nwritten);
}

int mk_client_vfs_seek(mk_client_t *c, mk_pid_t pid, mk_fd_t fd, int64_t offset, uint32_t whence,
                       uint64_t *newpos)
{
    if (!c)
        return MK_EINVAL;
    int rc = begin(c);
    if (rc)
        return rc;
    mk__wbuf_put_u32(&c->w, pid);
    mk__wbuf_put_u64(&c->w, fd);
    mk__wbuf_put_u64(&c->w, (uint64_t)offset);
    mk__wbuf_put_u32(&c->w, whence);
    uint64_t pos;
    rc = call_u64(c, MK__OP_VFS_SEEK, &pos);
    if (rc == 0 && newpos)
        *newpos = pos;
    return rc;
}

static int path_call(mk_client_t *c, uint16_t op, const char *path)
{
    if (!c || !path)
        return MK_EINVAL;
    int rc = begin(c);
    if (rc)
        return rc;
    put_str(c, path);
    return call_u32(c, op, NULL);
}

int mk_client_vfs_unlink(mk_client_t *c, const char *path)
{
    return path_call(c, MK__OP_VFS_UNLINK, path);
}

int mk_client_vfs_mkdir(mk_client_t *c, const char *path)
{
    return path_call(c, MK__OP_VFS_MKDIR, path);
}

int mk_client_vfs_stat(mk_client_t *c, const char *path, mk_stat_t *out)
{
    if (!c || !path || !out || out->size < sizeof(mk_stat_t))
        return MK_EINVAL;
    int rc = begin(c);
    if (rc)
        return rc;
    put_str(c, path);
    struct mk__rbuf r;
    rc = exchange(c, MK__OP_VFS_STAT, &r);
    if (rc == 0) {
        mk_stat_t st;
        memset(&st, 0, sizeof st);
        st.size = sizeof st;
        st.type = mk__rbuf_u32(&r);
        st.ino = mk__rbuf_u64(&r);
        st.bytes = mk__rbuf_u64(&r);
        st.blocks = mk__rbuf_u64(&r);
        st.nlink = mk__rbuf_u64(&r);
        st.ctime = mk__rbuf_u64(&r);
        st.mtime = mk__rbuf_u64(&r);
        rc = done(c, &r);
        if (rc == 0)
            *out = st;
    }
    return end(c, rc);
}
