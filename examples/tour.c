/*
 * tour.c - mk-tour, the main demonstration of libmk: one kernel context,
 * every service used for a real job.
 *
 *   1. opens (or creates) a disk image file, mounts it (formatting it only
 *      when it is blank) and lists what earlier runs stored there;
 *   2. imports host files (default: the project's README.md and LICENSE)
 *      and reads them back, checking they are byte-identical;
 *   3. runs processes that exchange messages through mailboxes and a
 *      publish/subscribe queue;
 *   4. allocates from the three heap kinds and prints their statistics;
 *   5. shares a semaphore between two host threads;
 *   6. flushes the buffer cache, prints its statistics, and unmounts.
 *
 * Run it twice: the second run lists the files the first one stored.
 * Usage: mk-tour [--image PATH] [--size MIB] [FILE...]
 */
#include <microkernel/mk.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef MK_TOUR_SOURCE_DIR
#define MK_TOUR_SOURCE_DIR "."
#endif
#ifndef MK_TOUR_DOC_DIR
#define MK_TOUR_DOC_DIR "."
#endif

#define MOUNT_POINT "/disk"
#define FILES_DIR MOUNT_POINT "/imported"

/* Print and fail on an error: the tour stops at the first thing that goes wrong. */
#define TRY(call)                                                            \
    do {                                                                     \
        int rc_ = (call);                                                    \
        if (rc_ != 0) {                                                      \
            fprintf(stderr, "mk-tour: %s:%d: %s: %s (%s)\n", __FILE__,       \
                    __LINE__, #call, mk_strerror(rc_), mk_err_name(rc_));     \
            exit(EXIT_FAILURE);                                              \
        }                                                                    \
    } while (0)

static int read_host_file(const char *path, unsigned char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int err = ferror(f) || buf == NULL;
    fclose(f);
    if (err) {
        free(buf);
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Default inputs: the project's README and LICENSE, looked for in the
 * current directory, then the source tree, then the installed doc dir. */
static const char *find_default(const char *name, char *buf, size_t cap)
{
    const char *dirs[] = {".", MK_TOUR_SOURCE_DIR, MK_TOUR_DOC_DIR};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        struct stat st;
        snprintf(buf, cap, "%s/%s", dirs[i], name);
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
            return buf;
    }
    return NULL;
}

static void list_stored(mk_t *k)
{
    mk_fd_t dir;
    int rc = mk_vfs_open(k, MK_PID_KERNEL, FILES_DIR, MK_O_RDONLY | MK_O_DIRECTORY, &dir);
    if (rc == MK_ENOENT) {
        printf("  (nothing stored yet: this is the first run on this image)\n");
        return;
    }
    TRY(rc);
    mk_dirent_t e;
    e.size = sizeof e;
    uint32_t got;
    int n = 0;
    while (mk_vfs_readdir(k, MK_PID_KERNEL, dir, &e, &got) == 0 && got == 1) {
        if (strcmp(e.name, ".") == 0 || strcmp(e.name, "..") == 0)
            continue;
        char path[256];
        snprintf(path, sizeof path, "%s/%s", FILES_DIR, e.name);
        mk_stat_t st;
        st.size = sizeof st;
        TRY(mk_vfs_stat(k, path, &st));
        printf("  %-24s %8" PRIu64 " bytes  inode %" PRIu64 "\n", e.name, st.bytes, st.ino);
        n++;
        e.size = sizeof e;
    }
    TRY(mk_vfs_close(k, MK_PID_KERNEL, dir));
    printf("  %d file(s) stored by earlier runs\n", n);
}

static void import_file(mk_t *k, const char *host_path)
{
    unsigned char *data;
    size_t len;
    if (read_host_file(host_path, &data, &len) != 0) {
        fprintf(stderr, "mk-tour: cannot read %s: %s\n", host_path, strerror(errno));
        exit(EXIT_FAILURE);
    }
    char path[256];
    snprintf(path, sizeof path, "%s/%s", FILES_DIR, base_name(host_path));
    mk_fd_t fd;
    TRY(mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_WRONLY | MK_O_CREAT | MK_O_TRUNC, &fd));
    size_t done = 0;
    while (done < len) {
        size_t n;
        TRY(mk_vfs_write(k, MK_PID_KERNEL, fd, data + done, len - done, &n));
        done += n;
    }
    TRY(mk_vfs_fsync(k, MK_PID_KERNEL, fd));
    TRY(mk_vfs_close(k, MK_PID_KERNEL, fd));

    /* Read it back through a fresh descriptor and compare every byte. */
    unsigned char *back = malloc(len + 1);
    if (back == NULL)
        exit(EXIT_FAILURE);
    TRY(mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_RDONLY, &fd));
    size_t got = 0, n;
    do {
        TRY(mk_vfs_read(k, MK_PID_KERNEL, fd, back + got, len + 1 - got, &n));
        got += n;
    } while (n > 0 && got <= len);
    TRY(mk_vfs_close(k, MK_PID_KERNEL, fd));
    int same = got == len && memcmp(back, data, len) == 0;
    printf("  %-24s %8zu bytes -> %s: read back %s\n", host_path, len, path,
           same ? "byte-identical" : "DIFFERENT");
    free(back);
    free(data);
    if (!same)
        exit(EXIT_FAILURE);
}

