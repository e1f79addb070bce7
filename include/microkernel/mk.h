/**
 * @file mk.h
 * @brief Umbrella header: include this one to use libmk.
 *
 * Link with `-lmk` (or `pkg-config --cflags --libs mk`). Each module has its
 * own header, included here in layer order.
 */
#ifndef MICROKERNEL_MK_H
#define MICROKERNEL_MK_H

#include "export.h"
#include "version.h"
#include "error.h"
#include "core.h"
/* Scaffolding guard while modules land; removed once every header exists. */
#if __has_include("mem.h")
#include "mem.h"
#endif
#if __has_include("proc.h")
#include "proc.h"
#endif
#if __has_include("ipc.h")
#include "ipc.h"
#endif
#if __has_include("sync.h")
#include "sync.h"
#endif
#if __has_include("blk.h")
#include "blk.h"
#endif
#if __has_include("fs.h")
#include "fs.h"
#endif
#if __has_include("vfs.h")
#include "vfs.h"
#endif

#endif /* MICROKERNEL_MK_H */
