/*
 * context.c - mk_create / mk_destroy, configuration and the process
 * life-cycle hook list.
 *
 * This is the one place where core reaches up: it assembles the modules in
 * layer order (mem, proc, ipc, sync, blk, vfs) and takes them apart in
 * reverse. Destroyed contexts go on a global free list instead of back to
 * the host allocator, so a stale mk_t pointer reads MK__MAGIC_DEAD and the
 * call fails with MK_EBADH rather than touching freed memory.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

static pthread_mutex_t mk__ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mk *mk__ctx_free; /* recycled context shells */

void mk_config_init(mk_config_t *cfg)
{
    if (cfg == NULL)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->size = (uint32_t)sizeof *cfg;
}

static int mk__config_resolve(const mk_config_t *in, mk_config_t *out)
{
    mk_config_init(out);
    if (in != NULL) {
        /* Size-versioned: a caller built against the first layout passes
         * MK_CONFIG_SIZE_V0 and gets defaults for the appended fields. */
        if (in->size < MK_CONFIG_SIZE_V0)
            return MK_EINVAL;
        memcpy(out, in, in->size < sizeof *out ? in->size : sizeof *out);
        out->size = (uint32_t)sizeof *out;
    }
    if (out->tick_hz == 0)
        out->tick_hz = 1000;
    if (out->tick_hz > 1000000)
        return MK_EINVAL;
    if (out->mem_region != NULL) {
        if (out->mem_region_size < 65536)
            return MK_EINVAL;
        out->mem_size = out->mem_region_size;
    } else {
        if (out->mem_region_size != 0)
            return MK_EINVAL;
        if (out->mem_size == 0)
            out->mem_size = 64u << 20;
        if (out->mem_size < 65536 || out->mem_size > ((uint64_t)1 << 40))
            return MK_EINVAL;
    }
    if (out->default_heap_size == 0)
        out->default_heap_size = out->mem_size / 2;
    if (out->default_heap_size > out->mem_size)
        return MK_EINVAL;
    if (out->cache_blocks == 0)
        out->cache_blocks = 1024;
    if (out->cache_blocks > (1u << 24))
        return MK_EINVAL;
    if (out->quantum_ticks == 0)
        out->quantum_ticks = 10;
    /* buffer cache tuning (blk.h): 2 = MK_CACHE_POLICY_2Q, 1 = LRU */
    if (out->cache_policy == 0)
        out->cache_policy = 2;
    if (out->cache_readahead == 0)
        out->cache_readahead = 16;
    if (out->cache_dirty_pct == 0)
        out->cache_dirty_pct = 50;
    if (out->cache_policy > 2 || out->cache_readahead > 1024 || out->cache_dirty_pct > 100 ||
        out->reserved0 != 0)
        return MK_EINVAL;
    return 0;
}

static struct mk *mk__ctx_alloc(void)
{
    struct mk *k = NULL;
    pthread_mutex_lock(&mk__ctx_lock);
    if (mk__ctx_free != NULL) {
        k = mk__ctx_free;
        mk__ctx_free = k->next_free;
    }
    pthread_mutex_unlock(&mk__ctx_lock);
    if (k == NULL)
        k = malloc(sizeof *k);
    if (k != NULL) {
        /* The magic stays dead until the context is fully assembled. */
        atomic_store(&k->magic, MK__MAGIC_DEAD);
        memset((char *)k + sizeof k->magic, 0, sizeof *k - sizeof k->magic);
    }
    return k;
}

static void mk__ctx_release(struct mk *k)
{
    atomic_store(&k->magic, MK__MAGIC_DEAD);
    pthread_mutex_lock(&mk__ctx_lock);
    k->next_free = mk__ctx_free;
    mk__ctx_free = k;
    pthread_mutex_unlock(&mk__ctx_lock);
}

