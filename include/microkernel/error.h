/**
 * @file error.h
 * @brief Error codes returned by every fallible libmk call.
 *
 * Every fallible call returns `int`: 0 on success or one of the negative
 * `MK_E…` codes below. The values are pinned and append-only: a code keeps
 * its number forever, new codes take the next free number. The table
 * #MK_ERRNO_MAP lists each code with its number and message; it generates the
 * enum, mk_strerror() and mk_err_name() so the three can never drift apart
 * (the libuv `uv-errno` pattern).
 */
#ifndef MICROKERNEL_ERROR_H
#define MICROKERNEL_ERROR_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief X-macro table of every error code: XX(name, number, message).
 *
 * Numbers are pinned; new rows are appended with the next number.
 * @since 1.0
 */
#define MK_ERRNO_MAP(XX)                                                     \
    XX(EINVAL, -1, "invalid argument")                                       \
    XX(ENOENT, -2, "no such object")                                         \
    XX(EEXIST, -3, "object already exists")                                  \
    XX(ENOMEM, -4, "out of memory")                                          \
    XX(EQUOTA, -5, "process memory quota exceeded")                          \
    XX(EPERM, -6, "operation not permitted for this process")                \
    XX(EBUSY, -7, "object is busy")                                          \
    XX(EAGAIN, -8, "resource temporarily unavailable, try again")            \
    XX(ETIMEDOUT, -9, "timed out")                                           \
    XX(EFAULT, -10, "access outside the bounds of a memory block")           \
    XX(EBADH, -11, "stale, forged or closed handle")                         \
    XX(EIO, -12, "input/output error on a device")                           \
    XX(ENOSPC, -13, "no space left on device")                               \
    XX(ENOTDIR, -14, "not a directory")                                      \
    XX(EISDIR, -15, "is a directory")                                        \
    XX(ENOTEMPTY, -16, "directory not empty")                                \
    XX(ENAMETOOLONG, -17, "name too long")                                   \
    XX(EDEADLK, -18, "operation would deadlock")                             \
    XX(ECORRUPT, -19, "on-disk structure is corrupt")                        \
    XX(EMSGSIZE, -20, "message or data too large")                           \
    XX(ERANGE, -21, "value or offset out of range")                          \
    XX(EDESTROYED, -22, "object was destroyed while waiting on it")          \
    XX(ENOTSUP, -23, "operation not supported")                              \
    XX(EMFILE, -24, "too many open files for this process")                  \
    XX(EXDEV, -25, "operation crosses a mount boundary")                     \
    XX(ENOFS, -26, "device does not hold a libmk file system")

#define MK__ERRNO_ENUM(name, num, msg) MK_##name = (num),
/**
 * @brief Error codes (always negative), one enumerator `MK_<name>` per row
 *        of #MK_ERRNO_MAP, with the number and message given there.
 * @since 1.0
 */
typedef enum mk_errno {
    MK_OK = 0, /**< Success. */
    MK_ERRNO_MAP(MK__ERRNO_ENUM)
} mk_errno_t;
#undef MK__ERRNO_ENUM

/**
 * @brief Human-readable message for an error code.
 * @param err 0 or an `MK_E…` code; any other value is accepted.
 * @return A static NUL-terminated string ("success" for 0, "unknown error"
 *         for a value that is not a code); never NULL; do not free.
 *         Thread-safe.
 * @since 1.0
 */
MK_API const char *mk_strerror(int err);

/**
 * @brief Symbolic name of an error code, for example "MK_ENOENT".
 * @param err 0 or an `MK_E…` code; any other value is accepted.
 * @return A static string ("MK_OK" for 0, "MK_UNKNOWN" for a value that is
 *         not a code); never NULL; do not free. Thread-safe.
 * @since 1.0
 */
MK_API const char *mk_err_name(int err);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_ERROR_H */
