/**
 * @file version.h
 * @brief Compile-time and run-time version numbers of libmk.
 *
 * The compile-time macros say which headers a program was built against; the
 * run-time functions say which library it is running with. Compare the two to
 * detect a program running against an older library than it was built for.
 * The on-disk file-system format has a version of its own (see fs.h).
 */
#ifndef MICROKERNEL_VERSION_H
#define MICROKERNEL_VERSION_H

#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Major version: changes only with an incompatible ABI (and SONAME). @since 1.0 */
#define MK_VERSION_MAJOR 1
/** Minor version: grows when symbols are added compatibly. @since 1.0 */
#define MK_VERSION_MINOR 0
/** Patch version: fixes without interface change. @since 1.0 */
#define MK_VERSION_PATCH 0
/** Version as one comparable number: major * 10000 + minor * 100 + patch. @since 1.0 */
#define MK_VERSION_NUMBER \
    (MK_VERSION_MAJOR * 10000 + MK_VERSION_MINOR * 100 + MK_VERSION_PATCH)

/**
 * @brief Version of the running library.
 * @return The running library's #MK_VERSION_NUMBER (major * 10000 +
 *         minor * 100 + patch). Never fails; thread-safe.
 * @since 1.0
 */
MK_API uint32_t mk_version(void);

/**
 * @brief Version of the running library as text, for example "1.0.0".
 * @return A static NUL-terminated string; the caller must not free it.
 * @since 1.0
 */
MK_API const char *mk_version_string(void);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_VERSION_H */
