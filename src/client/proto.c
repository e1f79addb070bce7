/*
 * proto.c — encoding and decoding of mkd frames (see proto.h for the
 * layout). Used by the client library and, through the static archive, by
 * the daemon and its fuzz targets.
 *
 * Sits on libc only. Integers are written byte by byte in little-endian
 * order so the wire format does not depend on the host. A writer grows its
 * buffer geometrically up to its frame limit and then latches
 * MK_EMSGSIZE; a reader never reads past its body and latches MK_EINVAL.
 * No locks: a buffer belongs to one caller.
 */
#include "proto.h"

#include <stdlib.h>
#include <string.h>

#include <microkernel/error.h>

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

void mk__hdr_put(uint8_t out[MK__PROTO_HDR], const struct mk__hdr *h)
{
    put32(out, h->len);
    out[4] = (uint8_t)h->op;
    out[5] = (uint8_t)(h->op >> 8);
    out[6] = (uint8_t)h->flags;
    out[7] = (uint8_t)(h->flags >> 8);
    put32(out + 8, h->seq);
    put32(out + 12, (uint32_t)h->status);
}

void mk__hdr_get(const uint8_t in[MK__PROTO_HDR], struct mk__hdr *h)
{
    h->len = get32(in);
    h->op = (uint16_t)(in[4] | in[5] << 8);
    h->flags = (uint16_t)(in[6] | in[7] << 8);
    h->seq = get32(in + 8);
    h->status = (int32_t)get32(in + 12);
}

static int reserve(struct mk__wbuf *w, size_t more)
{
    if (w->err)
        return w->err;
    if (more > w->max || w->len > w->max - more) {
        w->err = MK_EMSGSIZE;
        return w->err;
    }
    if (w->len + more <= w->cap)
        return 0;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + more)
        cap *= 2;
    if (cap > w->max)
        cap = w->max;
    uint8_t *p = realloc(w->p, cap);
    if (!p) {
        w->err = MK_ENOMEM;
        return w->err;
    }
    w->p = p;
    w->cap = cap;
    return 0;
}

int mk__wbuf_begin(struct mk__wbuf *w, size_t max)
{
    w->len = 0;
    w->err = 0;
    w->max = max < MK__PROTO_HDR ? MK__PROTO_HDR : max;
    if (reserve(w, MK__PROTO_HDR))
        return w->err;
    w->len = MK__PROTO_HDR;
    return 0;
}

void mk__wbuf_put_u32(struct mk__wbuf *w, uint32_t v)
{
    if (reserve(w, 4))
        return;
    put32(w->p + w->len, v);
    w->len += 4;
}

void mk__wbuf_put_u64(struct mk__wbuf *w, uint64_t v)
{
    mk__wbuf_put_u32(w, (uint32_t)v);
    mk__wbuf_put_u32(w, (uint32_t)(v >> 32));
}

void mk__wbuf_put_blob(struct mk__wbuf *w, const void *data, size_t len)
{
    if (len > UINT32_MAX) {
        if (!w->err)
            w->err = MK_EMSGSIZE;
        return;
    }
    if (reserve(w, 4 + len))
        return;
    put32(w->p + w->len, (uint32_t)len);
    if (len)
        memcpy(w->p + w->len + 4, data, len);
    w->len += 4 + len;
}

int mk__wbuf_end(struct mk__wbuf *w, uint16_t op, uint32_t seq, int32_t status)
{
    if (w->err)
        return w->err;
    struct mk__hdr h = {(uint32_t)(w->len - MK__PROTO_HDR), op, 0, seq, status};
    mk__hdr_put(w->p, &h);
    return 0;
}

void mk__wbuf_free(struct mk__wbuf *w)
{
    free(w->p);
    w->p = NULL;
    w->len = w->cap = 0;
}

void mk__rbuf_init(struct mk__rbuf *r, const void *body, size_t len)
{
    r->p = body;
    r->len = len;
    r->off = 0;
    r->err = 0;
}

static const uint8_t *take(struct mk__rbuf *r, size_t n)
{
    if (r->err || r->len - r->off < n) {
        r->err = MK_EINVAL;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

uint32_t mk__rbuf_u32(struct mk__rbuf *r)
{
    const uint8_t *p = take(r, 4);
    return p ? get32(p) : 0;
}

uint64_t mk__rbuf_u64(struct mk__rbuf *r)
{
    uint64_t lo = mk__rbuf_u32(r);
    uint64_t hi = mk__rbuf_u32(r);
    return lo | hi << 32;
}

const uint8_t *mk__rbuf_blob(struct mk__rbuf *r, size_t *len)
{
    uint32_t n = mk__rbuf_u32(r);
    const uint8_t *p = take(r, n);
    *len = p ? n : 0;
    return p;
}

int mk__rbuf_str(struct mk__rbuf *r, char *buf, size_t cap)
{
    size_t n;
    const uint8_t *p = mk__rbuf_blob(r, &n);
    if (!p)
        return r->err;
    if (memchr(p, 0, n)) {
        r->err = MK_EINVAL;
        return r->err;
    }
    if (n >= cap) {
        r->err = MK_ENAMETOOLONG;
        return r->err;
    }
    memcpy(buf, p, n);
    buf[n] = 0;
    return 0;
}

int mk__rbuf_done(const struct mk__rbuf *r)
{
    if (r->err)
        return r->err;
    return r->off == r->len ? 0 : MK_EINVAL;
}
