/*
 * version.c - run-time version of the library, to compare with the
 * MK_VERSION_* macros a program was compiled against.
 */
#include <microkernel/version.h>

#define MK__STR2(x) #x
#define MK__STR(x) MK__STR2(x)

uint32_t mk_version(void)
{
    return MK_VERSION_NUMBER;
}

const char *mk_version_string(void)
{
    return MK__STR(MK_VERSION_MAJOR) "." MK__STR(MK_VERSION_MINOR) "." MK__STR(
        MK_VERSION_PATCH);
}
