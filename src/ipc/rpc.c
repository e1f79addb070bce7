/*
 * rpc.c - synchronous remote procedure calls between processes: a client's
 * call blocks until the server it named receives the request and replies
 * (seed 004's RPC; the rendezvous of L4 and QNX's MsgSend/MsgReceive/
 * MsgReply, without their register transfer).
 *
 * Sits on core (maps, hooks) and on the scheduler's wait queues
 * (proc/sched.h), so either side may be a host thread or a body. It is a
 * module of its own inside ipc (state in k->rpc, own init and hooks): it
 * shares no state with mailboxes and queues.
 *
 * Objects, all under one module lock (struct mk__rpc.lock):
 *   - a call (struct rpc_call) lives on the CLIENT's stack for the whole
 *     call; it is published in the id map and on its server's queued or
 *     open list while open. Request and reply bytes are copied directly
 *     between the client's and the server's buffers under the lock, so the
 *     library holds no copy and a call costs no allocation beyond map
 *     growth;
 *   - a blocked receiver (struct rpc_rx) lives on the receiving thread's
 *     or body's stack; a call that arrives is handed to the oldest one;
 *   - a server record (struct rpc_server, heap) per pid that has been
 *     called or has received; it goes away with the process.
 * Whoever leaves a wait without a hand-off (timeout, kill) unlinks its own
 * record under the lock before returning, so no stack record is ever
 * reachable after its owner returned; a late reply then finds no call
 * (MK_ENOENT). A hand-off (reply, receive, destruction) always marks the
 * record done before waking it, and done wins over the waiter's timeout.
 *
 * Lock order: struct mk__rpc.lock -> the scheduler (mk__proc_alive, the
 * wait queues), as sched.h allows. Liveness is checked under our lock and
 * the exit hook takes it, so a server record is never created for a pid
 * whose exit hook has already run.
 */
#include "../core/core.h"

#include <stdlib.h>
#include <string.h>

#include <microkernel/rpc.h>

#include "../proc/proc.h"
#include "../proc/sched.h"

enum { CALL_QUEUED = 1, CALL_OPEN = 2, CALL_DONE = 3 };

struct rpc_call {
    struct rpc_call *prev, *next; /* server's queued or open list */
    struct rpc_call *sweep;       /* exit hook's work list */
    uint64_t id;
    mk_pid_t client, server;
    int state;
    int rc;                       /* result once DONE */
    const void *req;
    size_t req_len;
    void *reply;
    size_t cap;
    size_t reply_len;
    mk__wq_t wq;                  /* the client waits here */
};

struct rpc_rx {
    struct rpc_rx *next;
    mk__wq_t wq;                  /* the receiver waits here */
    void *buf;
    size_t cap;
    bool done;
    int rc;
    uint64_t id;                  /* outputs of a hand-off */
    mk_pid_t client;
    size_t len;
};

struct rpc_list {
    struct rpc_call *head, *tail;
    uint32_t n;
};

struct rpc_server {
    mk_pid_t pid;
    struct rpc_list queued;       /* arrived, not received (FIFO) */
    struct rpc_list open;         /* received, not answered */
    struct rpc_rx *rx_head, *rx_tail;
};

struct mk__rpc {
    pthread_mutex_t lock;
    mk__hmap_t servers;           /* pid -> struct rpc_server* */
    mk__hmap_t calls;             /* id -> struct rpc_call* (queued or open) */
    uint64_t next_id;
};

static void list_push(struct rpc_list *l, struct rpc_call *c)
{
    c->next = NULL;
    c->prev = l->tail;
    if (l->tail != NULL)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
    l->n++;
}

static void list_del(struct rpc_list *l, struct rpc_call *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
    l->n--;
}

static void rx_unlink(struct rpc_server *srv, struct rpc_rx *rx)
{
    struct rpc_rx **pp = &srv->rx_head, *prev = NULL;
    while (*pp != NULL && *pp != rx) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp == NULL)
        return;
    *pp = rx->next;
    if (srv->rx_tail == rx)
        srv->rx_tail = prev;
    rx->next = NULL;
}

