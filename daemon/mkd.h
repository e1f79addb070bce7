/*
 * mkd.h — internal interface of the mkd daemon.
 *
 * mkd is three layers, each in its own files:
 *   - dispatch.c / session.c: the native protocol. Decodes one request
 *     frame, calls the kernel (public libmk API) for a session, encodes the
 *     answer. Knows nothing of sockets or libuv, so the fuzz target drives
 *     it directly. A request that must block (a wait with a timeout) is not
 *     run here: dispatch returns a job that the server runs on a worker
 *     thread (mkd_job_run) and answers later (mkd_job_answer).
 *   - mipc.c: the microipc text protocol (seed 002), same separation.
 *   - server.c / main.c: libuv sockets, framing, fairness, limits, signals.
 *
 * Threads: everything but mkd_job_run runs on the loop thread. Jobs touch
 * only the kernel (thread-safe) and their own job struct; they learn that
 * their client went away through the session's atomic cancel flag.
 */
#ifndef MKD_H
#define MKD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microkernel/mk.h>

#include "client/proto.h"

enum { MKD_LOG_ERROR, MKD_LOG_WARN, MKD_LOG_INFO, MKD_LOG_DEBUG };

struct mkd_limits {
    uint32_t max_clients;   /* connections at once (both sockets) */
    uint32_t max_frame;     /* bytes, header included */
    uint32_t max_procs;     /* kernel processes per connection */
    uint32_t max_queues;    /* queues (and, separately, semaphores) per connection */
    uint64_t max_mem;       /* bytes a connection may commit: queue storage,
                               buffered input and unsent output */
    uint32_t idle_timeout;  /* seconds without a request before a connection
                               is closed; 0 = never */
};

/* A named object created by a session (for per-client accounting). */
struct mkd_obj {
    uint64_t h;
    struct mkd_session *owner; /* NULL once the owner has gone */
    uint64_t bytes;
    uint8_t kind; /* 0 queue, 1 semaphore */
};

struct mkd {
    mk_t *k;
    struct mkd_limits lim;
    uint32_t tick_hz;
    bool no_block;  /* fuzzing: never defer, waits become tries */
    uint8_t *scratch; /* loop-thread receive buffer, lim.max_frame bytes */
    struct mkd_obj *objs;
    size_t nobjs, capobjs;
};

struct mkd_session {
    struct mkd *d;
    bool hello;
    mk_pid_t *pids;
    uint32_t npids, cappids;
    uint32_t nqueues, nsems;
    uint64_t qbytes;
    atomic_int cancel;
};

/* A blocking request run on a worker thread. */
struct mkd_job {
    mk_t *k;
    uint32_t tick_hz;
    atomic_int *cancel;
    uint16_t op;
    uint32_t seq;
    uint64_t h;
    mk_pid_t pid;
    uint32_t tag;
    uint64_t timeout;
    uint8_t *buf; /* message to send, or receive buffer of cap bytes */
    size_t len, cap;
    int rc;
};

enum mkd_result { MKD_ANSWER, MKD_DEFER, MKD_CLOSE };

int mkd_init(struct mkd *d, mk_t *k, const struct mkd_limits *lim, uint32_t tick_hz);
void mkd_fini(struct mkd *d);
void mkd_session_init(struct mkd *d, struct mkd_session *s);
/* Destroy every process the session created; forget its objects. */
void mkd_session_fini(struct mkd_session *s);

/* Handle one request. MKD_ANSWER: out holds the answer frame. MKD_DEFER:
 * *job must be run by mkd_job_run and answered with mkd_job_answer.
 * MKD_CLOSE: out holds a last answer; then close the connection. */
enum mkd_result mkd_dispatch(struct mkd_session *s, const struct mk__hdr *h,
                             const uint8_t *body, struct mk__wbuf *out, struct mkd_job **job);
void mkd_job_run(struct mkd_job *j);
void mkd_job_answer(struct mkd *d, struct mkd_job *j, struct mk__wbuf *out);
/* The job succeeded but its client is gone: give back what it took. */
void mkd_job_undo(struct mkd_job *j);
void mkd_job_free(struct mkd_job *j);
/* An answer frame with status rc and no body (refusals, framing errors). */
void mkd_error_frame(struct mkd *d, struct mk__wbuf *out, uint16_t op, uint32_t seq, int rc);

/* ---- microipc ---------------------------------------------------------- */

#define MIPC_MSG_MAX 4096u
#define MIPC_LINE_MAX 8192u
#define MIPC_MAX_ENTRIES 65536u

enum mipc_cmd { MIPC_CREATE, MIPC_SEND, MIPC_REMOVE };

struct mipc_req {
    enum mipc_cmd cmd;
    const char *msg;
    size_t msg_len;
    bool has_msg, has_pid, has_port;
    uint32_t pid, port;
};

struct mipc_link {
    uint32_t port, pid;
};

struct mipc_state {
    mk_t *k;
    uint32_t *ports; /* processes registered through microipc */
    size_t nports, capports;
    struct mipc_link *links;
    size_t nlinks, caplinks;
};

/* Parse one command line (no newline). 0, or -1 with a reason in err. */
int mipc_parse(const char *line, size_t len, struct mipc_req *req, char *err, size_t errcap);
/* Run one command line; writes the answer line (with '\n') into out and
 * returns its length (always < outcap, outcap ≥ 128). */
size_t mipc_exec(struct mipc_state *m, const char *line, size_t len, char *out, size_t outcap);
void mipc_init(struct mipc_state *m, mk_t *k);
void mipc_fini(struct mipc_state *m);

#endif /* MKD_H */