static void message_passing(mk_t *k)
{
    mk_pid_t producer, c1, c2;
    TRY(mk_proc_create(k, 0, &producer));
    TRY(mk_proc_create(k, 0, &c1));
    TRY(mk_proc_create(k, 0, &c2));
    printf("  processes %u (producer), %u and %u (consumers)\n", producer, c1, c2);

    /* Mailboxes: the producer writes to each consumer directly. */
    const char *greeting = "hello from the producer";
    TRY(mk_mbox_send(k, c1, 1, greeting, strlen(greeting), MK_NO_WAIT));
    TRY(mk_mbox_send(k, c2, 1, greeting, strlen(greeting), MK_NO_WAIT));
    for (mk_pid_t pid = c1; pid <= c2; pid++) {
        char buf[128];
        size_t len;
        uint32_t tag;
        TRY(mk_mbox_recv(k, pid, &tag, buf, sizeof buf - 1, &len, MK_NO_WAIT));
        buf[len] = '\0';
        printf("  mailbox of %u: tag %u \"%s\"\n", pid, tag, buf);
        /* Each consumer answers in the producer's mailbox. */
        char reply[64];
        int rl = snprintf(reply, sizeof reply, "ack from %u", pid);
        TRY(mk_mbox_send(k, producer, 2, reply, (size_t)rl, MK_NO_WAIT));
    }
    uint32_t waiting;
    TRY(mk_mbox_count(k, producer, &waiting));
    printf("  producer's mailbox holds %u replies\n", waiting);

    /* Publish/subscribe: every subscriber gets every message. */
    mk_queue_attr_t attr;
    mk_queue_attr_init(&attr);
    attr.mode = MK_QUEUE_PUBSUB;
    attr.capacity = 16;
    mk_queue_t news;
    TRY(mk_queue_create(k, "news", &attr, &news));
    TRY(mk_queue_subscribe(k, news, c1));
    TRY(mk_queue_subscribe(k, news, c2));
    const char *headlines[] = {"kernel boots", "cache warms up", "files persist"};
    for (int i = 0; i < 3; i++)
        TRY(mk_queue_send(k, news, (uint32_t)i, headlines[i], strlen(headlines[i]), MK_NO_WAIT));
    for (mk_pid_t pid = c1; pid <= c2; pid++) {
        printf("  subscriber %u read:", pid);
        char buf[64];
        size_t len;
        uint32_t tag;
        while (mk_queue_recv(k, news, pid, &tag, buf, sizeof buf - 1, &len, MK_NO_WAIT) == 0) {
            buf[len] = '\0';
            printf(" [%u] %s;", tag, buf);
        }
        printf("\n");
    }
    TRY(mk_queue_delete(k, news));
    /* Destroying a process releases its mailbox (and anything else it owns). */
    TRY(mk_proc_destroy(k, c1));
    TRY(mk_proc_destroy(k, c2));
    TRY(mk_proc_destroy(k, producer));
}

