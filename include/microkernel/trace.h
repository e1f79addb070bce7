/**
 * @file trace.h
 * @brief The event stream: scheduling, IPC, lock, interrupt, fault and
 *        cache events, for timelines and debugging.
 *
 * Events are recorded only while tracing is on (mk_trace_enable() with a
 * non-zero capacity, or a callback set with mk_trace_set_callback()); when
 * both are off, emitting an event costs one atomic load. Each event carries
 * the virtual clock (ticks) at which it happened and a sequence number that
 * orders events totally, so two runs of a deterministic program produce
 * identical streams. The layout of ::mk_event_t is fixed forever; new kinds
 * of information arrive as new event types, appended to ::mk_event_type.
 */
#ifndef MICROKERNEL_TRACE_H
#define MICROKERNEL_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Event types. Numbers are pinned and append-only. The meaning of
 *        the @c a and @c b fields of ::mk_event_t is given per type.
 * @since 1.0
 */
enum mk_event_type {
    MK_EV_SPAWN = 1,      /**< Process @c pid created; a = priority, b = parent pid. */
    MK_EV_EXIT = 2,       /**< Process @c pid ended; a = exit status (as uint32), b = 1 if killed. */
    MK_EV_SWITCH = 3,     /**< CPU switched to @c pid; a = previous pid (0 = idle), b = reason. */
    MK_EV_PREEMPT = 4,    /**< @c pid preempted at the end of its time slice; a = ticks used. */
    MK_EV_BLOCK = 5,      /**< @c pid blocked; a = wait kind (object type tag), b = object handle or id. */
    MK_EV_WAKE = 6,       /**< @c pid made ready; a = result code (as uint32), b = waker pid. */
    MK_EV_SLEEP = 7,      /**< @c pid sleeps; a = ticks requested. */
    MK_EV_IRQ = 8,        /**< Interrupt line a handled; b = handler count; pid = running pid. */
    MK_EV_MSG_SEND = 9,   /**< @c pid sent a message; a = destination (pid or queue handle), b = bytes. */
    MK_EV_MSG_RECV = 10,  /**< @c pid received a message; a = source (pid or queue handle), b = bytes. */
    MK_EV_LOCK = 11,      /**< @c pid acquired a lock; a = lock handle. */
    MK_EV_UNLOCK = 12,    /**< @c pid released a lock; a = lock handle. */
    MK_EV_FAULT = 13,     /**< Exception for @c pid; a = exception number, b = detail. */
    MK_EV_CACHE_HIT = 14, /**< Buffer-cache hit; a = device handle, b = block number. */
    MK_EV_CACHE_MISS = 15,      /**< Buffer-cache miss; a = device handle, b = block number. */
    MK_EV_CACHE_EVICT = 16,     /**< Buffer evicted; a = device handle, b = block number. */
    MK_EV_CACHE_WRITEBACK = 17, /**< Dirty buffer written back; a = device handle, b = block number. */
    MK_EV_PRIO = 18,      /**< Effective priority of @c pid changed (inheritance); a = old, b = new. */
    MK_EV_RPC_CALL = 19,  /**< @c pid called server a; b = bytes. */
    MK_EV_RPC_REPLY = 20, /**< @c pid replied to client a; b = bytes. */
    MK_EV_USER = 21,      /**< Emitted by mk_trace_mark(); a and b are the caller's. */
};

/**
 * @brief One event. 40 bytes, fixed layout.
 * @since 1.0
 */
typedef struct mk_event {
    uint64_t tick; /**< Virtual clock when the event happened, in ticks. */
    uint64_t seq;  /**< Sequence number, from 1, one per event of the context. */
    uint32_t type; /**< One of ::mk_event_type. */
    uint32_t pid;  /**< Process concerned (0 = the kernel or a host thread). */
    uint64_t a;    /**< First argument; meaning per type. */
    uint64_t b;    /**< Second argument; meaning per type. */
} mk_event_t;

/**
 * @brief Callback receiving each event as it happens.
 *
 * Called on the thread that caused the event, possibly with kernel locks
 * held: it must return quickly and must not call into the same context.
 * @param ctx The pointer given to mk_trace_set_callback().
 * @param ev The event; valid only during the call.
 * @since 1.0
 */
typedef void (*mk_trace_fn)(void *ctx, const mk_event_t *ev);

/**
 * @brief Start or stop recording events into the context's ring buffer.
 * @param k Context.
 * @param capacity Events the ring holds, 0 … 2^24; 0 stops recording and
 *        discards what is buffered. When the ring is full the oldest event
 *        is overwritten and counted as dropped.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL or @p capacity is too large.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOMEM The ring could not be allocated (tracing unchanged).
 * @since 1.0
 */
MK_API int mk_trace_enable(mk_t *k, uint32_t capacity);

/**
 * @brief Take the oldest buffered events out of the ring.
 * @param k Context.
 * @param[out] events Array receiving up to @p cap events, oldest first.
 * @param cap Length of @p events; 0 is allowed.
 * @param[out] count Number of events written.
 * @retval 0 Success (also when nothing is buffered: *count = 0).
 * @retval MK_EINVAL A pointer is NULL (with @p cap > 0 for @p events).
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_trace_read(mk_t *k, mk_event_t *events, size_t cap, size_t *count);

/**
 * @brief Number of events overwritten before they were read.
 * @param k Context.
 * @param[out] dropped Events lost since tracing was enabled.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_trace_dropped(mk_t *k, uint64_t *dropped);

/**
 * @brief Install (or, with NULL, remove) a callback receiving every event.
 * @param k Context.
 * @param fn Callback, or NULL to remove it.
 * @param ctx Passed to @p fn unchanged; the caller keeps ownership.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_trace_set_callback(mk_t *k, mk_trace_fn fn, void *ctx);

/**
 * @brief Emit a ::MK_EV_USER event, to mark a point in a timeline.
 * @param k Context.
 * @param pid Process the mark concerns (0 for none).
 * @param a First argument, the caller's meaning.
 * @param b Second argument, the caller's meaning.
 * @retval 0 Success (also when tracing is off: nothing is recorded).
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_trace_mark(mk_t *k, mk_pid_t pid, uint64_t a, uint64_t b);

/**
 * @brief Name of an event type, for example "switch".
 * @param type One of ::mk_event_type; any other value is accepted.
 * @return A static string ("unknown" for other values); do not free.
 * @since 1.0
 */
MK_API const char *mk_event_name(uint32_t type);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_TRACE_H */
