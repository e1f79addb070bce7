/*
 * test-ipc.c - public API of message passing: per-process mailboxes and
 * named work and publish/subscribe queues, with bad input on every call
 * (NULL and destroyed contexts, stale and forged handles, unknown pids,
 * long names, full queues, oversize messages, small receive buffers) and a
 * check after each refusal that nothing queued was lost or changed.
 * Multi-threaded behaviour is in test-threads.c.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mk_t *new_kernel(void)
{
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    ck_assert_ptr_nonnull(k);
    return k;
}

/* Receive one message with NO_WAIT and check tag and bytes. */
static void expect_mbox(mk_t *k, mk_pid_t pid, uint32_t tag, const char *text)
{
    char buf[256];
    uint32_t t = 0;
    size_t len = 0;
    ck_assert_int_eq(mk_mbox_recv(k, pid, &t, buf, sizeof buf, &len, MK_NO_WAIT), 0);
    ck_assert_uint_eq(t, tag);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_mem_eq(buf, text, len);
}

static void expect_queue(mk_t *k, mk_queue_t q, mk_pid_t pid, uint32_t tag, const char *text)
{
    char buf[256];
    uint32_t t = 0;
    size_t len = 0;
    ck_assert_int_eq(mk_queue_recv(k, q, pid, &t, buf, sizeof buf, &len, MK_NO_WAIT), 0);
    ck_assert_uint_eq(t, tag);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_mem_eq(buf, text, len);
}

static uint32_t mbox_count(mk_t *k, mk_pid_t pid)
{
    uint32_t c = 0xffffffffu;
    ck_assert_int_eq(mk_mbox_count(k, pid, &c), 0);
    return c;
}

static uint32_t queue_count(mk_t *k, mk_queue_t q, mk_pid_t pid)
{
    uint32_t c = 0xffffffffu;
    ck_assert_int_eq(mk_queue_count(k, q, pid, &c), 0);
    return c;
}

/* ---- mailboxes -------------------------------------------------------- */

