/**
 * @file irq.h
 * @brief Interrupts: the interrupt controller, the clock and terminal
 *        lines, and exceptions delivered to a per-process handler.
 *
 * **The controller.** A context has #MK_IRQ_LINES numbered interrupt lines.
 * Each line has a pending bit, a mask bit, a priority level
 * (#MK_IRQ_PRIO_MIN … #MK_IRQ_PRIO_MAX, higher is more urgent) and up to
 * #MK_IRQ_HANDLERS_MAX handlers (C callbacks, ::mk_irq_fn). Raising a line
 * sets its pending bit; the controller then *delivers* it: it clears the
 * bit and calls the line's handlers in the order they were attached.
 *
 * Lines 0 and 1 are reserved for the kernel's own devices:
 * #MK_IRQ_CLOCK and #MK_IRQ_TERMINAL. The clock line is raised by the
 * kernel each time the virtual clock advances (a body's kernel call or
 * computation, an idle jump of mk_run(), mk_clock_advance()), once per
 * advance whatever its size; raising it with mk_irq_raise() makes the
 * timer fire: the clock advances one tick, sleepers and timed waits whose
 * time has come wake, and the running process's time slice is charged
 * (it is preempted at its next kernel entry when the slice is used up).
 * Ticks that pass while a handler runs do not raise the clock line again
 * (no interrupt storm from the handlers' own kernel calls). A clock
 * delivery that calls no attached handler is counted (mk_irq_count()) but
 * not traced, since every event already carries its tick. The terminal
 * line is raised by mk_term_input(); its kernel handler, which runs before
 * any attached one, hands the buffered characters to blocked readers. Lines #MK_IRQ_SOFT_FIRST … 31 are software
 * interrupts: raised by code rather than by a device, with the lowest
 * default priority so that they run after every hardware handler (the
 * deferred-work interrupt of the mini-kernel). Lines 2 … 23 are free for
 * devices and host code.
 *
 * **Delivery rules.**
 *  - A line is delivered only while it is pending and unmasked; a masked
 *    line keeps its pending bit (raising it again does not count twice)
 *    until it is unmasked, and is then delivered.
 *  - Among deliverable lines the highest priority goes first; equal
 *    priorities go in ascending line number.
 *  - The controller has a current level: 0 when no handler runs, else the
 *    priority of the line whose handlers are running. Only a line whose
 *    priority is strictly above the current level can be delivered, so a
 *    raise from inside a handler nests (runs at once, before the raise
 *    returns) when the raised line is more urgent, and otherwise stays
 *    pending until the running handler returns. Nesting is therefore at
 *    most #MK_IRQ_PRIO_MAX deep.
 *  - Handlers run on one simulated CPU: never two at the same time. The
 *    caller that raises (or unmasks) a line delivers it before the call
 *    returns, unless another caller is delivering already, in which case
 *    that one delivers the new line right after its current handler
 *    returns, before it finishes. Delivery points are therefore the
 *    raise itself and each clock tick: a raise from a body (a device
 *    simulated as a process) is a kernel entry and delivers at once in
 *    that body's context, and the clock line is delivered at the tick
 *    that raised it, so a run whose interrupts come from bodies and the
 *    clock gives the same trace every time. A raise from a host thread
 *    while mk_run() runs is delivered on that host thread at once; the
 *    tick at which it lands then depends on host timing.
 *  - Each delivery emits a ::MK_EV_IRQ event (a = line, b = number of
 *    handlers called, the kernel's own handler included).
 *
 * **Handlers** run on the delivering thread with no controller lock held,
 * in the context of what was running: a host thread, or the body whose
 * kernel call, computation or tick delivered them (mk_self() names it).
 * They may call any libmk function that does not block — raise, mask and
 * unmask lines, post semaphores, send with #MK_NO_WAIT, mk_term_input(),
 * attach and detach (taking effect from the next delivery) — but must not
 * wait (every timeout #MK_NO_WAIT), must not call mk_run(), must not end
 * the body they run in (mk_exit(), mk_kill() of mk_self()) and must not
 * destroy the context. An exception that kills the body a handler runs in
 * (raised by the handler, or a memory violation it commits for mk_self())
 * takes effect once the delivery has finished. The controller's own calls made from a handler
 * cost no ticks; other kernel calls made in a body's context are charged
 * to that body as usual and may let the scheduler switch to another body
 * before the handler resumes: lines raised meanwhile stay pending until
 * it has returned.
 *
 * **Exceptions** are synchronous faults of one process: a memory violation
 * (an out-of-bounds or forbidden bounds-checked access, or an allocation
 * past the quota, reported by the memory module), a bad handle, a division
 * by zero or any other ::mk_exc_type raised with mk_exc_raise(). Each is
 * delivered at once, on the faulting thread, to the process's handler
 * (mk_exc_set_handler()) and emits ::MK_EV_FAULT (a = exception, b =
 * detail). The default action kills the process as mk_kill() does
 * (exit status -1) and releases everything it owns. A body killed by its
 * own fault ends at once: a fiber body never returns from the faulting
 * call; a #MK_PROC_THREAD body gets @c MK_EDESTROYED from every call
 * after it and must return. There is one exception to the default: a memory or
 * quota violation detected by the memory module in a call made by host
 * code on behalf of a process (not by the process's own body while it
 * runs on the simulated CPU) is not fatal by default (the failing
 * call's error code is the report, as in the foundation), though it is
 * still traced, counted and given to the process's handler. Bad handles
 * are reported by mk_exc_raise() (#MK_EXC_BADH), which bodies and
 * wrappers call when a call of theirs returns @c MK_EBADH.
 *
 * Thread safety: every function may be called from any host thread at the
 * same time on the same context.
 */
