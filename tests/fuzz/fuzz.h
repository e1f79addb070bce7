/*
 * fuzz.h - shared by the mount fuzz target and its corpus replay: the
 * geometry of the fuzzed device (inputs are a prefix of its image).
 */
#ifndef MK_TESTS_FUZZ_H
#define MK_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#define MK_FZ_BSIZE 512u
#define MK_FZ_NBLOCKS 96u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