START_TEST(mbox_fifo_with_tags)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_uint_eq(mbox_count(k, 1), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 10, "first", 5, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 20, "second!", 7, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 30, "3", 1, MK_FOREVER), 0);
    ck_assert_uint_eq(mbox_count(k, 1), 3);
    uint32_t tag = 0;
    size_t len = 0;
    ck_assert_int_eq(mk_mbox_peek(k, 1, &tag, &len), 0);
    ck_assert_uint_eq(tag, 10);
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(mk_mbox_peek(k, 1, NULL, NULL), 0);
    ck_assert_uint_eq(mbox_count(k, 1), 3); /* peek removes nothing */
    expect_mbox(k, 1, 10, "first");
    expect_mbox(k, 1, 20, "second!");
    expect_mbox(k, 1, 30, "3");
    tag = 99;
    char buf[8];
    ck_assert_int_eq(mk_mbox_recv(k, 1, &tag, buf, sizeof buf, &len, MK_NO_WAIT), MK_EAGAIN);
    ck_assert_int_eq(mk_mbox_peek(k, 1, &tag, &len), MK_EAGAIN);
    ck_assert_uint_eq(tag, 99);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(mbox_messages_are_copied)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    char data[16] = "original";
    ck_assert_int_eq(mk_mbox_send(k, 1, 0, data, 9, MK_NO_WAIT), 0);
    strcpy(data, "changed");
    char buf[16];
    size_t len;
    ck_assert_int_eq(mk_mbox_recv(k, 1, NULL, buf, sizeof buf, &len, MK_NO_WAIT), 0);
    ck_assert_str_eq(buf, "original");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(mbox_empty_message)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 5, NULL, 0, MK_NO_WAIT), 0);
    uint32_t tag = 0;
    size_t len = 99;
    ck_assert_int_eq(mk_mbox_recv(k, 1, &tag, NULL, 0, &len, MK_NO_WAIT), 0);
    ck_assert_uint_eq(tag, 5);
    ck_assert_uint_eq(len, 0);
    ck_assert_uint_eq(mbox_count(k, 1), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(mbox_is_per_process)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 2, NULL), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 1, "to one", 6, MK_NO_WAIT), 0);
    ck_assert_uint_eq(mbox_count(k, 2), 0);
    char buf[8];
    size_t len;
    ck_assert_int_eq(mk_mbox_recv(k, 2, NULL, buf, sizeof buf, &len, MK_NO_WAIT), MK_EAGAIN);
    expect_mbox(k, 1, 1, "to one");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(mbox_unknown_pid)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    char buf[8];
    size_t len = 7;
    uint32_t tag = 7, c = 7;
    const mk_pid_t bad[] = {MK_PID_KERNEL, 2, 99, MK_PID_MAX, MK_PID_MAX + 1, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(mk_mbox_send(k, bad[i], 0, "x", 1, MK_NO_WAIT), MK_ENOENT);
        ck_assert_int_eq(mk_mbox_send(k, bad[i], 0, "x", 1, 5), MK_ENOENT);
        ck_assert_int_eq(mk_mbox_recv(k, bad[i], &tag, buf, sizeof buf, &len, MK_NO_WAIT),
                         MK_ENOENT);
        ck_assert_int_eq(mk_mbox_recv(k, bad[i], &tag, buf, sizeof buf, &len, MK_FOREVER),
                         MK_ENOENT);
        ck_assert_int_eq(mk_mbox_peek(k, bad[i], &tag, &len), MK_ENOENT);
        ck_assert_int_eq(mk_mbox_count(k, bad[i], &c), MK_ENOENT);
        ck_assert_int_eq(mk_mbox_set_capacity(k, bad[i], 8), MK_ENOENT);
    }
    ck_assert_uint_eq(len, 7);
    ck_assert_uint_eq(tag, 7);
    ck_assert_uint_eq(c, 7);
    ck_assert_uint_eq(mbox_count(k, 1), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(mbox_bad_pointers)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 0, "keep", 4, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 0, NULL, 3, MK_NO_WAIT), MK_EINVAL);
    size_t len;
    ck_assert_int_eq(mk_mbox_recv(k, 1, NULL, NULL, 16, &len, MK_NO_WAIT), MK_EINVAL);
    ck_assert_int_eq(mk_mbox_count(k, 1, NULL), MK_EINVAL);
    ck_assert_uint_eq(mbox_count(k, 1), 1);
    expect_mbox(k, 1, 0, "keep");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(mbox_oversize_message)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    size_t big = MK_MSG_MAX_DEFAULT + 1;
    unsigned char *data = malloc(big);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < big; i++)
        data[i] = (unsigned char)(i * 7);
    ck_assert_int_eq(mk_mbox_send(k, 1, 1, data, big, MK_NO_WAIT), MK_EMSGSIZE);
    ck_assert_int_eq(mk_mbox_send(k, 1, 1, data, big, MK_FOREVER), MK_EMSGSIZE);
    ck_assert_uint_eq(mbox_count(k, 1), 0);
    /* Exactly the maximum is accepted and arrives intact. */
    ck_assert_int_eq(mk_mbox_send(k, 1, 2, data, MK_MSG_MAX_DEFAULT, MK_NO_WAIT), 0);
    unsigned char *buf = malloc(big);
    ck_assert_ptr_nonnull(buf);
    size_t len = 0;
    uint32_t tag = 0;
    ck_assert_int_eq(mk_mbox_recv(k, 1, &tag, buf, big, &len, MK_NO_WAIT), 0);
    ck_assert_uint_eq(tag, 2);
    ck_assert_uint_eq(len, MK_MSG_MAX_DEFAULT);
    ck_assert_mem_eq(buf, data, MK_MSG_MAX_DEFAULT);
    free(buf);
    free(data);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(mbox_full_keeps_old_messages)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    char msg[16];
    for (int i = 0; i < MK_MBOX_CAPACITY_DEFAULT; i++) {
        snprintf(msg, sizeof msg, "m%d", i);
        ck_assert_int_eq(mk_mbox_send(k, 1, (uint32_t)i, msg, strlen(msg), MK_NO_WAIT), 0);
    }
    ck_assert_int_eq(mk_mbox_send(k, 1, 999, "over", 4, MK_NO_WAIT), MK_EAGAIN);
    ck_assert_int_eq(mk_mbox_send(k, 1, 999, "over", 4, 5), MK_ETIMEDOUT);
    ck_assert_uint_eq(mbox_count(k, 1), MK_MBOX_CAPACITY_DEFAULT);
    for (int i = 0; i < MK_MBOX_CAPACITY_DEFAULT; i++) {
        snprintf(msg, sizeof msg, "m%d", i);
        expect_mbox(k, 1, (uint32_t)i, msg);
    }
    ck_assert_uint_eq(mbox_count(k, 1), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(mbox_small_buffer_keeps_message)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 4, "0123456789", 10, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 5, "ab", 2, MK_NO_WAIT), 0);
    char buf[16];
    memset(buf, '#', sizeof buf);
    uint32_t tag = 77;
    size_t len = 77;
    ck_assert_int_eq(mk_mbox_recv(k, 1, &tag, buf, 9, &len, MK_NO_WAIT), MK_EMSGSIZE);
    ck_assert_int_eq(mk_mbox_recv(k, 1, &tag, NULL, 0, &len, 5), MK_EMSGSIZE);
    ck_assert_uint_eq(tag, 77);
    ck_assert_uint_eq(len, 77);
    ck_assert_int_eq(buf[0], '#');
    ck_assert_uint_eq(mbox_count(k, 1), 2);
    expect_mbox(k, 1, 4, "0123456789");
    expect_mbox(k, 1, 5, "ab");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(mbox_recv_times_out_when_empty)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    char buf[4];
    size_t len = 3;
    ck_assert_int_eq(mk_mbox_recv(k, 1, NULL, buf, sizeof buf, &len, 3), MK_ETIMEDOUT);
    ck_assert_uint_eq(len, 3);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(mbox_set_capacity)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_mbox_set_capacity(k, 1, 3), 0);
    /* Move the ring's start so the resize has to re-home wrapped slots. */
    ck_assert_int_eq(mk_mbox_send(k, 1, 0, "a", 1, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 1, "b", 1, MK_NO_WAIT), 0);
    expect_mbox(k, 1, 0, "a");
    ck_assert_int_eq(mk_mbox_send(k, 1, 2, "c", 1, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 3, "d", 1, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 4, "e", 1, MK_NO_WAIT), MK_EAGAIN);
    ck_assert_int_eq(mk_mbox_set_capacity(k, 1, 2), MK_EBUSY);
    ck_assert_int_eq(mk_mbox_set_capacity(k, 1, 0), MK_ERANGE);
    ck_assert_int_eq(mk_mbox_set_capacity(k, 1, MK_QUEUE_CAPACITY_MAX + 1), MK_ERANGE);
    ck_assert_uint_eq(mbox_count(k, 1), 3);
    ck_assert_int_eq(mk_mbox_set_capacity(k, 1, 5), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 4, "e", 1, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 5, "f", 1, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 6, "g", 1, MK_NO_WAIT), MK_EAGAIN);
    expect_mbox(k, 1, 1, "b");
    expect_mbox(k, 1, 2, "c");
    /* Shrink to exactly the number queued. */
    ck_assert_int_eq(mk_mbox_set_capacity(k, 1, 3), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 6, "g", 1, MK_NO_WAIT), MK_EAGAIN);
    expect_mbox(k, 1, 3, "d");
    expect_mbox(k, 1, 4, "e");
    expect_mbox(k, 1, 5, "f");
    ck_assert_int_eq(mk_mbox_set_capacity(k, 1, MK_QUEUE_CAPACITY_MAX), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- named queues: life cycle ----------------------------------------- */

START_TEST(queue_create_open_delete)
{
    mk_t *k = new_kernel();
    mk_queue_t q = 0, q2 = 0, again = 0;
    ck_assert_int_eq(mk_queue_create(k, "jobs", NULL, &q), 0);
    ck_assert_uint_ne(q, 0);
    ck_assert_int_eq(mk_queue_open(k, "jobs", &q2), 0);
    ck_assert_uint_eq(q2, q);
    ck_assert_int_eq(mk_queue_create(k, "jobs", NULL, &again), MK_EEXIST);
    ck_assert_uint_eq(again, 0);
    ck_assert_int_eq(mk_queue_open(k, "nope", &again), MK_ENOENT);
    ck_assert_int_eq(mk_queue_send(k, q, 1, "left", 4, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_delete(k, q), 0);
    ck_assert_int_eq(mk_queue_delete(k, q), MK_EBADH);
    ck_assert_int_eq(mk_queue_open(k, "jobs", &again), MK_ENOENT);
    /* The name is free again; the new queue is empty and the old handle
     * stays stale even if the slot is reused. */
    ck_assert_int_eq(mk_queue_create(k, "jobs", NULL, &again), 0);
    ck_assert_uint_ne(again, q);
    ck_assert_uint_eq(queue_count(k, again, 0), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 1, "x", 1, MK_NO_WAIT), MK_EBADH);
    ck_assert_uint_eq(queue_count(k, again, 0), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(queue_names)
{
    mk_t *k = new_kernel();
    char name[MK_NAME_MAX + 2];
    memset(name, 'q', sizeof name);
    name[MK_NAME_MAX + 1] = '\0'; /* one byte too long */
    mk_queue_t q = 5;
    ck_assert_int_eq(mk_queue_create(k, name, NULL, &q), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_queue_open(k, name, &q), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_queue_create(k, NULL, NULL, &q), MK_EINVAL);
    ck_assert_int_eq(mk_queue_create(k, "", NULL, &q), MK_EINVAL);
    ck_assert_int_eq(mk_queue_open(k, NULL, &q), MK_EINVAL);
    ck_assert_int_eq(mk_queue_open(k, "", &q), MK_EINVAL);
    ck_assert_int_eq(mk_queue_create(k, "ok", NULL, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_queue_open(k, "ok", NULL), MK_EINVAL);
    ck_assert_uint_eq(q, 5);
    name[MK_NAME_MAX] = '\0'; /* exactly the maximum */
    ck_assert_int_eq(mk_queue_create(k, name, NULL, &q), 0);
    mk_queue_t q2;
    ck_assert_int_eq(mk_queue_open(k, name, &q2), 0);
    ck_assert_uint_eq(q, q2);
    /* Failed creates left nothing behind. */
    ck_assert_int_eq(mk_queue_open(k, "ok", &q2), MK_ENOENT);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(queue_attr_checks)
{
    mk_t *k = new_kernel();
    mk_queue_attr_init(NULL); /* ignored */
    mk_queue_attr_t a;
    mk_queue_attr_init(&a);
    ck_assert_uint_eq(a.size, sizeof a);
    ck_assert_uint_eq(a.mode, MK_QUEUE_WORK);
    ck_assert_uint_eq(a.capacity, 0);
    ck_assert_uint_eq(a.msg_max, 0);
    mk_queue_t q = 3;
    a.size = 4;
    ck_assert_int_eq(mk_queue_create(k, "a", &a, &q), MK_EINVAL);
    mk_queue_attr_init(&a);
    a.mode = 2;
    ck_assert_int_eq(mk_queue_create(k, "a", &a, &q), MK_EINVAL);
    mk_queue_attr_init(&a);
    a.capacity = MK_QUEUE_CAPACITY_MAX + 1;
    ck_assert_int_eq(mk_queue_create(k, "a", &a, &q), MK_ERANGE);
    mk_queue_attr_init(&a);
    a.msg_max = MK_MSG_MAX_LIMIT + 1;
    ck_assert_int_eq(mk_queue_create(k, "a", &a, &q), MK_ERANGE);
    ck_assert_uint_eq(q, 3);
    ck_assert_int_eq(mk_queue_open(k, "a", &q), MK_ENOENT);
    mk_queue_attr_init(&a);
    a.capacity = 2;
    a.msg_max = 8;
    ck_assert_int_eq(mk_queue_create(k, "a", &a, &q), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 0, "12345678", 8, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 0, "123456789", 9, MK_NO_WAIT), MK_EMSGSIZE);
    ck_assert_int_eq(mk_queue_send(k, q, 1, "x", 1, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 2, "y", 1, MK_NO_WAIT), MK_EAGAIN);
    expect_queue(k, q, 0, 0, "12345678");
    expect_queue(k, q, 0, 1, "x");
    /* Defaults: 64 messages of up to MK_MSG_MAX_DEFAULT bytes. */
    mk_queue_t d;
    ck_assert_int_eq(mk_queue_create(k, "d", NULL, &d), 0);
    for (int i = 0; i < MK_MBOX_CAPACITY_DEFAULT; i++)
        ck_assert_int_eq(mk_queue_send(k, d, (uint32_t)i, NULL, 0, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, d, 0, NULL, 0, MK_NO_WAIT), MK_EAGAIN);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- work queues ------------------------------------------------------- */

START_TEST(work_queue_fifo_and_peek)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 8, NULL), 0);
    mk_queue_t q;
    ck_assert_int_eq(mk_queue_create(k, "w", NULL, &q), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 1, "one", 3, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 2, "two", 3, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 3, "three", 5, MK_NO_WAIT), 0);
    ck_assert_uint_eq(queue_count(k, q, 0), 3);
    ck_assert_uint_eq(queue_count(k, q, 8), 3);
    uint32_t tag;
    size_t len;
    ck_assert_int_eq(mk_queue_peek(k, q, 0, &tag, &len), 0);
    ck_assert_uint_eq(tag, 1);
    ck_assert_uint_eq(len, 3);
    expect_queue(k, q, 0, 1, "one");
    expect_queue(k, q, 8, 2, "two"); /* any receiver takes the next one */
    expect_queue(k, q, 0, 3, "three");
    char buf[4];
    ck_assert_int_eq(mk_queue_recv(k, q, 0, &tag, buf, sizeof buf, &len, MK_NO_WAIT),
                     MK_EAGAIN);
    ck_assert_int_eq(mk_queue_recv(k, q, 0, &tag, buf, sizeof buf, &len, 3), MK_ETIMEDOUT);
    ck_assert_int_eq(mk_queue_peek(k, q, 0, &tag, &len), MK_EAGAIN);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(work_queue_unknown_pid)
{
    mk_t *k = new_kernel();
    mk_queue_t q;
    ck_assert_int_eq(mk_queue_create(k, "w", NULL, &q), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 1, "m", 1, MK_NO_WAIT), 0);
    char buf[4];
    uint32_t tag, c;
    size_t len;
    ck_assert_int_eq(mk_queue_recv(k, q, 5, &tag, buf, sizeof buf, &len, MK_NO_WAIT),
                     MK_ENOENT);
    ck_assert_int_eq(mk_queue_peek(k, q, 5, &tag, &len), MK_ENOENT);
    ck_assert_int_eq(mk_queue_count(k, q, 5, &c), MK_ENOENT);
    ck_assert_int_eq(mk_queue_recv(k, q, MK_PID_MAX + 1, &tag, buf, sizeof buf, &len,
                                   MK_NO_WAIT),
                     MK_ENOENT);
    ck_assert_uint_eq(queue_count(k, q, 0), 1);
    expect_queue(k, q, 0, 1, "m");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(work_queue_small_buffer_and_bad_pointers)
{
    mk_t *k = new_kernel();
    mk_queue_t q;
    ck_assert_int_eq(mk_queue_create(k, "w", NULL, &q), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 9, "abcdef", 6, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 0, NULL, 1, MK_NO_WAIT), MK_EINVAL);
    char buf[8] = "#######";
    uint32_t tag = 1;
    size_t len = 1;
    ck_assert_int_eq(mk_queue_recv(k, q, 0, &tag, buf, 5, &len, MK_NO_WAIT), MK_EMSGSIZE);
    ck_assert_int_eq(mk_queue_recv(k, q, 0, &tag, NULL, 5, &len, MK_NO_WAIT), MK_EINVAL);
    ck_assert_int_eq(mk_queue_count(k, q, 0, NULL), MK_EINVAL);
    ck_assert_uint_eq(tag, 1);
    ck_assert_uint_eq(len, 1);
    ck_assert_str_eq(buf, "#######");
    ck_assert_uint_eq(queue_count(k, q, 0), 1);
    expect_queue(k, q, 0, 9, "abcdef");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(queue_stale_and_forged_handles)
{
    mk_t *k = new_kernel();
    mk_queue_t q, dead;
    ck_assert_int_eq(mk_queue_create(k, "dead", NULL, &dead), 0);
    ck_assert_int_eq(mk_queue_delete(k, dead), 0);
    ck_assert_int_eq(mk_queue_create(k, "live", NULL, &q), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 1, "keep", 4, MK_NO_WAIT), 0);
    mk_sem_t s;
    ck_assert_int_eq(mk_sem_create(k, "live", 1, 0, &s), 0); /* another kind */
    const mk_queue_t bad[] = {0,
                              dead,
                              q + 1,
                              q ^ (1ull << 32), /* other generation */
                              q ^ (1ull << 56), /* other type tag */
                              s,
                              UINT64_MAX,
                              0x03000001000fffffull};
    char buf[8];
    uint32_t tag = 0, c = 0;
    size_t len = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(mk_queue_send(k, bad[i], 0, "x", 1, MK_NO_WAIT), MK_EBADH);
        ck_assert_int_eq(mk_queue_recv(k, bad[i], 0, &tag, buf, sizeof buf, &len, MK_FOREVER),
                         MK_EBADH);
        ck_assert_int_eq(mk_queue_peek(k, bad[i], 0, &tag, &len), MK_EBADH);
        ck_assert_int_eq(mk_queue_count(k, bad[i], 0, &c), MK_EBADH);
        ck_assert_int_eq(mk_queue_subscribe(k, bad[i], 0), MK_EBADH);
        ck_assert_int_eq(mk_queue_unsubscribe(k, bad[i], 0), MK_EBADH);
        ck_assert_int_eq(mk_queue_delete(k, bad[i]), MK_EBADH);
    }
    ck_assert_uint_eq(queue_count(k, q, 0), 1);
    expect_queue(k, q, 0, 1, "keep");
    uint32_t v;
    ck_assert_int_eq(mk_sem_value(k, s, &v), 0);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- publish/subscribe ------------------------------------------------- */

static mk_queue_t new_pubsub(mk_t *k, const char *name, uint32_t cap)
{
    mk_queue_attr_t a;
    mk_queue_attr_init(&a);
    a.mode = MK_QUEUE_PUBSUB;
    a.capacity = cap;
    mk_queue_t q;
    ck_assert_int_eq(mk_queue_create(k, name, &a, &q), 0);
    return q;
}

START_TEST(pubsub_fan_out)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 2, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 3, NULL), 0);
    mk_queue_t q = new_pubsub(k, "news", 0);
    ck_assert_int_eq(mk_queue_subscribe(k, q, 1), 0);
    ck_assert_int_eq(mk_queue_subscribe(k, q, 2), 0);
    ck_assert_int_eq(mk_queue_subscribe(k, q, MK_PID_KERNEL), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 1, "a", 1, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 2, "bb", 2, MK_NO_WAIT), 0);
    /* A late subscriber sees only what is sent after it joined. */
    ck_assert_int_eq(mk_queue_subscribe(k, q, 3), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 3, "ccc", 3, MK_NO_WAIT), 0);
    ck_assert_uint_eq(queue_count(k, q, 1), 3);
    ck_assert_uint_eq(queue_count(k, q, 2), 3);
    ck_assert_uint_eq(queue_count(k, q, 0), 3);
    ck_assert_uint_eq(queue_count(k, q, 3), 1);
    const mk_pid_t readers[] = {1, 2, 0};
    for (int i = 0; i < 3; i++) {
        uint32_t tag;
        size_t len;
        ck_assert_int_eq(mk_queue_peek(k, q, readers[i], &tag, &len), 0);
        ck_assert_uint_eq(tag, 1);
        expect_queue(k, q, readers[i], 1, "a");
        expect_queue(k, q, readers[i], 2, "bb");
        expect_queue(k, q, readers[i], 3, "ccc");
        ck_assert_uint_eq(queue_count(k, q, readers[i]), 0);
    }
    expect_queue(k, q, 3, 3, "ccc");
    char buf[4];
    size_t len;
    ck_assert_int_eq(mk_queue_recv(k, q, 3, NULL, buf, sizeof buf, &len, MK_NO_WAIT),
                     MK_EAGAIN);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(pubsub_subscription_errors)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 2, NULL), 0);
    mk_queue_t w, p = new_pubsub(k, "ps", 4);
    ck_assert_int_eq(mk_queue_create(k, "work", NULL, &w), 0);
    ck_assert_int_eq(mk_queue_subscribe(k, w, 1), MK_ENOTSUP);
    ck_assert_int_eq(mk_queue_unsubscribe(k, w, 1), MK_ENOTSUP);
    ck_assert_int_eq(mk_queue_subscribe(k, p, 9), MK_ENOENT);
    ck_assert_int_eq(mk_queue_subscribe(k, p, MK_PID_MAX + 1), MK_ENOENT);
    ck_assert_int_eq(mk_queue_subscribe(k, p, 1), 0);
    ck_assert_int_eq(mk_queue_subscribe(k, p, 1), MK_EEXIST);
    ck_assert_int_eq(mk_queue_unsubscribe(k, p, 2), MK_ENOENT);
    ck_assert_int_eq(mk_queue_send(k, p, 7, "x", 1, MK_NO_WAIT), 0);
    /* Not a subscriber: EPERM; not a process: ENOENT. */
    char buf[4];
    uint32_t tag = 0, c = 0;
    size_t len = 0;
    ck_assert_int_eq(mk_queue_recv(k, p, 2, &tag, buf, sizeof buf, &len, MK_NO_WAIT), MK_EPERM);
    ck_assert_int_eq(mk_queue_recv(k, p, 2, &tag, buf, sizeof buf, &len, MK_FOREVER), MK_EPERM);
    ck_assert_int_eq(mk_queue_recv(k, p, 0, &tag, buf, sizeof buf, &len, MK_NO_WAIT), MK_EPERM);
    ck_assert_int_eq(mk_queue_peek(k, p, 2, &tag, &len), MK_EPERM);
    ck_assert_int_eq(mk_queue_count(k, p, 2, &c), MK_EPERM);
    ck_assert_int_eq(mk_queue_recv(k, p, 9, &tag, buf, sizeof buf, &len, MK_NO_WAIT),
                     MK_ENOENT);
    ck_assert_int_eq(mk_queue_count(k, p, 9, &c), MK_ENOENT);
    ck_assert_uint_eq(tag, 0);
    ck_assert_uint_eq(len, 0);
    ck_assert_uint_eq(c, 0);
    /* Subscriber 1 still has its message. */
    expect_queue(k, p, 1, 7, "x");
    ck_assert_int_eq(mk_queue_unsubscribe(k, p, 1), 0);
    ck_assert_int_eq(mk_queue_unsubscribe(k, p, 1), MK_ENOENT);
    ck_assert_int_eq(mk_queue_count(k, p, 1, &c), MK_EPERM);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(pubsub_slowest_subscriber_sets_back_pressure)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 2, NULL), 0);
    mk_queue_t q = new_pubsub(k, "ps", 3);
    ck_assert_int_eq(mk_queue_subscribe(k, q, 1), 0);
    ck_assert_int_eq(mk_queue_subscribe(k, q, 2), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 0, "m0", 2, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 1, "m1", 2, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 2, "m2", 2, MK_NO_WAIT), 0);
    /* Fast reader 1 drains; slow reader 2 still holds all three. */
    expect_queue(k, q, 1, 0, "m0");
    expect_queue(k, q, 1, 1, "m1");
    expect_queue(k, q, 1, 2, "m2");
    ck_assert_int_eq(mk_queue_send(k, q, 3, "m3", 2, MK_NO_WAIT), MK_EAGAIN);
    ck_assert_int_eq(mk_queue_send(k, q, 3, "m3", 2, 3), MK_ETIMEDOUT);
    ck_assert_uint_eq(queue_count(k, q, 2), 3);
    ck_assert_uint_eq(queue_count(k, q, 1), 0);
    expect_queue(k, q, 2, 0, "m0");
    ck_assert_int_eq(mk_queue_send(k, q, 3, "m3", 2, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 4, "m4", 2, MK_NO_WAIT), MK_EAGAIN);
    expect_queue(k, q, 2, 1, "m1");
    expect_queue(k, q, 2, 2, "m2");
    expect_queue(k, q, 2, 3, "m3");
    expect_queue(k, q, 1, 3, "m3");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(pubsub_without_subscribers)
{
    mk_t *k = new_kernel();
    mk_queue_t q = new_pubsub(k, "ps", 1);
    /* Nobody to deliver to: accepted, reaches nobody, takes no room. */
    ck_assert_int_eq(mk_queue_send(k, q, 1, "lost?", 5, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 2, "no", 2, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_subscribe(k, q, 0), 0);
    ck_assert_uint_eq(queue_count(k, q, 0), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 3, "yes", 3, MK_NO_WAIT), 0);
    expect_queue(k, q, 0, 3, "yes");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(pubsub_unsubscribe_frees_room)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    mk_queue_t q = new_pubsub(k, "ps", 2);
    ck_assert_int_eq(mk_queue_subscribe(k, q, 1), 0);
    ck_assert_int_eq(mk_queue_subscribe(k, q, 0), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 0, "a", 1, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 1, "b", 1, MK_NO_WAIT), 0);
    expect_queue(k, q, 0, 0, "a");
    expect_queue(k, q, 0, 1, "b");
    ck_assert_int_eq(mk_queue_send(k, q, 2, "c", 1, MK_NO_WAIT), MK_EAGAIN);
    ck_assert_int_eq(mk_queue_unsubscribe(k, q, 1), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 2, "c", 1, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 3, "d", 1, MK_NO_WAIT), 0);
    expect_queue(k, q, 0, 2, "c");
    expect_queue(k, q, 0, 3, "d");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(pubsub_small_buffer_keeps_message)
{
    mk_t *k = new_kernel();
    mk_queue_t q = new_pubsub(k, "ps", 0);
    ck_assert_int_eq(mk_queue_subscribe(k, q, 0), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 4, "longer", 6, MK_NO_WAIT), 0);
    char buf[8] = "#######";
    size_t len = 1;
    ck_assert_int_eq(mk_queue_recv(k, q, 0, NULL, buf, 3, &len, MK_NO_WAIT), MK_EMSGSIZE);
    ck_assert_uint_eq(len, 1);
    ck_assert_str_eq(buf, "#######");
    ck_assert_uint_eq(queue_count(k, q, 0), 1);
    expect_queue(k, q, 0, 4, "longer");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(destroying_process_unsubscribes_it)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 3, NULL), 0);
    mk_queue_t q = new_pubsub(k, "ps", 1);
    mk_queue_t q2 = new_pubsub(k, "ps2", 1);
    ck_assert_int_eq(mk_queue_subscribe(k, q, 3), 0);
    ck_assert_int_eq(mk_queue_subscribe(k, q2, 3), 0);
    ck_assert_int_eq(mk_queue_subscribe(k, q, 0), 0);
    ck_assert_int_eq(mk_queue_send(k, q, 1, "x", 1, MK_NO_WAIT), 0);
    expect_queue(k, q, 0, 1, "x");
    ck_assert_int_eq(mk_queue_send(k, q, 2, "y", 1, MK_NO_WAIT), MK_EAGAIN); /* 3 is slow */
    ck_assert_int_eq(mk_proc_destroy(k, 3), 0);
    /* Its unread message no longer holds the queue. */
    ck_assert_int_eq(mk_queue_send(k, q, 2, "y", 1, MK_NO_WAIT), 0);
    expect_queue(k, q, 0, 2, "y");
    /* A new process with the same pid is not subscribed anywhere. */
    ck_assert_int_eq(mk_proc_create(k, 3, NULL), 0);
    uint32_t c;
    ck_assert_int_eq(mk_queue_count(k, q, 3, &c), MK_EPERM);
    ck_assert_int_eq(mk_queue_count(k, q2, 3, &c), MK_EPERM);
    ck_assert_int_eq(mk_queue_unsubscribe(k, q2, 3), MK_ENOENT);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- bad contexts ------------------------------------------------------ */

