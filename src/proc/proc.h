/*
 * proc.h - internal interface of the process module for the layers above
 * (ipc, sync, blk, fs, vfs).
 *
 * The proc module owns the pid table. Modules above learn about creation and
 * destruction only through the hooks they register with mk__hook_register();
 * they may ask whether a pid is alive with mk__proc_alive(). Never call it
 * while holding a lock that a hook of yours also takes if the hook can run
 * on the same thread (it cannot: hooks run with no proc lock held).
 */
#ifndef MK_SRC_PROC_H
#define MK_SRC_PROC_H

#include "../core/core.h"

/* 0 if pid names a process that is fully created and not being destroyed,
 * MK_ENOENT otherwise (always for pid 0: the kernel is not a process).
 * Takes the proc table lock briefly; lock order: callers' locks -> proc. */
int mk__proc_alive(mk_t *k, mk_pid_t pid);

#endif /* MK_SRC_PROC_H */