static void print_heap(mk_t *k, const char *label, mk_heap_t h)
{
    mk_heap_stats_t st;
    st.size = sizeof st;
    TRY(mk_heap_stats(k, h, &st));
    printf("  %-10s capacity %8" PRIu64 "  used %7" PRIu64 "  free %8" PRIu64
           "  largest free %8" PRIu64 "  high-water %7" PRIu64 "  live %3" PRIu64
           "  fragmentation %u.%u%%\n",
           label, st.capacity, st.used, st.free, st.largest_free, st.high_water,
           st.live_blocks, st.fragmentation_permille / 10, st.fragmentation_permille % 10);
}

static void heaps(mk_t *k)
{
    mk_pid_t pid;
    TRY(mk_proc_create(k, 0, &pid));
    TRY(mk_mem_set_quota(k, pid, 512 * 1024));
    mk_heap_t bump, fixed;
    TRY(mk_heap_create(k, MK_HEAP_BUMP, 256 * 1024, &bump));
    TRY(mk_heap_create(k, MK_HEAP_FIXED, 256 * 1024, &fixed));

    mk_block_t blocks[48];
    int n = 0;
    for (int i = 0; i < 16; i++) {
        TRY(mk_mem_alloc(k, pid, bump, (uint64_t)(100 + 37 * i), &blocks[n++]));
        TRY(mk_mem_alloc(k, pid, MK_HEAP_DEFAULT, (uint64_t)(64 << (i % 8)), &blocks[n++]));
        TRY(mk_mem_alloc(k, pid, fixed, (uint64_t)(16 << (i % 6)), &blocks[n++]));
    }
    /* Free every other free-list block: holes that coalescing must merge later. */
    for (int i = 1; i < n; i += 6)
        TRY(mk_mem_free(k, pid, blocks[i]));
    const char *msg = "bytes in simulated memory";
    TRY(mk_mem_write(k, pid, blocks[0], 0, msg, strlen(msg)));
    char back[32] = {0};
    TRY(mk_mem_read(k, pid, blocks[0], 0, back, strlen(msg)));
    printf("  wrote and read back \"%s\" in a bump block\n", back);
    print_heap(k, "bump", bump);
    print_heap(k, "free-list", MK_HEAP_DEFAULT);
    print_heap(k, "fixed", fixed);
    uint64_t used, quota;
    TRY(mk_mem_usage(k, pid, &used, &quota));
    printf("  process %u uses %" PRIu64 " of its %" PRIu64 "-byte quota; ", pid, used, quota);
    int fits = mk_mem_check(k, pid, 1024 * 1024);
    printf("a 1 MiB allocation would %s\n", fits == 0 ? "fit" : "exceed it (MK_EQUOTA)");
    /* Destroying the process frees every block it still owns. */
    TRY(mk_proc_destroy(k, pid));
    print_heap(k, "bump", bump);
    TRY(mk_heap_destroy(k, bump));
    TRY(mk_heap_destroy(k, fixed));
}

struct sem_worker {
    mk_t *k;
    mk_sem_t sem;
    uint64_t *counter;
    int rounds;
};

static void *sem_worker_run(void *arg)
{
    struct sem_worker *w = arg;
    for (int i = 0; i < w->rounds; i++) {
        TRY(mk_sem_wait(w->k, w->sem, MK_FOREVER));
        uint64_t v = *w->counter; /* the semaphore makes this read-modify-write safe */
        *w->counter = v + 1;
        TRY(mk_sem_post(w->k, w->sem));
    }
    return NULL;
}

static void semaphores(mk_t *k)
{
    mk_sem_t sem;
    TRY(mk_sem_create(k, "counter-lock", 1, 1, &sem));
    uint64_t counter = 0;
    struct sem_worker w = {k, sem, &counter, 20000};
    pthread_t t1, t2;
    if (pthread_create(&t1, NULL, sem_worker_run, &w) != 0 ||
        pthread_create(&t2, NULL, sem_worker_run, &w) != 0) {
        fprintf(stderr, "mk-tour: cannot start threads\n");
        exit(EXIT_FAILURE);
    }
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("  two host threads incremented a shared counter 2 x %d times under "
           "semaphore \"counter-lock\": %" PRIu64 " (%s)\n",
           w.rounds, counter, counter == 2u * (uint64_t)w.rounds ? "no update lost" : "LOST UPDATES");
    TRY(mk_sem_delete(k, sem));
    if (counter != 2u * (uint64_t)w.rounds)
        exit(EXIT_FAILURE);
}