#ifndef MICROKERNEL_IRQ_H
#define MICROKERNEL_IRQ_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Number of interrupt lines (0 … 31). @since 1.0 */
#define MK_IRQ_LINES 32u
/** @brief The clock line: each delivery advances the virtual clock by one
 *         tick, wakes processes whose sleep or timeout ended and ends the
 *         running process's time slice when its quantum is used up. @since 1.0 */
#define MK_IRQ_CLOCK 0u
/** @brief The terminal line: raised by mk_term_input() when characters
 *         arrive; its kernel handler wakes blocked mk_term_read() callers. @since 1.0 */
#define MK_IRQ_TERMINAL 1u
/** @brief First software-interrupt line; lines #MK_IRQ_SOFT_FIRST … 31 are
 *         software interrupts. @since 1.0 */
#define MK_IRQ_SOFT_FIRST 24u

/** @brief Lowest interrupt priority level. @since 1.0 */
#define MK_IRQ_PRIO_MIN 1u
/** @brief Highest interrupt priority level. @since 1.0 */
#define MK_IRQ_PRIO_MAX 15u
/** @brief Default priority of #MK_IRQ_CLOCK (the most urgent). @since 1.0 */
#define MK_IRQ_PRIO_CLOCK 15u
/** @brief Default priority of #MK_IRQ_TERMINAL. @since 1.0 */
#define MK_IRQ_PRIO_TERMINAL 12u
/** @brief Default priority of device lines 2 … 23. @since 1.0 */
#define MK_IRQ_PRIO_DEVICE 8u
/** @brief Default priority of software lines (the least urgent). @since 1.0 */
#define MK_IRQ_PRIO_SOFT 1u

/** @brief Most handlers attached to one line at a time. @since 1.0 */
#define MK_IRQ_HANDLERS_MAX 4u

/** @brief Capacity of the terminal's input ring buffer, in characters. @since 1.0 */
#define MK_TERM_BUF_SIZE 256u

/**
 * @brief Interrupt handler.
 *
 * Runs on the delivering thread (see the delivery rules in this file's
 * description), with no controller lock held; it must not block.
 * @param k The context.
 * @param line The line being delivered, 0 … #MK_IRQ_LINES - 1.
 * @param ctx The pointer given to mk_irq_attach().
 * @since 1.0
 */
typedef void (*mk_irq_fn)(mk_t *k, uint32_t line, void *ctx);