/* The server record of a live pid, created if needed. Lock held. */
static int server_get(mk_t *k, struct mk__rpc *r, mk_pid_t pid, struct rpc_server **out)
{
    if (mk__proc_alive(k, pid) != 0)
        return MK_ENOENT;
    struct rpc_server *srv = mk__hmap_get(&r->servers, pid);
    if (srv == NULL) {
        srv = calloc(1, sizeof *srv);
        if (srv == NULL)
            return MK_ENOMEM;
        srv->pid = pid;
        if (mk__hmap_put(&r->servers, pid, srv) != 0) {
            free(srv);
            return MK_ENOMEM;
        }
    }
    *out = srv;
    return 0;
}

/* Finish a call (lock held): off its list and out of the map, result set,
 * client woken. */
static void call_finish(mk_t *k, struct mk__rpc *r, struct rpc_server *srv, struct rpc_call *c,
                        int rc)
{
    list_del(c->state == CALL_QUEUED ? &srv->queued : &srv->open, c);
    mk__hmap_del(&r->calls, c->id);
    c->state = CALL_DONE;
    c->rc = rc;
    mk__wq_wake_one(k, &c->wq, rc);
}

/* Move a queued call to the open list, copying its request to buf (the
 * caller checked the size). Lock held. */
static void call_take(struct rpc_server *srv, struct rpc_call *c, void *buf)
{
    list_del(&srv->queued, c);
    if (c->req_len != 0)
        memcpy(buf, c->req, c->req_len);
    c->state = CALL_OPEN;
    list_push(&srv->open, c);
}

/* Hand the oldest queued call to waiting receivers, as long as both
 * exist. A receiver whose buffer is too small is woken with MK_EMSGSIZE
 * (the call stays queued, as for a receive that finds it). Lock held. */
static void handoff(mk_t *k, struct rpc_server *srv)
{
    while (srv->rx_head != NULL && srv->queued.head != NULL) {
        struct rpc_rx *rx = srv->rx_head;
        struct rpc_call *c = srv->queued.head;
        rx_unlink(srv, rx);
        rx->done = true;
        if (c->req_len > rx->cap) {
            rx->rc = MK_EMSGSIZE;
        } else {
            call_take(srv, c, rx->buf);
            rx->rc = 0;
            rx->id = c->id;
            rx->client = c->client;
            rx->len = c->req_len;
        }
        mk__wq_wake_one(k, &rx->wq, rx->rc);
    }
}

int mk_rpc_call(mk_t *k, mk_pid_t client, mk_pid_t server, const void *req, size_t req_len,
                void *reply, size_t cap, size_t *reply_len, uint64_t timeout_ticks)
{
    MK__CHECK(k);
    if ((req == NULL && req_len != 0) || (reply == NULL && cap != 0) ||
        timeout_ticks == MK_NO_WAIT)
        return MK_EINVAL;
    if (req_len > MK_RPC_MSG_MAX)
        return MK_EMSGSIZE;
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    client = mk__sched_self_or(k, client);
    if (server == MK_PID_KERNEL || server > MK_PID_MAX)
        return MK_ENOENT;
    if (server == client)
        return MK_EINVAL;
    if (client != MK_PID_KERNEL && mk__proc_alive(k, client) != 0)
        return MK_ENOENT;
    if (cap > MK_RPC_MSG_MAX)
        cap = MK_RPC_MSG_MAX;

    struct mk__rpc *r = k->rpc;
    struct rpc_call c = {.client = client, .server = server, .req = req, .req_len = req_len,
                         .reply = reply, .cap = cap, .state = CALL_QUEUED};
    mk__wq_init(&c.wq, MK__H_RPC, server);
    pthread_mutex_lock(&r->lock);
    struct rpc_server *srv = NULL;
    rc = server_get(k, r, server, &srv);
    if (rc == 0) {
        c.id = ++r->next_id;
        rc = mk__hmap_put(&r->calls, c.id, &c);
    }
    if (rc != 0) {
        pthread_mutex_unlock(&r->lock);
        return rc;
    }
    mk__trace_emit(k, MK_EV_RPC_CALL, client, server, req_len);
    list_push(&srv->queued, &c);
    handoff(k, srv);
    rc = mk__wq_wait(k, &c.wq, &r->lock, timeout_ticks, client);
    if (c.state == CALL_DONE) {
        rc = c.rc; /* replied or failed by the server's death: wins */
    } else {
        /* Withdraw: the server record is alive (it only goes away after
         * finishing every call on it). */
        srv = mk__hmap_get(&r->servers, server);
        list_del(c.state == CALL_QUEUED ? &srv->queued : &srv->open, &c);
        mk__hmap_del(&r->calls, c.id);
        if (rc == 0)
            rc = MK_EDESTROYED; /* woken without a hand-off: cannot happen */
    }
    pthread_mutex_unlock(&r->lock);
    if (rc == 0 && reply_len != NULL)
        *reply_len = c.reply_len;
    return rc;
}

