/*
 * fuzz-mipc.c — fuzz target for the microipc text protocol (daemon/mipc.c):
 * the input is split into lines as the server splits them, each line is
 * parsed and executed against a real kernel, and every answer must be one
 * '\n'-terminated line. State is reset per input (mipc_fini destroys the
 * processes it created). Built with -fsanitize=fuzzer for fuzzing and with
 * replay.c by the normal compiler for the corpus test.
 */
#include <stdlib.h>
#include <string.h>

#include "mkd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mk_t *g_k;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_k) {
        mk_config_t cfg;
        mk_config_init(&cfg);
        cfg.mem_size = 16u << 20;
        if (mk_create(&cfg, &g_k))
            abort();
    }
    struct mipc_state m;
    mipc_init(&m, g_k);
    const char *p = (const char *)data, *end = p + size;
    char out[512];
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len <= MIPC_LINE_MAX) {
            size_t n = mipc_exec(&m, p, len, out, sizeof out);
            if (n == 0 || n >= sizeof out || out[n - 1] != '\n' || memchr(out, '\n', n - 1))
                abort();
        }
        p += len + (nl ? 1 : 0);
    }
    mipc_fini(&m);
    return 0;
}