static void cache_report(mk_t *k)
{
    TRY(mk_cache_flush(k, 0));
    mk_cache_stats_t st;
    st.size = sizeof st;
    TRY(mk_cache_stats(k, &st));
    printf("  capacity %u blocks, cached %" PRIu64 ", dirty %" PRIu64 ", hits %" PRIu64
           ", misses %" PRIu64 ", evictions %" PRIu64 ", write-backs %" PRIu64
           ", device reads %" PRIu64 ", device writes %" PRIu64 "\n",
           st.capacity, st.cached, st.dirty, st.hits, st.misses, st.evictions,
           st.writebacks, st.dev_reads, st.dev_writes);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mk-tour [--image PATH] [--size MIB] [FILE...]\n"
               "  --image PATH  disk image to open or create (default mk-tour.img)\n"
               "  --size MIB    size of a new image in MiB (default 64)\n"
               "  FILE...       host files to import (default: README.md LICENSE)\n");
}

int main(int argc, char **argv)
{
    const char *image = "mk-tour.img";
    unsigned long size_mib = 64;
    static const struct option opts[] = {
        {"image", required_argument, NULL, 'i'},
        {"size", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "i:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            image = optarg;
            break;
        case 's': {
            char *end;
            size_mib = strtoul(optarg, &end, 10);
            if (*end != '\0' || size_mib < 1 || size_mib > 65536) {
                fprintf(stderr, "mk-tour: --size wants 1..65536 MiB\n");
                return 2;
            }
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }

    printf("libmk %s tour\n", mk_version_string());
    mk_t *k;
    TRY(mk_create(NULL, &k));

    printf("\n[1] disk image %s\n", image);
    mk_dev_t dev;
    uint64_t nblocks = (uint64_t)size_mib * 1024 * 1024 / MK_BLK_SIZE_DEFAULT;
    struct stat ist;
    if (stat(image, &ist) == 0) /* an existing image keeps its own size */
        TRY(mk_blk_open_image(k, "disk0", image, MK_BLK_SIZE_DEFAULT, 0, 0, &dev));
    else
        TRY(mk_blk_open_image(k, "disk0", image, MK_BLK_SIZE_DEFAULT, nblocks,
                              MK_BLK_CREATE, &dev));
    uint32_t kind;
    TRY(mk_fs_probe(k, dev, &kind));
    printf("  %s\n", kind == MK_FS_PROBE_MKFS ? "holds a libmk file system"
                     : kind == MK_FS_PROBE_BLANK ? "is blank: formatting it"
                                                 : "holds something else");
    TRY(mk_vfs_mount(k, dev, MOUNT_POINT, MK_MOUNT_FORMAT));
    printf("  mounted at %s; files from earlier runs:\n", MOUNT_POINT);
    list_stored(k);

    printf("\n[2] importing host files\n");
    int rc = mk_vfs_mkdir(k, FILES_DIR);
    if (rc != 0 && rc != MK_EEXIST)
        TRY(rc);
    if (optind < argc) {
        for (int i = optind; i < argc; i++)
            import_file(k, argv[i]);
    } else {
        char buf[1024];
        const char *defaults[] = {"README.md", "LICENSE"};
        for (int i = 0; i < 2; i++) {
            const char *p = find_default(defaults[i], buf, sizeof buf);
            if (p == NULL) {
                fprintf(stderr, "mk-tour: cannot find %s; name files to import\n", defaults[i]);
                return EXIT_FAILURE;
            }
            import_file(k, p);
        }
    }

    printf("\n[3] message passing\n");
    message_passing(k);

    printf("\n[4] heaps\n");
    heaps(k);

    printf("\n[5] semaphore shared by two host threads\n");
    semaphores(k);

    printf("\n[6] buffer cache after flush\n");
    cache_report(k);

    TRY(mk_vfs_unmount(k, MOUNT_POINT));
    TRY(mk_destroy(k));
    printf("\nunmounted; run mk-tour again to see the stored files listed.\n");
    return EXIT_SUCCESS;
}
