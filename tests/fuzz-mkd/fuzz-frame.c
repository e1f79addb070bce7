/*
 * fuzz-frame.c — fuzz target for mkd's native protocol: frame decoding
 * (src/client/proto.c) and request dispatch (daemon/dispatch.c) against a
 * real kernel with a mounted RAM file system.
 *
 * Input: byte 0 selects whether the session starts already handshaken
 * (odd) or must handshake itself; the rest is a stream of frames exactly as
 * they would arrive on the socket (16-byte header + body). Each input gets
 * a fresh session, torn down at the end (its processes destroyed), so
 * inputs do not leak into each other beyond named objects, which the
 * daemon's own per-client and global limits bound. Waits never block
 * (no_block). Built with -fsanitize=fuzzer for fuzzing, and with replay.c
 * by the normal compiler for the corpus test.
 */
#include <stdlib.h>
#include <string.h>

#include "mkd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mkd g_d;
static int g_ready;

static void setup(void)
{
    mk_config_t cfg;
    mk_config_init(&cfg);
    cfg.mem_size = 16u << 20;
    mk_t *k;
    if (mk_create(&cfg, &k))
        abort();
    mk_dev_t dev;
    if (mk_blk_create_ram(k, "ram0", 4096, 256, &dev) || mk_vfs_mount(k, dev, "/", MK_MOUNT_FORMAT))
        abort();
    struct mkd_limits lim = {4, 65536, 8, 8, 1u << 20, 0};
    if (mkd_init(&g_d, k, &lim, 1000))
        abort();
    g_d.no_block = true;
    g_ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_ready)
        setup();
    if (size < 1)
        return 0;
    struct mkd_session s;
    mkd_session_init(&g_d, &s);
    s.hello = data[0] & 1;
    data++;
    size--;
    struct mk__wbuf out = {0};
    while (size >= MK__PROTO_HDR) {
        struct mk__hdr h;
        mk__hdr_get(data, &h);
        if (h.len > g_d.lim.max_frame - MK__PROTO_HDR || h.len > size - MK__PROTO_HDR)
            break; /* the server closes / waits for more */
        struct mkd_job *job = NULL;
        enum mkd_result r = mkd_dispatch(&s, &h, data + MK__PROTO_HDR, &out, &job);
        if (r == MKD_DEFER) { /* cannot happen with no_block; run it anyway */
            mkd_job_run(job);
            mkd_job_answer(&g_d, job, &out);
            mkd_job_free(job);
        }
        /* Every answer must itself be a well-formed frame. */
        if (out.len < MK__PROTO_HDR)
            abort();
        struct mk__hdr a;
        mk__hdr_get(out.p, &a);
        if (a.len != out.len - MK__PROTO_HDR || a.op != h.op || a.seq != h.seq)
            abort();
        data += MK__PROTO_HDR + h.len;
        size -= MK__PROTO_HDR + h.len;
        if (r == MKD_CLOSE)
            break;
    }
    mk__wbuf_free(&out);
    mkd_session_fini(&s);
    return 0;
}