/**
 * @brief Attach a handler to a line.
 *
 * Handlers of a line are called in the order they were attached, after the
 * kernel's own handler on the reserved lines.
 * @param k Context.
 * @param line Line, 0 … #MK_IRQ_LINES - 1.
 * @param fn Handler; must not be NULL.
 * @param ctx Passed to @p fn unchanged; the caller keeps ownership and must
 *        keep it valid until mk_irq_detach() returns.
 * @retval 0 Success; the handler is called from the next delivery on.
 * @retval MK_EINVAL @p k or @p fn is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ERANGE @p line ≥ #MK_IRQ_LINES.
 * @retval MK_EEXIST The same @p fn / @p ctx pair is already attached to @p line.
 * @retval MK_ENOSPC The line already has #MK_IRQ_HANDLERS_MAX handlers.
 * @since 1.0
 */
MK_API int mk_irq_attach(mk_t *k, uint32_t line, mk_irq_fn fn, void *ctx);

/**
 * @brief Detach a handler from a line.
 *
 * Called from a host thread that is not itself delivering, this waits
 * until no delivery of @p line is in progress, so that once it returns
 * @p fn is not running and will not be called again and @p ctx may be
 * freed. Called from inside a handler, or from a body (which must not stop
 * the simulated CPU), it takes effect from the next delivery without
 * waiting.
 * @param k Context.
 * @param line Line, 0 … #MK_IRQ_LINES - 1.
 * @param fn Handler given to mk_irq_attach().
 * @param ctx Context pointer given to mk_irq_attach() with @p fn.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p fn is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ERANGE @p line ≥ #MK_IRQ_LINES.
 * @retval MK_ENOENT That @p fn / @p ctx pair is not attached to @p line.
 * @since 1.0
 */
MK_API int mk_irq_detach(mk_t *k, uint32_t line, mk_irq_fn fn, void *ctx);

/**
 * @brief Raise a line: set its pending bit and deliver it if the delivery
 *        rules allow (see this file's description).
 *
 * Raising a line that is already pending does nothing more (a pending bit
 * is one bit, not a counter). A line with no handler is still delivered
 * (and counted) when raised: its pending bit is cleared.
 * @param k Context.
 * @param line Line, 0 … #MK_IRQ_LINES - 1.
 * @retval 0 Success (the line is pending or was delivered).
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ERANGE @p line ≥ #MK_IRQ_LINES.
 * @since 1.0
 */
MK_API int mk_irq_raise(mk_t *k, uint32_t line);

/**
 * @brief Mask a line: it stays pending, undelivered, until unmasked.
 * @param k Context.
 * @param line Line, 0 … #MK_IRQ_LINES - 1. Masking #MK_IRQ_CLOCK holds
 *        back its attached handlers, not time: the clock still advances
 *        and sleepers still wake (the timer is hardware); the ticks that
 *        pass while it is masked coalesce into one pending bit.
 * @retval 0 Success (also when already masked).
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ERANGE @p line ≥ #MK_IRQ_LINES.
 * @since 1.0
 */
MK_API int mk_irq_mask(mk_t *k, uint32_t line);

/**
 * @brief Unmask a line; if it is pending it is delivered as mk_irq_raise()
 *        would deliver it.
 * @param k Context.
 * @param line Line, 0 … #MK_IRQ_LINES - 1.
 * @retval 0 Success (also when not masked).
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ERANGE @p line ≥ #MK_IRQ_LINES.
 * @since 1.0
 */
MK_API int mk_irq_unmask(mk_t *k, uint32_t line);

/**
 * @brief Set a line's priority level.
 * @param k Context.
 * @param line Line, 0 … #MK_IRQ_LINES - 1.
 * @param prio Level, #MK_IRQ_PRIO_MIN … #MK_IRQ_PRIO_MAX (higher is more
 *        urgent). Defaults: #MK_IRQ_PRIO_CLOCK, #MK_IRQ_PRIO_TERMINAL,
 *        #MK_IRQ_PRIO_DEVICE for lines 2 … 23, #MK_IRQ_PRIO_SOFT for the
 *        software lines.
 * @retval 0 Success; applies from the next delivery decision.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ERANGE @p line ≥ #MK_IRQ_LINES or @p prio out of range.
 * @since 1.0
 */
MK_API int mk_irq_set_priority(mk_t *k, uint32_t line, uint32_t prio);

/**
 * @brief Read a line's priority level.
 * @param k Context.
 * @param line Line, 0 … #MK_IRQ_LINES - 1.
 * @param[out] prio Receives the level.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p prio is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ERANGE @p line ≥ #MK_IRQ_LINES.
 * @since 1.0
 */
