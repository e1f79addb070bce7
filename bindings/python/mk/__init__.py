"""mk: Python binding of libmk (ctypes).

``from mk import Microkernel`` gives microkernel-ultra's API, kept exactly
(methods never raise; they return False/None on failure). ``mk.Kernel`` is
the whole C API in Pythonic form: exceptions (:class:`MkError`) carrying the
``MK_E…`` code, context managers, bytes everywhere.

The library is found through ``MK_LIBRARY``, a meson build tree next to this
package, or the system (see ``mk._loader``); ``mk.LIBRARY_PATH`` says which.
"""

from ._lib import path as LIBRARY_PATH
from .errors import *  # noqa: F401,F403  MkError, subclasses, MK_E… codes
from .errors import MkError
from .kernel import (Kernel, version, MK_PID_KERNEL, MK_PID_MAX, MK_NO_WAIT,
                     MK_FOREVER, MK_NAME_MAX)
from .compat import Microkernel, Sem

__version__ = "1.0.0"