static void all_calls_return(mk_t *k, int want)
{
    char buf[4];
    uint32_t tag = 0, c = 0;
    size_t len = 0;
    mk_queue_t q = 0;
    mk_queue_attr_t a;
    mk_queue_attr_init(&a);
    ck_assert_int_eq(mk_mbox_send(k, 1, 0, "x", 1, MK_NO_WAIT), want);
    ck_assert_int_eq(mk_mbox_recv(k, 1, &tag, buf, sizeof buf, &len, MK_FOREVER), want);
    ck_assert_int_eq(mk_mbox_peek(k, 1, &tag, &len), want);
    ck_assert_int_eq(mk_mbox_count(k, 1, &c), want);
    ck_assert_int_eq(mk_mbox_set_capacity(k, 1, 4), want);
    ck_assert_int_eq(mk_queue_create(k, "q", &a, &q), want);
    ck_assert_int_eq(mk_queue_open(k, "q", &q), want);
    ck_assert_int_eq(mk_queue_delete(k, 1), want);
    ck_assert_int_eq(mk_queue_send(k, 1, 0, "x", 1, MK_NO_WAIT), want);
    ck_assert_int_eq(mk_queue_recv(k, 1, 0, &tag, buf, sizeof buf, &len, MK_FOREVER), want);
    ck_assert_int_eq(mk_queue_peek(k, 1, 0, &tag, &len), want);
    ck_assert_int_eq(mk_queue_subscribe(k, 1, 0), want);
    ck_assert_int_eq(mk_queue_unsubscribe(k, 1, 0), want);
    ck_assert_int_eq(mk_queue_count(k, 1, 0, &c), want);
    ck_assert_uint_eq(tag, 0);
    ck_assert_uint_eq(len, 0);
    ck_assert_uint_eq(c, 0);
    ck_assert_uint_eq(q, 0);
}

