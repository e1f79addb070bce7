/*
 * irq.h - internal interface of the irq module (interrupt controller,
 * terminal, exceptions) for the other layers.
 *
 * Layers at the same level or above (proc's scheduler, ipc, sync, blk, …)
 * report a process's fault through mk__exc_raise(); the memory layer
 * reports its violations through the notifier irq installs with
 * mk__mem_set_violation_hook(), so mem never calls up by name.
 *
 * Call it with no lock of yours held: the process's handler runs on the
 * calling thread, and the default action (kill) runs every exit hook.
 */
#ifndef MK_SRC_IRQ_H
#define MK_SRC_IRQ_H

#include "../core/core.h"

#include <microkernel/irq.h>

/* Deliver exception exc (detail) to pid: its handler, else the default.
 * fatal_default: whether the default action kills (false for a violation
 * committed by host code on the process's behalf). Sets *killed (may be
 * NULL). 0, MK_ENOENT (no such process), MK_EDESTROYED (the calling body
 * killed itself: return this to your caller at once). */
int mk__exc_raise(mk_t *k, mk_pid_t pid, uint32_t exc, uint64_t detail, bool fatal_default,
                  uint32_t *killed);

#endif /* MK_SRC_IRQ_H */
