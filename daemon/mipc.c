/*
 * mipc.c — the microipc text protocol (seed 002) on top of the kernel.
 *
 * Sits on libmk's public API (processes and mailboxes); no sockets, so the
 * fuzz target drives mipc_exec directly. Runs on the loop thread only.
 *
 * Grammar of one command line (surrounding blanks ignored):
 *
 *     line    = ( "c" | "r" ) blanks? struct  |  struct
 *     struct  = "{" field ( "," field )* "}"
 *     field   = ".message=" text | ".pid=" number | ".port=" number
 *
 * A message runs up to the next ",.pid=" / ",.port=" / ",.message=" or to
 * the closing brace at the end of the line, so it may hold commas and
 * braces. Numbers are decimal, 1 … 2^31-1 (they become kernel pids).
 * Every field at most once; .port is always required, .pid for the plain
 * form. Semantics, as in the original:
 *   c {…}  registers a process for .port in the process table (and creates
 *          the kernel process whose pid is the port).
 *   {…}    first time for a (.port, .pid) pair: creates the mailbox link
 *          between the server at .port and the client .pid; afterwards:
 *          writes .message to the server's mailbox (tag = client pid) and
 *          answers "response written to port: N".
 *   r {…}  removes the process at .port and every link that names .port.
 * Unlike the original there is no six-slot limit (up to 65536 processes
 * and links), fields are length-checked, and every command gets exactly
 * one answer line; errors start with "error: ". A server's mailbox keeps
 * the newest messages: when it is full the oldest is dropped, so a writer
 * is never refused because nobody reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkd.h"

void mipc_init(struct mipc_state *m, mk_t *k)
{
    memset(m, 0, sizeof *m);
    m->k = k;
}

void mipc_fini(struct mipc_state *m)
{
    for (size_t i = 0; i < m->nports; i++)
        mk_proc_destroy(m->k, m->ports[i]);
    free(m->ports);
    free(m->links);
    memset(m, 0, sizeof *m);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0' || c == '\v' ||
           c == '\f';
}

static int fail(char *err, size_t cap, const char *why)
{
    snprintf(err, cap, "%s", why);
    return -1;
}

/* Does a field start at p (",.name=")? Returns the field name length. */
static size_t field_at(const char *p, const char *end)
{
    static const char *names[] = {".message=", ".pid=", ".port="};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(names[i]);
        if ((size_t)(end - p) >= n && memcmp(p, names[i], n) == 0)
            return n;
    }
    return 0;
}