/* Tear down whatever modules are up; returns MK_EIO if write-back failed. */
static int mk__teardown(mk_t *k)
{
    int rc = 0, r;
    if (k->vfs != NULL && (r = mk__vfs_fini(k)) != 0 && rc == 0)
        rc = r;
    if (k->blk != NULL && (r = mk__blk_fini(k)) != 0 && rc == 0)
        rc = r;
    if (k->rpc != NULL)
        mk__rpc_fini(k);
    if (k->irq != NULL)
        mk__irq_fini(k);
    if (k->sync != NULL)
        mk__sync_fini(k);
    if (k->ipc != NULL)
        mk__ipc_fini(k);
    if (k->proc != NULL)
        mk__proc_fini(k);
    if (k->mem != NULL)
        mk__mem_fini(k);
    mk__trace_fini(k);
    return rc;
}

int mk_create(const mk_config_t *cfg, mk_t **out)
{
    if (out == NULL)
        return MK_EINVAL;
    mk_config_t c;
    int rc = mk__config_resolve(cfg, &c);
    if (rc != 0)
        return rc;
    struct mk *k = mk__ctx_alloc();
    if (k == NULL)
        return MK_ENOMEM;
    k->cfg = c;
    atomic_store(&k->ticks, 0);

    if ((rc = mk__trace_init(k)) != 0 || (rc = mk__mem_init(k)) != 0 || (rc = mk__proc_init(k)) != 0 ||
        (rc = mk__ipc_init(k)) != 0 || (rc = mk__sync_init(k)) != 0 ||
        (rc = mk__irq_init(k)) != 0 || (rc = mk__rpc_init(k)) != 0 ||
        (rc = mk__blk_init(k)) != 0 || (rc = mk__vfs_init(k)) != 0) {
        mk__teardown(k);
        mk__ctx_release(k);
        return rc;
    }
    atomic_store_explicit(&k->magic, MK__MAGIC_LIVE, memory_order_release);
    *out = k;
    return 0;
}

int mk_destroy(mk_t *k)
{
    if (k == NULL)
        return 0;
    uint32_t live = MK__MAGIC_LIVE;
    /* Only one caller wins the right to tear the context down. */
    if (!atomic_compare_exchange_strong(&k->magic, &live, MK__MAGIC_DEAD))
        return 0;
    int rc = mk__teardown(k);
    mk__ctx_release(k);
    return rc;
}

int mk_config_get(mk_t *k, mk_config_t *cfg)
{
    MK__CHECK(k);
    if (cfg == NULL || cfg->size < MK_CONFIG_SIZE_V0)
        return MK_EINVAL;
    uint32_t n = cfg->size < sizeof *cfg ? cfg->size : (uint32_t)sizeof *cfg;
    memcpy(cfg, &k->cfg, n); /* at most what the caller's layout holds */
    cfg->size = n;
    return 0;
}

int mk__hook_register(mk_t *k, mk__proc_create_fn on_create, mk__proc_exit_fn on_exit)
{
    if (k->nhooks >= MK__HOOKS_MAX)
        return MK_ENOMEM;
    k->hooks[k->nhooks].on_create = on_create;
    k->hooks[k->nhooks].on_exit = on_exit;
    k->nhooks++;
    return 0;
}

int mk__hooks_run_create(mk_t *k, mk_pid_t pid)
{
    for (int i = 0; i < k->nhooks; i++) {
        if (k->hooks[i].on_create == NULL)
            continue;
        int rc = k->hooks[i].on_create(k, pid);
        if (rc != 0) {
            for (int j = i - 1; j >= 0; j--)
                if (k->hooks[j].on_exit != NULL)
                    k->hooks[j].on_exit(k, pid);
            return rc;
        }
    }
    return 0;
}

void mk__hooks_run_exit(mk_t *k, mk_pid_t pid)
{
    for (int i = k->nhooks - 1; i >= 0; i--)
        if (k->hooks[i].on_exit != NULL)
            k->hooks[i].on_exit(k, pid);
}