int mk_rpc_receive(mk_t *k, mk_pid_t server, uint64_t *call_id, mk_pid_t *client, void *buf,
                   size_t cap, size_t *len, uint64_t timeout_ticks)
{
    MK__CHECK(k);
    if (call_id == NULL || (buf == NULL && cap != 0))
        return MK_EINVAL;
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    server = mk__sched_self_or(k, server);
    if (server == MK_PID_KERNEL || server > MK_PID_MAX)
        return MK_ENOENT;

    struct mk__rpc *r = k->rpc;
    struct rpc_rx rx = {.buf = buf, .cap = cap};
    pthread_mutex_lock(&r->lock);
    struct rpc_server *srv = NULL;
    rc = server_get(k, r, server, &srv);
    if (rc != 0) {
        pthread_mutex_unlock(&r->lock);
        return rc;
    }
    struct rpc_call *c = srv->queued.head;
    if (srv->rx_head == NULL && c != NULL) {
        if (c->req_len > cap) {
            rc = MK_EMSGSIZE;
        } else {
            call_take(srv, c, buf);
            rx.done = true;
            rx.id = c->id;
            rx.client = c->client;
            rx.len = c->req_len;
        }
    } else if (timeout_ticks == MK_NO_WAIT) {
        rc = MK_EAGAIN;
    } else {
        mk__wq_init(&rx.wq, MK__H_RPC, server);
        if (srv->rx_tail != NULL)
            srv->rx_tail->next = &rx;
        else
            srv->rx_head = &rx;
        srv->rx_tail = &rx;
        rc = mk__wq_wait(k, &rx.wq, &r->lock, timeout_ticks, server);
        if (rx.done) {
            rc = rx.rc;
        } else {
            srv = mk__hmap_get(&r->servers, server);
            if (srv != NULL)
                rx_unlink(srv, &rx);
            if (rc == 0)
                rc = MK_EDESTROYED;
        }
    }
    pthread_mutex_unlock(&r->lock);
    if (rc != 0)
        return rc;
    *call_id = rx.id;
    if (client != NULL)
        *client = rx.client;
    if (len != NULL)
        *len = rx.len;
    return 0;
}

