/**
 * @file export.h
 * @brief Symbol visibility and shared definitions used by every libmk header.
 *
 * The library is compiled with hidden visibility; only declarations marked
 * `MK_API` are exported, and the linker version script (`src/libmk.map`)
 * further restricts the dynamic symbol table to the `mk_` namespace.
 */
#ifndef MICROKERNEL_EXPORT_H
#define MICROKERNEL_EXPORT_H

#if defined(MK_BUILDING_LIBRARY) && defined(__GNUC__)
#define MK_API __attribute__((visibility("default")))
#else
#define MK_API
#endif

#endif /* MICROKERNEL_EXPORT_H */
