/**
 * @file rpc.h
 * @brief Synchronous remote procedure calls between processes (seed 004's
 *        RPC): the client's call blocks until the server replies.
 *
 * A client calls a server process with a request; the call waits. The
 * server takes the oldest waiting call with mk_rpc_receive(), which gives
 * it a call id, and answers with mk_rpc_reply(): the reply is copied into
 * the buffer of exactly that caller, which then returns. Calls to one
 * server are received in arrival order; a server may hold several received
 * calls at once and reply to them in any order.
 *
 * Both sides may be host threads acting for a pid or scheduled process
 * bodies: a host thread blocks, a body is suspended and the next process
 * runs. Requests and replies are copied once, directly between the two
 * sides' buffers, while the client waits: the library keeps no copy.
 *
 * Failure is clean on every path:
 *  - a client whose call times out (or whose process is destroyed) takes
 *    its call back; a server replying to it later gets @c MK_ENOENT;
 *  - a server process that is destroyed fails every call queued for it or
 *    received by it with @c MK_EDESTROYED, and wakes its own blocked
 *    receivers with the same code;
 *  - a reply larger than the caller's buffer is refused
 *    (@c MK_EMSGSIZE) and the call stays open for a shorter reply.
 *
 * Each call emits ::MK_EV_RPC_CALL (pid = client, a = server, b = request
 * bytes) and each reply ::MK_EV_RPC_REPLY (pid = server, a = client, b =
 * reply bytes).
 *
 * Thread safety: every function may be called from any host thread at the
 * same time on the same context.
 */
#ifndef MICROKERNEL_RPC_H
#define MICROKERNEL_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Largest request or reply, in bytes (1 MiB). @since 1.0 */
#define MK_RPC_MSG_MAX ((size_t)1 << 20)

/**
 * @brief Call a server and wait for its reply.
 * @param k Context.
 * @param client Calling process; #MK_PID_KERNEL for host code acting for no
 *        process; a body may pass 0 for itself.
 * @param server Server process, ≥ 1, not @p client.
 * @param req Request bytes; may be NULL when @p req_len is 0. Must stay
 *        valid until the call returns (it is copied by the server's receive).
 * @param req_len Request length, 0 … #MK_RPC_MSG_MAX.
 * @param[out] reply Receives the reply; may be NULL when @p cap is 0.
 * @param cap Size of @p reply in bytes, 0 … #MK_RPC_MSG_MAX (a larger
 *        buffer is fine: only #MK_RPC_MSG_MAX bytes can ever be written).
 * @param[out] reply_len Receives the reply's length, 0 … @p cap; may be
 *        NULL.
 * @param timeout_ticks How long to wait for the reply (from the call,
 *        receive included): a number of ticks or #MK_FOREVER;
 *        #MK_NO_WAIT is refused (a call always waits).
 * @retval 0 The server replied; the reply is in @p reply.
 * @retval MK_EINVAL @p k is NULL, @p req is NULL with @p req_len > 0,
 *         @p reply is NULL with @p cap > 0, @p server equals the client, or
 *         @p timeout_ticks is #MK_NO_WAIT.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT No process @p server (also for 0), or no process
 *         @p client.
 * @retval MK_EMSGSIZE @p req_len > #MK_RPC_MSG_MAX.
 * @retval MK_ETIMEDOUT No reply within @p timeout_ticks; the call is
 *         withdrawn (a later reply to it fails).
 * @retval MK_EDESTROYED The server (or the client process) was destroyed
 *         before the reply.
 * @retval MK_ENOMEM The host could not supply memory.
 * @since 1.0
 */
MK_API int mk_rpc_call(mk_t *k, mk_pid_t client, mk_pid_t server, const void *req,
                       size_t req_len, void *reply, size_t cap, size_t *reply_len,
                       uint64_t timeout_ticks);

/**
 * @brief Take the oldest call waiting for a server, waiting for one.
 *
 * The request is copied into @p buf and the call becomes the server's to
 * answer with mk_rpc_reply(); its client keeps waiting until then.
 * @param k Context.
 * @param server Serving process, ≥ 1; a body may pass 0 for itself.
 * @param[out] call_id Receives the call's id (never 0), to pass to
 *        mk_rpc_reply().
 * @param[out] client Receives the caller's pid (0 for host code acting for
 *        no process); may be NULL.
 * @param[out] buf Receives the request; may be NULL when @p cap is 0.
 * @param cap Size of @p buf in bytes.
 * @param[out] len Receives the request's length; may be NULL.
 * @param timeout_ticks How long to wait while no call is queued:
 *        #MK_NO_WAIT, a number of ticks, or #MK_FOREVER.
 * @retval 0 A call was received.
 * @retval MK_EINVAL @p k or @p call_id is NULL, or @p buf is NULL with
 *         @p cap > 0.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT No process @p server (also for 0 from host code).
 * @retval MK_EAGAIN No call is queued and @p timeout_ticks is #MK_NO_WAIT.
 * @retval MK_ETIMEDOUT No call arrived within @p timeout_ticks.
 * @retval MK_EMSGSIZE The oldest call's request is longer than @p cap; it
 *         stays queued (receive it with a buffer of #MK_RPC_MSG_MAX bytes).
 * @retval MK_EDESTROYED The server process was destroyed while waiting.
 * @since 1.0
 */
MK_API int mk_rpc_receive(mk_t *k, mk_pid_t server, uint64_t *call_id, mk_pid_t *client,
                          void *buf, size_t cap, size_t *len, uint64_t timeout_ticks);

/**
 * @brief Answer a received call: copy the reply to its caller and wake it.
 *
 * Never blocks.
 * @param k Context.
 * @param server The server that received the call; a body may pass 0 for
 *        itself.
 * @param call_id Id from mk_rpc_receive().
 * @param data Reply bytes; may be NULL when @p len is 0.
 * @param len Reply length, 0 … the caller's @c cap.
 * @retval 0 The reply was delivered; the call is finished.
 * @retval MK_EINVAL @p k is NULL, or @p data is NULL with @p len > 0.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT No such open call: never issued, not received yet,
 *         already answered, or withdrawn by its client (timed out, client
 *         destroyed).
 * @retval MK_EPERM The call was received by another server.
 * @retval MK_EMSGSIZE @p len exceeds the caller's buffer; the call stays
 *         open.
 * @since 1.0
 */
MK_API int mk_rpc_reply(mk_t *k, mk_pid_t server, uint64_t call_id, const void *data,
                        size_t len);

/**
 * @brief Number of calls waiting for a server and received by it but not
 *        yet answered.
 * @param k Context.
 * @param server Server process, ≥ 1; a body may pass 0 for itself.
 * @param[out] queued Receives the calls not yet received; may be NULL.
 * @param[out] open Receives the received calls not yet answered; may be
 *        NULL.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT No process @p server.
 * @since 1.0
 */
MK_API int mk_rpc_pending(mk_t *k, mk_pid_t server, uint32_t *queued, uint32_t *open);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_RPC_H */