START_TEST(null_context_is_refused)
{
    all_calls_return(NULL, MK_EINVAL);
}
END_TEST

START_TEST(destroyed_context_is_refused)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    mk_queue_t q;
    ck_assert_int_eq(mk_queue_create(k, "q", NULL, &q), 0);
    ck_assert_int_eq(mk_mbox_send(k, 1, 0, "x", 1, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    all_calls_return(k, MK_EBADH);
}
END_TEST

static Suite *ipc_suite(void)
{
    Suite *s = suite_create("ipc");
    TCase *mb = tcase_create("mailbox");
    tcase_add_test(mb, mbox_fifo_with_tags);
    tcase_add_test(mb, mbox_messages_are_copied);
    tcase_add_test(mb, mbox_empty_message);
    tcase_add_test(mb, mbox_is_per_process);
    tcase_add_test(mb, mbox_unknown_pid);
    tcase_add_test(mb, mbox_bad_pointers);
    tcase_add_test(mb, mbox_oversize_message);
    tcase_add_test(mb, mbox_full_keeps_old_messages);
    tcase_add_test(mb, mbox_small_buffer_keeps_message);
    tcase_add_test(mb, mbox_recv_times_out_when_empty);
    tcase_add_test(mb, mbox_set_capacity);
    suite_add_tcase(s, mb);
    TCase *qc = tcase_create("queue");
    tcase_add_test(qc, queue_create_open_delete);
    tcase_add_test(qc, queue_names);
    tcase_add_test(qc, queue_attr_checks);
    tcase_add_test(qc, work_queue_fifo_and_peek);
    tcase_add_test(qc, work_queue_unknown_pid);
    tcase_add_test(qc, work_queue_small_buffer_and_bad_pointers);
    tcase_add_test(qc, queue_stale_and_forged_handles);
    suite_add_tcase(s, qc);
    TCase *ps = tcase_create("pubsub");
    tcase_add_test(ps, pubsub_fan_out);
    tcase_add_test(ps, pubsub_subscription_errors);
    tcase_add_test(ps, pubsub_slowest_subscriber_sets_back_pressure);
    tcase_add_test(ps, pubsub_without_subscribers);
    tcase_add_test(ps, pubsub_unsubscribe_frees_room);
    tcase_add_test(ps, pubsub_small_buffer_keeps_message);
    tcase_add_test(ps, destroying_process_unsubscribes_it);
    suite_add_tcase(s, ps);
    TCase *bad = tcase_create("context");
    tcase_add_test(bad, null_context_is_refused);
    tcase_add_test(bad, destroyed_context_is_refused);
    suite_add_tcase(s, bad);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ipc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
