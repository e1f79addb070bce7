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
#include "trace.h"
#include "mem.h"
#include "proc.h"
#include "ipc.h"
#include "sync.h"
#include "irq.h"
#include "rpc.h"
#include "blk.h"
#include "fs.h"
#include "vfs.h"
#include "client.h"

#endif /* MICROKERNEL_MK_H */
