"""MkError: the Python face of libmk's negative ``MK_E…`` codes.

``MkError(code)`` builds the subclass registered for that code (for example
``MkError(MK_ENOENT)`` is a :class:`NotFound`), so callers may catch either
the family (``except MkError``) or one condition (``except mk.NotFound``).
Every instance carries ``.code`` (the negative int), ``.name`` (from
``mk_err_name``, e.g. ``"MK_ENOENT"``) and a message from ``mk_strerror``.
"""

from . import _lib

# Pinned numbers from include/microkernel/error.h (append-only there).
_CODES = {
    "EINVAL": -1, "ENOENT": -2, "EEXIST": -3, "ENOMEM": -4, "EQUOTA": -5,
    "EPERM": -6, "EBUSY": -7, "EAGAIN": -8, "ETIMEDOUT": -9, "EFAULT": -10,
    "EBADH": -11, "EIO": -12, "ENOSPC": -13, "ENOTDIR": -14, "EISDIR": -15,
    "ENOTEMPTY": -16, "ENAMETOOLONG": -17, "EDEADLK": -18, "ECORRUPT": -19,
    "EMSGSIZE": -20, "ERANGE": -21, "EDESTROYED": -22, "ENOTSUP": -23,
    "EMFILE": -24, "EXDEV": -25, "ENOFS": -26,
}
globals().update({"MK_" + n: v for n, v in _CODES.items()})
MK_OK = 0

_BY_CODE = {}


def err_name(code):
    """Symbolic name of a code, e.g. ``"MK_ENOENT"`` (``mk_err_name``)."""
    return _lib.lib.mk_err_name(int(code)).decode()


def strerror(code):
    """Message of a code (``mk_strerror``)."""
    return _lib.lib.mk_strerror(int(code)).decode()


class MkError(Exception):
    """A libmk call failed. ``.code`` is the negative ``MK_E…`` value."""

    def __new__(cls, code, *args, **kwargs):
        if cls is MkError:
            cls = _BY_CODE.get(code, MkError)
        return super().__new__(cls)

    def __init__(self, code, context=None):
        self.code = int(code)
        self.name = err_name(self.code)
        self.message = strerror(self.code)
        self.context = context
        text = "%s: %s" % (self.name, self.message)
        if context:
            text = "%s: %s" % (context, text)
        super().__init__(text)

    def __reduce__(self):
        return (MkError, (self.code, self.context))


def _sub(clsname, code_name, doc):
    code = _CODES[code_name]
    cls = type(clsname, (MkError,), {"__doc__": doc, "CODE": code})
    _BY_CODE[code] = cls
    return cls


InvalidArgument = _sub("InvalidArgument", "EINVAL", "MK_EINVAL")
NotFound = _sub("NotFound", "ENOENT", "MK_ENOENT: no such object")
AlreadyExists = _sub("AlreadyExists", "EEXIST", "MK_EEXIST")
OutOfMemory = _sub("OutOfMemory", "ENOMEM", "MK_ENOMEM")
QuotaExceeded = _sub("QuotaExceeded", "EQUOTA", "MK_EQUOTA")
PermissionDenied = _sub("PermissionDenied", "EPERM", "MK_EPERM")
Busy = _sub("Busy", "EBUSY", "MK_EBUSY")
WouldBlock = _sub("WouldBlock", "EAGAIN", "MK_EAGAIN: empty or full")
TimedOut = _sub("TimedOut", "ETIMEDOUT", "MK_ETIMEDOUT")
BadHandle = _sub("BadHandle", "EBADH", "MK_EBADH: stale or forged handle")
NoSpace = _sub("NoSpace", "ENOSPC", "MK_ENOSPC")
NameTooLong = _sub("NameTooLong", "ENAMETOOLONG", "MK_ENAMETOOLONG")
MessageTooLarge = _sub("MessageTooLarge", "EMSGSIZE", "MK_EMSGSIZE")
NotAFileSystem = _sub("NotAFileSystem", "ENOFS", "MK_ENOFS")


def check(rc, context=None):
    """Raise MkError for a negative return code; return ``rc`` otherwise."""
    if rc < 0:
        raise MkError(rc, context)
    return rc


__all__ = (["MkError", "check", "err_name", "strerror", "MK_OK"]
           + ["MK_" + n for n in _CODES]
           + [c.__name__ for c in _BY_CODE.values()])