MK_API int mk_irq_get_priority(mk_t *k, uint32_t line, uint32_t *prio);

/**
 * @brief Read the pending and masked bits of every line.
 * @param k Context.
 * @param[out] pending Receives a bit mask, bit n set when line n is
 *        pending (raised, not yet delivered); may be NULL.
 * @param[out] masked Receives a bit mask, bit n set when line n is masked;
 *        may be NULL.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_irq_pending(mk_t *k, uint32_t *pending, uint32_t *masked);

/**
 * @brief Number of times a line has been delivered since the context was
 *        created.
 * @param k Context.
 * @param line Line, 0 … #MK_IRQ_LINES - 1.
 * @param[out] count Receives the count.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p count is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ERANGE @p line ≥ #MK_IRQ_LINES.
 * @since 1.0
 */
MK_API int mk_irq_count(mk_t *k, uint32_t line, uint64_t *count);

/* ---- terminal ----------------------------------------------------------- */

/**
 * @brief Type characters into the terminal (the keyboard of the mini-kernel).
 *
 * The characters are appended to the terminal's ring buffer of
 * #MK_TERM_BUF_SIZE characters as far as it has room, and
 * #MK_IRQ_TERMINAL is raised (when at least one character was accepted);
 * its handler wakes the blocked readers. Characters that do not fit are
 * refused, never silently dropped: @p accepted says how many were taken (a
 * prefix of @p data), and the refused ones are counted (mk_term_status()).
 * @param k Context.
 * @param data Characters (any bytes); may be NULL when @p len is 0.
 * @param len Number of characters.
 * @param[out] accepted Receives how many characters, 0 … @p len, were
 *        taken; the caller may retry the rest later.
 * @retval 0 Success (also when the buffer was full and nothing was taken).
 * @retval MK_EINVAL @p k or @p accepted is NULL, or @p data is NULL while
 *         @p len > 0.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_term_input(mk_t *k, const void *data, size_t len, size_t *accepted);

/**
 * @brief Read characters typed into the terminal, waiting for them.
 *
 * Takes between 1 and @p cap characters: as many as are buffered, once
 * some are. Readers are served in arrival order: a reader never takes
 * characters while an earlier reader still waits. A host thread blocks;
 * a process body is suspended (blocked) and the next process runs.
 * @param k Context.
 * @param pid Reading process; #MK_PID_KERNEL for host code acting for no
 *        process.
 * @param[out] buf Receives the characters.
 * @param cap Size of @p buf; ≥ 1.
 * @param[out] n Receives the number of characters read, 1 … @p cap.
 * @param timeout_ticks How long to wait while nothing is buffered:
 *        #MK_NO_WAIT, a number of ticks, or #MK_FOREVER.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k, @p buf or @p n is NULL, or @p cap is 0.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT No process @p pid.
 * @retval MK_EAGAIN Nothing to read (or earlier readers wait) and
 *         @p timeout_ticks is #MK_NO_WAIT.
 * @retval MK_ETIMEDOUT Nothing arrived for this reader within
 *         @p timeout_ticks.
 * @retval MK_EDESTROYED Process @p pid was destroyed while waiting.
 * @since 1.0
 */
MK_API int mk_term_read(mk_t *k, mk_pid_t pid, void *buf, size_t cap, size_t *n,
                        uint64_t timeout_ticks);

/**
 * @brief Terminal buffer status.
 * @param k Context.
 * @param[out] buffered Receives the characters waiting in the buffer,
 *        0 … #MK_TERM_BUF_SIZE; may be NULL.
 * @param[out] refused Receives the characters refused because the buffer
 *        was full, since the context was created; may be NULL.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_term_status(mk_t *k, uint32_t *buffered, uint64_t *refused);

/* ---- exceptions ------------------------------------------------------- */

/**
 * @brief Exception numbers. Numbers are pinned; #MK_EXC_USER … #MK_EXC_MAX
 *        are free for programs.
 * @since 1.0
 */