static int parse_num(const char *p, size_t n, uint32_t *out)
{
    if (n == 0 || n > 10)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (v == 0 || v > MK_PID_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int mipc_parse(const char *line, size_t len, struct mipc_req *req, char *err, size_t errcap)
{
    const char *p = line, *end = line + len;
    while (p < end && is_blank(*p))
        p++;
    while (end > p && is_blank(end[-1]))
        end--;
    memset(req, 0, sizeof *req);
    if (p == end)
        return fail(err, errcap, "empty request");
    if (*p == 'c' || *p == 'r') {
        req->cmd = *p == 'c' ? MIPC_CREATE : MIPC_REMOVE;
        p++;
        while (p < end && is_blank(*p))
            p++;
    } else {
        req->cmd = MIPC_SEND;
    }
    if (p == end || *p != '{')
        return fail(err, errcap, "expected '{' (commands: c {...}, r {...}, {...})");
    if (end[-1] != '}' || end - p < 2)
        return fail(err, errcap, "expected '}' at the end of the request");
    const char *body = p + 1, *bend = end - 1; /* between the braces */
    p = body;
    while (p < bend) {
        size_t n = field_at(p, bend);
        if (!n)
            return fail(err, errcap, "expected a field .message=, .pid= or .port=");
        const char *name = p + 1;
        const char *v = p + n, *ve = v;
        /* The value ends at the next ",.<field>=" or at the closing brace. */
        while (ve < bend && !(*ve == ',' && field_at(ve + 1, bend)))
            ve++;
        if (name[0] == 'm') { /* message */
            if (req->has_msg)
                return fail(err, errcap, "duplicate field .message");
            if ((size_t)(ve - v) > MIPC_MSG_MAX)
                return fail(err, errcap, "message too long (at most 4096 bytes)");
            req->msg = v;
            req->msg_len = (size_t)(ve - v);
            req->has_msg = true;
        } else if (name[0] == 'p' && name[1] == 'i') {
            if (req->has_pid)
                return fail(err, errcap, "duplicate field .pid");
            if (parse_num(v, (size_t)(ve - v), &req->pid))
                return fail(err, errcap, ".pid must be a number from 1 to 2147483647");
            req->has_pid = true;
        } else {
            if (req->has_port)
                return fail(err, errcap, "duplicate field .port");
            if (parse_num(v, (size_t)(ve - v), &req->port))
                return fail(err, errcap, ".port must be a number from 1 to 2147483647");
            req->has_port = true;
        }
        p = ve < bend ? ve + 1 : ve; /* skip the ',' */
    }
    if (!req->has_port)
        return fail(err, errcap, "missing field .port");
    if (req->cmd == MIPC_SEND && !req->has_pid)
        return fail(err, errcap, "missing field .pid");
    return 0;
}

static long find_port(const struct mipc_state *m, uint32_t port)
{
    for (size_t i = 0; i < m->nports; i++)
        if (m->ports[i] == port)
            return (long)i;
    return -1;
}

static long find_link(const struct mipc_state *m, uint32_t port, uint32_t pid)
{
    for (size_t i = 0; i < m->nlinks; i++)
        if (m->links[i].port == port && m->links[i].pid == pid)
            return (long)i;
    return -1;
}

static int grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *q = realloc(*p, c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

#define OUT(...) ((size_t)snprintf(out, outcap, __VA_ARGS__))

static size_t do_create(struct mipc_state *m, const struct mipc_req *q, char *out, size_t outcap)
{
    if (find_port(m, q->port) >= 0)
        return OUT("error: a process is already registered on port %u\n", q->port);
    if (m->nports >= MIPC_MAX_ENTRIES)
        return OUT("error: process table full (%u processes)\n", MIPC_MAX_ENTRIES);
    if (grow((void **)&m->ports, &m->capports, m->nports, sizeof *m->ports))
        return OUT("error: out of memory\n");
    int rc = mk_proc_create(m->k, q->port, NULL);
    if (rc == MK_EEXIST)
        return OUT("error: pid %u is taken by another kernel process\n", q->port);
    if (rc)
        return OUT("error: cannot create process for port %u: %s\n", q->port, mk_strerror(rc));
    m->ports[m->nports++] = q->port;
    return OUT("process created on port: %u\n", q->port);
}

static size_t do_send(struct mipc_state *m, const struct mipc_req *q, char *out, size_t outcap)
{
    if (find_port(m, q->port) < 0)
        return OUT("error: no process registered on port %u\n", q->port);
    if (find_link(m, q->port, q->pid) < 0) {
        if (m->nlinks >= MIPC_MAX_ENTRIES)
            return OUT("error: too many mailbox links (%u)\n", MIPC_MAX_ENTRIES);
        if (grow((void **)&m->links, &m->caplinks, m->nlinks, sizeof *m->links))
            return OUT("error: out of memory\n");
        m->links[m->nlinks++] = (struct mipc_link){q->port, q->pid};
        return OUT("mailbox link created: port %u <-> pid %u\n", q->port, q->pid);
    }
    const char *msg = q->has_msg ? q->msg : "";
    int rc = mk_mbox_send(m->k, q->port, q->pid, msg, q->msg_len, MK_NO_WAIT);
    if (rc == MK_EAGAIN) {
        /* Full: drop the oldest so the newest always lands. */
        static char sink[1];
        uint32_t tag;
        size_t n;
        if (mk_mbox_recv(m->k, q->port, &tag, sink, 0, &n, MK_NO_WAIT) == MK_EMSGSIZE) {
            /* Too big for our sink: receive it into a right-sized buffer. */
            size_t need = MK_MSG_MAX_LIMIT;
            if (mk_mbox_peek(m->k, q->port, &tag, &need) == 0) {
                char *b = malloc(need ? need : 1);
                if (b)
                    mk_mbox_recv(m->k, q->port, &tag, b, need, &n, MK_NO_WAIT);
                free(b);
            }
        }
        rc = mk_mbox_send(m->k, q->port, q->pid, msg, q->msg_len, MK_NO_WAIT);
    }
    if (rc)
        return OUT("error: cannot write to port %u: %s\n", q->port, mk_strerror(rc));
    return OUT("response written to port: %u\n", q->port);
}

static size_t do_remove(struct mipc_state *m, const struct mipc_req *q, char *out, size_t outcap)
{
    long i = find_port(m, q->port);
    if (i >= 0) {
        mk_proc_destroy(m->k, q->port);
        m->ports[i] = m->ports[--m->nports];
    }
    size_t dropped = 0;
    for (size_t j = 0; j < m->nlinks;) {
        if (m->links[j].port == q->port) {
            m->links[j] = m->links[--m->nlinks];
            dropped++;
        } else {
            j++;
        }
    }
    if (i < 0 && dropped == 0)
        return OUT("error: nothing is registered on port %u\n", q->port);
    return OUT("removed port: %u (process %s, %zu mailbox link%s destroyed)\n", q->port,
               i >= 0 ? "removed" : "not registered", dropped, dropped == 1 ? "" : "s");
}

size_t mipc_exec(struct mipc_state *m, const char *line, size_t len, char *out, size_t outcap)
{
    struct mipc_req q;
    char why[128];
    size_t n;
    if (mipc_parse(line, len, &q, why, sizeof why))
        n = OUT("error: malformed request: %s\n", why);
    else if (q.cmd == MIPC_CREATE)
        n = do_create(m, &q, out, outcap);
    else if (q.cmd == MIPC_REMOVE)
        n = do_remove(m, &q, out, outcap);
    else
        n = do_send(m, &q, out, outcap);
    if (n >= outcap) { /* truncated: keep the line terminated */
        n = outcap - 1;
        out[n - 1] = '\n';
    }
    return n;
}