int mk_rpc_reply(mk_t *k, mk_pid_t server, uint64_t call_id, const void *data, size_t len)
{
    MK__CHECK(k);
    if (data == NULL && len != 0)
        return MK_EINVAL;
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    server = mk__sched_self_or(k, server);
    if (server == MK_PID_KERNEL || server > MK_PID_MAX)
        return MK_ENOENT;
    struct mk__rpc *r = k->rpc;
    pthread_mutex_lock(&r->lock);
    struct rpc_call *c = mk__hmap_get(&r->calls, call_id);
    if (c == NULL || c->state != CALL_OPEN)
        rc = MK_ENOENT;
    else if (c->server != server)
        rc = MK_EPERM;
    else if (len > c->cap)
        rc = MK_EMSGSIZE;
    if (rc == 0) {
        if (len != 0)
            memcpy(c->reply, data, len);
        c->reply_len = len;
        mk__trace_emit(k, MK_EV_RPC_REPLY, server, c->client, len);
        call_finish(k, r, mk__hmap_get(&r->servers, server), c, 0);
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

int mk_rpc_pending(mk_t *k, mk_pid_t server, uint32_t *queued, uint32_t *open)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    server = mk__sched_self_or(k, server);
    struct mk__rpc *r = k->rpc;
    pthread_mutex_lock(&r->lock);
    if (mk__proc_alive(k, server) != 0) {
        pthread_mutex_unlock(&r->lock);
        return MK_ENOENT;
    }
    const struct rpc_server *srv = mk__hmap_get(&r->servers, server);
    if (queued != NULL)
        *queued = srv != NULL ? srv->queued.n : 0;
    if (open != NULL)
        *open = srv != NULL ? srv->open.n : 0;
    pthread_mutex_unlock(&r->lock);
    return 0;
}

/* ---- process hooks and set-up -------------------------------------------- */

/* pid is gone: as a server, fail everything queued for it or received by
 * it and wake its receivers; as a client, fail the calls host threads make
 * for it (a body's own call is ended by the scheduler's kill). */
static void rpc_on_exit(mk_t *k, mk_pid_t pid)
{
    struct mk__rpc *r = k->rpc;
    pthread_mutex_lock(&r->lock);
    struct rpc_server *srv = mk__hmap_del(&r->servers, pid);
    if (srv != NULL) {
        while (srv->queued.head != NULL)
            call_finish(k, r, srv, srv->queued.head, MK_EDESTROYED);
        while (srv->open.head != NULL)
            call_finish(k, r, srv, srv->open.head, MK_EDESTROYED);
        while (srv->rx_head != NULL) {
            struct rpc_rx *rx = srv->rx_head;
            rx_unlink(srv, rx);
            rx->done = true;
            rx->rc = MK_EDESTROYED;
            mk__wq_wake_one(k, &rx->wq, MK_EDESTROYED);
        }
        free(srv);
    }
    /* Calls made for pid: collect first (the map must not change while
     * it is walked), then finish. */
    struct rpc_call *work = NULL, *c;
    size_t cur = 0;
    while ((c = mk__hmap_next(&r->calls, &cur, NULL)) != NULL) {
        if (c->client == pid) {
            c->sweep = work;
            work = c;
        }
    }
    while ((c = work) != NULL) {
        work = c->sweep;
        call_finish(k, r, mk__hmap_get(&r->servers, c->server), c, MK_EDESTROYED);
    }
    pthread_mutex_unlock(&r->lock);
}

int mk__rpc_init(mk_t *k)
{
    struct mk__rpc *r = calloc(1, sizeof *r);
    if (r == NULL)
        return MK_ENOMEM;
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        return MK_ENOMEM;
    }
    mk__hmap_init(&r->servers);
    mk__hmap_init(&r->calls);
    k->rpc = r;
    int rc = mk__hook_register(k, NULL, rpc_on_exit);
    if (rc != 0) {
        mk__rpc_fini(k);
        return rc;
    }
    return 0;
}

/* No caller is left (mk_destroy's contract); calls live on their clients'
 * stacks, so only the server records are ours to free. */
void mk__rpc_fini(mk_t *k)
{
    struct mk__rpc *r = k->rpc;
    if (r == NULL)
        return;
    size_t cur = 0;
    void *v;
    while ((v = mk__hmap_next(&r->servers, &cur, NULL)) != NULL)
        free(v);
    mk__hmap_fini(&r->servers);
    mk__hmap_fini(&r->calls);
    pthread_mutex_destroy(&r->lock);
    free(r);
    k->rpc = NULL;
}
