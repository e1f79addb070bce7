/*
 * hmap.c - u64-keyed hash map (open addressing, linear probing,
 * backward-shift deletion so no tombstones accumulate; Knuth, TAOCP 6.4
 * Algorithm R) and the string-keyed name map built on it.
 *
 * Lookups are O(1) expected at load factor <= 1/2. No locking of its own.
 * Key and value share a 16-byte entry, so a probe touches one cache line
 * (two separate arrays cost two misses per lookup in a big map); past
 * MK__HUGE_MIN bytes (131072 entries) the entries are on 2 MiB pages
 * (hugealloc.c), so a random lookup in a map of 10^6 keys costs one cache
 * miss and no TLB miss.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

uint64_t mk__hash_u64(uint64_t x)
{
    /* splitmix64 finaliser: spreads sequential keys (pids, block numbers). */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

uint64_t mk__hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

void mk__hmap_init(mk__hmap_t *m)
{
    memset(m, 0, sizeof *m);
}

void mk__hmap_fini(mk__hmap_t *m)
{
    mk__huge_free(m->ents, m->cap * sizeof *m->ents);
    memset(m, 0, sizeof *m);
}

static size_t mk__hmap_find(const mk__hmap_t *m, uint64_t key, bool *found)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)mk__hash_u64(key) & mask;
    while (m->ents[i].val != NULL) {
        if (m->ents[i].key == key) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
    *found = false;
    return i;
}

void *mk__hmap_get(const mk__hmap_t *m, uint64_t key)
{
    if (m->count == 0)
        return NULL;
    bool found;
    size_t i = mk__hmap_find(m, key, &found);
    return found ? m->ents[i].val : NULL;
}

static int mk__hmap_resize(mk__hmap_t *m, size_t ncap)
{
    if (ncap > SIZE_MAX / sizeof(struct mk__hent))
        return MK_ENOMEM;
    struct mk__hent *ne = mk__huge_alloc(ncap * sizeof *ne);
    if (ne == NULL)
        return MK_ENOMEM;
    mk__hmap_t n = {ne, ncap, 0};
    for (size_t i = 0; i < m->cap; i++) {
        if (m->ents[i].val != NULL) {
            bool found;
            size_t j = mk__hmap_find(&n, m->ents[i].key, &found);
            n.ents[j] = m->ents[i];
            n.count++;
        }
    }
    mk__huge_free(m->ents, m->cap * sizeof *m->ents);
    *m = n;
    return 0;
}

int mk__hmap_put(mk__hmap_t *m, uint64_t key, void *val)
{
    bool found = false;
    size_t i = 0;
    if (m->cap != 0)
        i = mk__hmap_find(m, key, &found);
    if (!found && (m->count + 1) * 2 > m->cap) {
        /* Only inserts grow the table, so replacing a value never fails. */
        int rc = mk__hmap_resize(m, m->cap ? m->cap * 2 : 16);
        if (rc != 0)
            return rc;
        i = mk__hmap_find(m, key, &found);
    }
    if (!found)
        m->count++;
    m->ents[i].key = key;
    m->ents[i].val = val;
    return 0;
}

void *mk__hmap_del(mk__hmap_t *m, uint64_t key)
{
    if (m->count == 0)
        return NULL;
    bool found;
    size_t i = mk__hmap_find(m, key, &found);
    if (!found)
        return NULL;
    void *val = m->ents[i].val;
    size_t mask = m->cap - 1;
    /* Backward shift: pull later members of the probe run into the hole. */
    size_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (m->ents[j].val == NULL)
            break;
        size_t home = (size_t)mk__hash_u64(m->ents[j].key) & mask;
        /* Move j into hole unless its home lies cyclically in (hole, j]. */
        bool stays = (hole <= j) ? (hole < home && home <= j) : (hole < home || home <= j);
        if (!stays) {
            m->ents[hole] = m->ents[j];
            hole = j;
        }
    }
    m->ents[hole].val = NULL;
    m->count--;
    return val;
}

void *mk__hmap_next(const mk__hmap_t *m, size_t *cursor, uint64_t *key)
{
    for (size_t i = *cursor; i < m->cap; i++) {
        if (m->ents[i].val != NULL) {
            *cursor = i + 1;
            if (key != NULL)
                *key = m->ents[i].key;
            return m->ents[i].val;
        }
    }
    *cursor = m->cap;
    return NULL;
}

/* ---- name map ---------------------------------------------------------- */

struct mk__nnode {
    struct mk__nnode *next;
    void *val;
    char name[MK_NAME_MAX + 1];
};

void mk__nmap_init(mk__nmap_t *m)
{
    mk__hmap_init(&m->by_hash);
    m->count = 0;
}

void mk__nmap_fini(mk__nmap_t *m)
{
    size_t cur = 0;
    struct mk__nnode *n;
    while ((n = mk__hmap_next(&m->by_hash, &cur, NULL)) != NULL) {
        while (n != NULL) {
            struct mk__nnode *next = n->next;
            free(n);
            n = next;
        }
    }
    mk__hmap_fini(&m->by_hash);
    m->count = 0;
}

void *mk__nmap_get(const mk__nmap_t *m, const char *name)
{
    struct mk__nnode *n = mk__hmap_get(&m->by_hash, mk__hash_str(name));
    for (; n != NULL; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n->val;
    return NULL;
}

int mk__nmap_put(mk__nmap_t *m, const char *name, void *val)
{
    if (strlen(name) > MK_NAME_MAX)
        return MK_ENAMETOOLONG;
    if (mk__nmap_get(m, name) != NULL)
        return MK_EEXIST;
    struct mk__nnode *n = malloc(sizeof *n);
    if (n == NULL)
        return MK_ENOMEM;
    uint64_t h = mk__hash_str(name);
    strcpy(n->name, name);
    n->val = val;
    n->next = mk__hmap_get(&m->by_hash, h);
    int rc = mk__hmap_put(&m->by_hash, h, n);
    if (rc != 0) {
        free(n);
        return rc;
    }
    m->count++;
    return 0;
}

void *mk__nmap_del(mk__nmap_t *m, const char *name)
{
    uint64_t h = mk__hash_str(name);
    struct mk__nnode *head = mk__hmap_get(&m->by_hash, h), *prev = NULL;
    for (struct mk__nnode *n = head; n != NULL; prev = n, n = n->next) {
        if (strcmp(n->name, name) != 0)
            continue;
        void *val = n->val;
        if (prev != NULL)
            prev->next = n->next;
        else if (n->next != NULL)
            mk__hmap_put(&m->by_hash, h, n->next); /* replaces: cannot fail */
        else
            mk__hmap_del(&m->by_hash, h);
        free(n);
        m->count--;
        return val;
    }
    return NULL;
}

int mk__name_check(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return MK_EINVAL;
    if (strnlen(name, MK_NAME_MAX + 1) > MK_NAME_MAX)
        return MK_ENAMETOOLONG;
    return 0;
}
