/*
 * main.c — mkd: one libmk kernel shared by separate OS processes.
 *
 * Parses the command line, creates the kernel (with a file system mounted
 * at "/": a RAM disk, or an image file that persists), starts the server
 * (server.c) on a libuv loop, and on SIGINT/SIGTERM shuts down in order:
 * stop accepting, close clients (their processes are destroyed, waits
 * cancelled), let in-flight waits return, sync and unmount the file system,
 * destroy the kernel (flushing the cache), remove the sockets.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <syslog.h>

#include <uv.h>

#include "server.h"

static struct mkd_server *g_sv;
static uv_signal_t g_sig[2];

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mkd [options]\n"
            "  -s, --socket PATH        native socket (default $XDG_RUNTIME_DIR/mkd.sock,\n"
            "                           else /tmp/mkd-$UID.sock)\n"
            "  -m, --mipc-socket PATH   microipc text socket (default /tmp/mipc.sock)\n"
            "      --no-mipc            do not serve the microipc protocol\n"
            "  -g, --group NAME         socket group: mode 0660, members' peers allowed\n"
            "  -f, --foreground         do not detach; log to stderr\n"
            "  -l, --log-level LEVEL    error, warn, info (default) or debug\n"
            "      --image PATH         back the file system by an image file\n"
            "      --fs-blocks N        file system size in 4 KiB blocks (default 4096)\n"
            "      --tick-hz N          kernel clock rate (default 1000: ticks = ms)\n"
            "      --max-clients N      connections at once (default 64)\n"
            "      --max-frame BYTES    largest frame (default 1048576)\n"
            "      --max-procs N        kernel processes per client (default 64)\n"
            "      --max-queues N       queues, and semaphores, per client (default 64)\n"
            "      --max-client-mem B   bytes per client: queue storage + buffers\n"
            "                           (default 16777216)\n"
            "      --idle-timeout S     close connections silent for S seconds (0 = never)\n"
            "  -h, --help               this text\n"
            "  -V, --version            print the version\n");
}

static int num(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno || e == s || *e || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static void on_signal(uv_signal_t *h, int sig)
{
    mkd_log(MKD_LOG_INFO, "signal %d: shutting down", sig);
    for (int i = 0; i < 2; i++)
        if (!uv_is_closing((uv_handle_t *)&g_sig[i]))
            uv_close((uv_handle_t *)&g_sig[i], NULL);
    mkd_server_stop(g_sv);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"socket", 1, 0, 's'},       {"mipc-socket", 1, 0, 'm'}, {"no-mipc", 0, 0, 'N'},
        {"group", 1, 0, 'g'},        {"foreground", 0, 0, 'f'},  {"log-level", 1, 0, 'l'},
        {"image", 1, 0, 'I'},        {"fs-blocks", 1, 0, 'B'},   {"tick-hz", 1, 0, 'T'},
        {"max-clients", 1, 0, 'C'},  {"max-frame", 1, 0, 'F'},   {"max-procs", 1, 0, 'P'},
        {"max-queues", 1, 0, 'Q'},   {"max-client-mem", 1, 0, 'M'},
        {"idle-timeout", 1, 0, 'D'}, {"help", 0, 0, 'h'},        {"version", 0, 0, 'V'},
        {0, 0, 0, 0}};
    struct mkd_limits lim = {64, MK__PROTO_FRAME_DEFAULT, 64, 64, 16u << 20, 0};
    struct mkd_server_opts so = {NULL, "/tmp/mipc.sock", (gid_t)-1, MKD_LOG_INFO};
    const char *image = NULL;
    uint64_t blocks = 4096, hz = 1000, v;
    int foreground = 0, opt;
    char defpath[MK_CLIENT_PATH_MAX + 1];

    while ((opt = getopt_long(argc, argv, "s:m:g:fl:hV", lo, NULL)) != -1) {
        switch (opt) {
        case 's': so.path = optarg; break;
        case 'm': so.mipc_path = optarg; break;
        case 'N': so.mipc_path = NULL; break;
        case 'g': {
            struct group *g = getgrnam(optarg);
            if (!g) {
                fprintf(stderr, "mkd: unknown group '%s'\n", optarg);
                return 2;
            }
            so.group = g->gr_gid;
            break;
        }
        case 'f': foreground = 1; break;
        case 'l':
            if (!strcmp(optarg, "error")) mkd_log_level = MKD_LOG_ERROR;
            else if (!strcmp(optarg, "warn")) mkd_log_level = MKD_LOG_WARN;
            else if (!strcmp(optarg, "info")) mkd_log_level = MKD_LOG_INFO;
            else if (!strcmp(optarg, "debug")) mkd_log_level = MKD_LOG_DEBUG;
            else {
                fprintf(stderr, "mkd: bad log level '%s'\n", optarg);
                return 2;
            }
            break;
        case 'I': image = optarg; break;
#define NUM(var, lo_, hi_)                                                   \
    if (num(optarg, lo_, hi_, &v)) {                                         \
        fprintf(stderr, "mkd: bad value '%s' for --%s\n", optarg, lo[0].name); \
        return 2;                                                            \
    }                                                                        \
    var = v;                                                                 \
    break
        case 'B': NUM(blocks, 64, 1u << 30);
        case 'T': NUM(hz, 1, 1000000);
        case 'C': NUM(lim.max_clients, 1, 1000);
        case 'F': NUM(lim.max_frame, 4096, MK__PROTO_FRAME_LIMIT);
        case 'P': NUM(lim.max_procs, 1, 1u << 20);
        case 'Q': NUM(lim.max_queues, 1, 1u << 20);
        case 'M': NUM(lim.max_mem, 4096, UINT64_MAX >> 1);
        case 'D': NUM(lim.idle_timeout, 0, 1u << 30);
        case 'h': usage(stdout); return 0;
        case 'V': printf("mkd %s (protocol %u)\n", mk_version_string(), MK_CLIENT_PROTO_VERSION);
            return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    if (!so.path) {
        if (mk_client_default_path(defpath, sizeof defpath)) {
            fprintf(stderr, "mkd: default socket path too long\n");
            return 2;
        }
        so.path = defpath;
    }
    so.log_level = mkd_log_level;
    signal(SIGPIPE, SIG_IGN);

    /* Each client has at most one wait in flight: size the pool so a wait
     * never queues behind other clients' waits (libuv reads this once). */
    char tp[16];
    snprintf(tp, sizeof tp, "%u", lim.max_clients + 4 > 1024 ? 1024 : lim.max_clients + 4);
    setenv("UV_THREADPOOL_SIZE", tp, 1);

    int ready[2] = {-1, -1};
    if (!foreground) {
        if (pipe(ready) < 0)
            return 1;
        pid_t p = fork();
        if (p < 0)
            return 1;
        if (p > 0) { /* parent: exit when the child listens (or failed) */
            char ok = 0;
            close(ready[1]);
            ssize_t n = read(ready[0], &ok, 1);
            return n == 1 && ok == 1 ? 0 : 1;
        }
        close(ready[0]);
        setsid();
        mkd_log_syslog = 1;
        openlog("mkd", LOG_PID, LOG_DAEMON);
    }

    mk_config_t cfg;
    mk_config_init(&cfg);
    cfg.tick_hz = (uint32_t)hz;
    mk_t *k;
    int rc = mk_create(&cfg, &k);
    if (rc) {
        mkd_log(MKD_LOG_ERROR, "cannot create the kernel: %s", mk_strerror(rc));
        return 1;
    }
    mk_dev_t dev;
    rc = image ? mk_blk_open_image(k, "mkd0", image, 4096, 0, 0, &dev) : MK_ENOENT;
    if (image && rc == MK_ENOENT)
        rc = mk_blk_open_image(k, "mkd0", image, 4096, blocks, MK_BLK_CREATE, &dev);
    else if (!image)
        rc = mk_blk_create_ram(k, "ram0", 4096, blocks, &dev);
    if (rc == 0)
        rc = mk_vfs_mount(k, dev, "/", MK_MOUNT_FORMAT);
    if (rc) {
        mkd_log(MKD_LOG_ERROR, "cannot set up the file system%s%s: %s", image ? " on " : "",
                image ? image : "", mk_strerror(rc));
        mk_destroy(k);
        return 1;
    }

    struct mkd d;
    struct mipc_state m;
    if (mkd_init(&d, k, &lim, (uint32_t)hz)) {
        mk_destroy(k);
        return 1;
    }
    mipc_init(&m, k);
    uv_loop_t *loop = uv_default_loop();
    if (mkd_server_start(loop, &d, &m, &so, &g_sv) < 0) {
        mipc_fini(&m);
        mkd_fini(&d);
        mk_vfs_unmount(k, "/");
        mk_destroy(k);
        if (ready[1] >= 0) {
            char no = 0;
            (void)!write(ready[1], &no, 1);
        }
        return 1;
    }
    uv_signal_init(loop, &g_sig[0]);
    uv_signal_init(loop, &g_sig[1]);
    uv_signal_start(&g_sig[0], on_signal, SIGINT);
    uv_signal_start(&g_sig[1], on_signal, SIGTERM);
    mkd_log(MKD_LOG_INFO, "ready (pid %d, libmk %s, libuv %s)", (int)getpid(),
            mk_version_string(), uv_version_string());
    if (ready[1] >= 0) {
        char ok = 1;
        (void)!write(ready[1], &ok, 1);
        close(ready[1]);
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
            dup2(nul, 2);
            if (nul > 2)
                close(nul);
        }
        (void)!chdir("/");
    }

    uv_run(loop, UV_RUN_DEFAULT);

    mkd_server_free(g_sv);
    mipc_fini(&m);
    int src = mk_vfs_sync(k);
    int urc = mk_vfs_unmount(k, "/");
    mkd_fini(&d);
    int drc = mk_destroy(k);
    uv_loop_close(loop);
    if (src || urc || drc)
        mkd_log(MKD_LOG_ERROR, "shutdown: sync %s, unmount %s, destroy %s", mk_strerror(src),
                mk_strerror(urc), mk_strerror(drc));
    mkd_log(MKD_LOG_INFO, "stopped");
    return src || urc || drc ? 1 : 0;
}
