/*
 * path.c - path strings: lexical normalisation ("." and ".." resolved
 * textually, repeated slashes folded, as in Plan 9's cleanname and Go's
 * path.Clean), longest-prefix mount lookup, and the walk of the remaining
 * components inside one mounted file system.
 *
 * Sits on the fs interface (src/fs/fs.h). Normalisation touches no shared
 * state. Mount lookup needs vfs->mtab held (for reading at least); the
 * walks need the mount's lock, since they call into its file system.
 * Because ".." is resolved before the mount table is consulted, ".." at a
 * mount's root leads into the parent mount's view of the tree, and a
 * mount point need not exist as a directory in the parent file system.
 */
#include "vfs_impl.h"

#include <string.h>

int mk__path_norm(const char *in, char *out, bool *dir_only)
{
    if (in == NULL)
        return MK_EINVAL;
    size_t n = strnlen(in, MK_PATH_MAX + 1);
    if (n > MK_PATH_MAX)
        return MK_ENAMETOOLONG;
    if (n == 0 || in[0] != '/')
        return MK_EINVAL;
    size_t o = 0; /* out holds "" for the root, else "/a/b" */
    bool last_dir = false;
    const char *p = in;
    while (*p != '\0') {
        while (*p == '/')
            p++;
        if (*p == '\0') {
            last_dir = true; /* trailing slash */
            break;
        }
        const char *c = p;
        while (*p != '\0' && *p != '/')
            p++;
        size_t len = (size_t)(p - c);
        if (len > MK_NAME_MAX)
            return MK_ENAMETOOLONG;
        last_dir = false;
        if (len == 1 && c[0] == '.') {
            last_dir = true;
            continue;
        }
        if (len == 2 && c[0] == '.' && c[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--; /* the slash */
            last_dir = true;
            continue;
        }
        out[o++] = '/'; /* never overflows: out is no longer than in */
        memcpy(out + o, c, len);
        o += len;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    *dir_only = last_dir;
    return 0;
}

int mk__path_check_point(const char *point)
{
    char norm[MK_PATH_MAX + 1];
    bool dir_only;
    int rc = mk__path_norm(point, norm, &dir_only);
    if (rc != 0)
        return rc;
    return strcmp(norm, point) == 0 ? 0 : MK_EINVAL;
}

/* Is mount point `pt` (length pl) a component-wise prefix of path s? */
static bool mk__prefix(const char *pt, size_t pl, const char *s)
{
    if (pl == 1) /* "/" */
        return true;
    return strncmp(pt, s, pl) == 0 && (s[pl] == '\0' || s[pl] == '/');
}

int mk__path_resolve_mount(struct mk__vfs *v, const char *in, struct mk__path *p)
{
    int rc = mk__path_norm(in, p->norm, &p->dir_only);
    if (rc != 0)
        return rc;
    /* The list is kept longest point first: the first match is the
     * longest prefix. */
    for (struct mk__mount *m = v->mounts; m != NULL; m = m->next) {
        if (mk__prefix(m->point, m->plen, p->norm)) {
            p->m = m;
            p->rest = p->norm + (m->plen == 1 ? 1 : m->plen);
            while (*p->rest == '/')
                p->rest++;
            return 0;
        }
    }
    p->m = NULL;
    return MK_ENOENT;
}

/* Next component of *s: its start and length; advances *s. false at end. */
static bool mk__next_comp(const char **s, const char **c, size_t *len)
{
    const char *p = *s;
    while (*p == '/')
        p++;
    if (*p == '\0')
        return false;
    *c = p;
    while (*p != '\0' && *p != '/')
        p++;
    *len = (size_t)(p - *c);
    *s = p;
    return true;
}

int mk__path_walk(struct mk__path *p, uint32_t *ino)
{
    uint32_t cur = mk__fs_root(p->m->fs);
    const char *s = p->rest, *c;
    size_t len;
    while (mk__next_comp(&s, &c, &len)) {
        int rc = mk__fs_lookup(p->m->fs, cur, c, len, &cur);
        if (rc != 0)
            return rc;
    }
    if (p->dir_only) {
        struct mk__fs_stat st;
        int rc = mk__fs_stat(p->m->fs, cur, &st);
        if (rc != 0)
            return rc;
        if (st.type != MK__FT_DIR)
            return MK_ENOTDIR;
    }
    *ino = cur;
    return 0;
}

int mk__path_walk_parent(struct mk__path *p, uint32_t *dir, const char **name,
                         size_t *len)
{
    uint32_t cur = mk__fs_root(p->m->fs);
    const char *s = p->rest, *c, *nc;
    size_t l, nl;
    if (!mk__next_comp(&s, &c, &l))
        return MK_EBUSY; /* the mount's root */
    while (mk__next_comp(&s, &nc, &nl)) {
        int rc = mk__fs_lookup(p->m->fs, cur, c, l, &cur);
        if (rc != 0)
            return rc;
        c = nc;
        l = nl;
    }
    *dir = cur;
    *name = c;
    *len = l;
    return 0;
}