enum mk_exc_type {
    /** Bounds-checked access outside a block or to a block the process may
     *  not touch; detail = 10 (@c MK_EFAULT) or 6 (@c MK_EPERM). */
    MK_EXC_MEMORY = 1,
    /** Allocation past the process's memory quota; detail = 5
     *  (@c MK_EQUOTA). */
    MK_EXC_QUOTA = 2,
    /** A stale, forged or foreign handle used by the process; detail = the
     *  handle. */
    MK_EXC_BADH = 3,
    /** Division by zero raised by a body; detail is the body's. */
    MK_EXC_DIVZERO = 4,
    /** Illegal operation raised by a body; detail is the body's. */
    MK_EXC_ILLEGAL = 5,
    /** First exception number free for programs. */
    MK_EXC_USER = 32,
    /** Largest exception number. */
    MK_EXC_MAX = 63
};

/** @brief Exception handler result: the fault is handled, the process
 *         continues. @since 1.0 */
#define MK_EXC_HANDLED 0
/** @brief Exception handler result: kill the process. @since 1.0 */
#define MK_EXC_KILL 1

/**
 * @brief Exception handler of one process.
 *
 * Called synchronously, on the thread where the fault happened (inside the
 * libmk call that detected it, or inside mk_exc_raise()), with no kernel
 * lock held. It may call any libmk function that does not block; it must
 * not destroy the faulting process itself (return #MK_EXC_KILL instead).
 * @param k The context.
 * @param pid The faulting process.
 * @param exc The exception, one of ::mk_exc_type or a program's number.
 * @param detail Exception-specific detail (see ::mk_exc_type).
 * @param ctx The pointer given to mk_exc_set_handler().
 * @return #MK_EXC_HANDLED to let the process continue (the faulting call
 *         still returns its error code), #MK_EXC_KILL (or any non-zero
 *         value) to kill it.
 * @since 1.0
 */
typedef int (*mk_exc_fn)(mk_t *k, mk_pid_t pid, uint32_t exc, uint64_t detail, void *ctx);

/**
 * @brief Install (or, with NULL, remove) a process's exception handler.
 *
 * The handler is forgotten when the process is destroyed.
 * @param k Context.
 * @param pid Process, ≥ 1; a body may pass 0 for itself.
 * @param fn Handler, or NULL for the default action (kill).
 * @param ctx Passed to @p fn unchanged; the caller keeps ownership.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT No process @p pid (also for 0).
 * @retval MK_ENOMEM The host could not supply memory.
 * @since 1.0
 */
MK_API int mk_exc_set_handler(mk_t *k, mk_pid_t pid, mk_exc_fn fn, void *ctx);

/**
 * @brief Raise an exception for a process (a body's division by zero, a
 *        bad handle it noticed, a program-defined fault).
 *
 * The process's handler runs at once on the calling thread; without one,
 * or when it returns #MK_EXC_KILL, the process is killed as by mk_kill()
 * (exit status -1) and everything it owns is released. A body that raises
 * an exception for itself and is killed does not return from this call
 * (a body running on its own thread, #MK_PROC_THREAD, gets
 * @c MK_EDESTROYED and must return).
 * @param k Context.
 * @param pid Faulting process, ≥ 1; a body may pass 0 for itself.
 * @param exc Exception, #MK_EXC_MEMORY … #MK_EXC_MAX (values between
 *        #MK_EXC_ILLEGAL and #MK_EXC_USER are reserved and refused).
 * @param detail Exception-specific detail, passed to the handler.
 * @param[out] killed Receives 1 if the process was killed, 0 if its
 *        handler handled the fault; may be NULL.
 * @retval 0 The exception was delivered.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT No process @p pid (also for 0).
 * @retval MK_ERANGE @p exc is 0, reserved or above #MK_EXC_MAX.
 * @retval MK_EDESTROYED The calling thread body was killed (see above).
 * @since 1.0
 */
MK_API int mk_exc_raise(mk_t *k, mk_pid_t pid, uint32_t exc, uint64_t detail, uint32_t *killed);

/**
 * @brief Number of exceptions delivered to a process since it was created.
 * @param k Context.
 * @param pid Process, ≥ 1; a body may pass 0 for itself.
 * @param[out] count Receives the count.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p count is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT No process @p pid (also for 0).
 * @since 1.0
 */
MK_API int mk_exc_count(mk_t *k, mk_pid_t pid, uint64_t *count);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_IRQ_H */
