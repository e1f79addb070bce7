"""Finding and loading the libmk shared library.

Order of search (the first that loads wins):

1. ``MK_LIBRARY``: a path to the library, when the variable is set. Nothing
   else is tried then, so a wrong path fails loudly instead of silently
   loading another copy.
2. A meson build tree of the source checkout this package sits in:
   ``<repo>/build*/libmk.so.1`` with ``<repo>`` two folders above this
   package, newest file first. A sanitizer build (linked with libasan,
   libtsan or libubsan) is passed over: its runtime aborts the whole Python
   process unless preloaded. A candidate that does not load is skipped.
3. The system's library: ``ctypes.util.find_library('mk')``, then the
   SONAME ``libmk.so.1``.

When nothing loads, ImportError names every path tried and why it failed.
"""

import ctypes
import ctypes.util
import glob
import os

SONAME = "libmk.so.1"


_SANITIZER_RUNTIMES = (b"libasan.so", b"libtsan.so", b"libubsan.so")


def _links_sanitizer(path):
    """True when the library names a sanitizer runtime it needs."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return True
    return any(rt in data for rt in _SANITIZER_RUNTIMES)


def _build_tree_candidates():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    found = []
    for path in glob.glob(os.path.join(repo, "build*", SONAME)):
        if _links_sanitizer(path):
            continue
        try:
            found.append((os.path.getmtime(path), path))
        except OSError:
            continue            # removed meanwhile (another build)
    return [p for _m, p in sorted(found, reverse=True)]


def load():
    """Return (ctypes.CDLL, path) for libmk or raise ImportError."""
    tried = []
    env = os.environ.get("MK_LIBRARY")
    if env:
        try:
            return ctypes.CDLL(env), env
        except OSError as e:
            raise ImportError(
                "mk: cannot load libmk from MK_LIBRARY=%r: %s" % (env, e)) from e
    candidates = _build_tree_candidates()
    sys_name = ctypes.util.find_library("mk")
    if sys_name:
        candidates.append(sys_name)
    candidates.append(SONAME)
    for path in candidates:
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError(
        "mk: cannot find libmk. Set MK_LIBRARY to the path of libmk.so.1, "
        "build it with meson in the source tree, or install it. Tried: "
        + "; ".join(tried))
