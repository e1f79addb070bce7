/*
 * server.h — mkd's libuv side: listening sockets and connections.
 */
#ifndef MKD_SERVER_H
#define MKD_SERVER_H

#include <sys/types.h>
#include <uv.h>

#include "mkd.h"

struct mkd_server_opts {
    const char *path;      /* native socket */
    const char *mipc_path; /* microipc socket, NULL = off */
    gid_t group;           /* socket group; (gid_t)-1 = keep; sets mode 0660 */
    int log_level;
};

struct mkd_server;

int mkd_server_start(uv_loop_t *loop, struct mkd *d, struct mipc_state *m,
                     const struct mkd_server_opts *o, struct mkd_server **out);
/* Stop accepting, close every connection; the loop then runs dry. */
void mkd_server_stop(struct mkd_server *sv);
/* After the loop has returned: remove the sockets, free the server. */
void mkd_server_free(struct mkd_server *sv);

void mkd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int mkd_log_level;
extern int mkd_log_syslog;

#endif
