/*
 * error.c - mk_strerror and mk_err_name, generated from MK_ERRNO_MAP so the
 * messages, names and numbers cannot drift apart.
 */
#include <microkernel/error.h>

const char *mk_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define MK__ERRNO_MSG(name, num, msg)                                        \
    case num:                                                                \
        return msg;
        MK_ERRNO_MAP(MK__ERRNO_MSG)
#undef MK__ERRNO_MSG
    default:
        return "unknown error";
    }
}

const char *mk_err_name(int err)
{
    switch (err) {
    case 0:
        return "MK_OK";
#define MK__ERRNO_NAME(name, num, msg)                                       \
    case num:                                                                \
        return "MK_" #name;
        MK_ERRNO_MAP(MK__ERRNO_NAME)
#undef MK__ERRNO_NAME
    default:
        return "MK_UNKNOWN";
    }
}
