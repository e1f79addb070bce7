"""Argument checks done before a value reaches ctypes.

ctypes silently wraps integers to the C width (pid 2**32 + 1 would become
pid 1), so every integer is range-checked here first: a non-integer raises
TypeError, an integer outside the C type raises MkError(MK_EINVAL) (or
MK_EBADH for a handle, which is what the library says for a forged one).
Names and paths are taken as ``str`` (UTF-8) or ``bytes``.
"""

import operator

from .errors import MkError, MK_EINVAL, MK_EBADH


def _int(v, what):
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError("%s must be an integer, not %s"
                        % (what, type(v).__name__)) from None


def u32(v, what="value"):
    v = _int(v, what)
    if not 0 <= v <= 0xFFFFFFFF:
        raise MkError(MK_EINVAL, "%s %d out of range" % (what, v))
    return v


def u64(v, what="value"):
    v = _int(v, what)
    if not 0 <= v <= 0xFFFFFFFFFFFFFFFF:
        raise MkError(MK_EINVAL, "%s %d out of range" % (what, v))
    return v


def i64(v, what="value"):
    v = _int(v, what)
    if not -2 ** 63 <= v < 2 ** 63:
        raise MkError(MK_EINVAL, "%s %d out of range" % (what, v))
    return v


def handle(v, what="handle"):
    v = _int(v, what)
    if not 0 <= v <= 0xFFFFFFFFFFFFFFFF:
        raise MkError(MK_EBADH, "%s %d out of range" % (what, v))
    return v


def name(v, what="name"):
    """A C string from ``str`` or ``bytes``; NUL inside is refused."""
    if isinstance(v, str):
        v = v.encode("utf-8")
    elif isinstance(v, (bytes, bytearray, memoryview)):
        v = bytes(v)
    else:
        raise TypeError("%s must be str or bytes, not %s"
                        % (what, type(v).__name__))
    if b"\0" in v:
        raise MkError(MK_EINVAL, "%s contains NUL" % what)
    return v


def data(v, what="data"):
    """Bytes from any bytes-like object (str is refused: bytes everywhere)."""
    if isinstance(v, str):
        raise TypeError("%s must be bytes-like, not str" % what)
    return bytes(memoryview(v))
