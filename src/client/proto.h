/*
 * proto.h — the mkd wire protocol, shared by the daemon and the client.
 *
 * Sits on libc only (no kernel module): both sides encode and decode
 * frames with these helpers so the two can never disagree on a layout.
 *
 * A frame is a 16-byte header followed by `len` body bytes, every integer
 * little-endian:
 *
 *     0       4       6       8      12      16
 *     +-------+---+---+-------+-------+---------------+
 *     |  len  |op |flg|  seq  |status |  body (len)   |
 *     +-------+---+---+-------+-------+---------------+
 *
 * A request carries status 0; the answer repeats op and seq and carries a
 * 0 / MK_E… status and, on success, the op's result fields. Body fields are
 * u32, u64 and blobs (u32 length + bytes); strings are blobs without NUL.
 * The first request on a connection must be MK__OP_HELLO (magic, lowest and
 * highest version the client speaks); the daemon answers with the version
 * chosen, its frame limit and its tick rate, or MK_ENOTSUP.
 *
 * Readers never trust a length: every get_* checks the remaining bytes and
 * latches an error, so a decoder checks `r.err` once at the end.
 */
#ifndef MK_CLIENT_PROTO_H
#define MK_CLIENT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define MK__PROTO_MAGIC 0x31444b4du /* "MKD1" */
#define MK__PROTO_HDR 16u
/* Default and hard upper bound of a frame (header included). */
#define MK__PROTO_FRAME_DEFAULT (1u << 20)
#define MK__PROTO_FRAME_LIMIT (16u << 20)

enum mk__op {
    MK__OP_HELLO = 1,
    MK__OP_PING = 2,
    MK__OP_PROC_CREATE = 10,
    MK__OP_PROC_DESTROY = 11,
    MK__OP_PROC_EXISTS = 12,
    MK__OP_MBOX_SEND = 20,
    MK__OP_MBOX_RECV = 21,
    MK__OP_MBOX_COUNT = 22,
    MK__OP_Q_CREATE = 30,
    MK__OP_Q_OPEN = 31,
    MK__OP_Q_DELETE = 32,
    MK__OP_Q_SEND = 33,
    MK__OP_Q_RECV = 34,
    MK__OP_Q_SUB = 35,
    MK__OP_Q_UNSUB = 36,
    MK__OP_Q_COUNT = 37,
    MK__OP_SEM_CREATE = 40,
    MK__OP_SEM_OPEN = 41,
    MK__OP_SEM_WAIT = 42,
    MK__OP_SEM_POST = 44,
    MK__OP_SEM_VALUE = 45,
    MK__OP_SEM_DELETE = 46,
    MK__OP_VFS_OPEN = 50,
    MK__OP_VFS_CLOSE = 51,
    MK__OP_VFS_READ = 52,
    MK__OP_VFS_WRITE = 53,
    MK__OP_VFS_PREAD = 54,
    MK__OP_VFS_PWRITE = 55,
    MK__OP_VFS_SEEK = 56,
    MK__OP_VFS_UNLINK = 57,
    MK__OP_VFS_MKDIR = 58,
    MK__OP_VFS_STAT = 59,
};

struct mk__hdr {
    uint32_t len; /* body bytes after the header */
    uint16_t op;
    uint16_t flags;
    uint32_t seq;
    int32_t status;
};

/* Growable output buffer; err latches MK_ENOMEM / MK_EMSGSIZE. */
struct mk__wbuf {
    uint8_t *p;
    size_t len, cap, max;
    int err;
};

/* Bounded input cursor; err latches MK_EINVAL on any short read. */
struct mk__rbuf {
    const uint8_t *p;
    size_t len, off;
    int err;
};

void mk__hdr_put(uint8_t out[MK__PROTO_HDR], const struct mk__hdr *h);
void mk__hdr_get(const uint8_t in[MK__PROTO_HDR], struct mk__hdr *h);

/* Start a frame in w (header space reserved); max caps the whole frame. */
int mk__wbuf_begin(struct mk__wbuf *w, size_t max);
void mk__wbuf_put_u32(struct mk__wbuf *w, uint32_t v);
void mk__wbuf_put_u64(struct mk__wbuf *w, uint64_t v);
void mk__wbuf_put_blob(struct mk__wbuf *w, const void *data, size_t len);
/* Finish: write the header with the body length; returns w->err. */
int mk__wbuf_end(struct mk__wbuf *w, uint16_t op, uint32_t seq, int32_t status);
void mk__wbuf_free(struct mk__wbuf *w);

void mk__rbuf_init(struct mk__rbuf *r, const void *body, size_t len);
uint32_t mk__rbuf_u32(struct mk__rbuf *r);
uint64_t mk__rbuf_u64(struct mk__rbuf *r);
/* A blob by reference into the body (no copy); *len its length. */
const uint8_t *mk__rbuf_blob(struct mk__rbuf *r, size_t *len);
/* A string blob copied NUL-terminated into buf (cap bytes); a blob that
 * holds a NUL or does not fit latches MK_EINVAL / MK_ENAMETOOLONG. */
int mk__rbuf_str(struct mk__rbuf *r, char *buf, size_t cap);
/* 0 when every byte was consumed without error, else the latched error
 * (MK_EINVAL for trailing bytes). */
int mk__rbuf_done(const struct mk__rbuf *r);

#endif /* MK_CLIENT_PROTO_H */
