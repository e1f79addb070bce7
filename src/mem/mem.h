/*
 * mem.h - internal interface of the mem module for the layers above it
 * (proc, ipc, irq, blk, ...).
 *
 * The public calls of include/microkernel/mem.h are the normal way for
 * other modules to allocate, share and free blocks. This header adds what
 * only the kernel's own layers need:
 *  - a notifier for memory violations, so that the layer that delivers
 *    exceptions (irq) can raise one for the offending process without mem
 *    calling upward by name;
 *  - a consistency check of a heap's structure, for internal tests.
 *
 * The notifier is called with no mem lock held, on the thread that
 * committed the violation, after the violation has been counted.
 */
#ifndef MK_SRC_MEM_H
#define MK_SRC_MEM_H

#include "../core/core.h"

#include <microkernel/mem.h>

/* code is MK_EQUOTA (allocation past quota), MK_EFAULT (access out of a
 * block's bounds) or MK_EPERM (access to a block the pid may not touch). */
typedef void (*mk__mem_violation_fn)(mk_t *k, mk_pid_t pid, int code, void *arg);

/* Install (or with fn == NULL remove) the violation notifier. One per
 * context; a later call replaces the earlier one. */
void mk__mem_set_violation_hook(mk_t *k, mk__mem_violation_fn fn, void *arg);

/* Walk a heap's structure and verify every invariant (boundary tags,
 * coalescing, segregated lists and bitmaps, slab counts, byte totals).
 * 0 if consistent, MK_ECORRUPT if not, MK_EBADH for a bad handle. */
int mk__heap_check(mk_t *k, mk_heap_t h);

#endif /* MK_SRC_MEM_H */
