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
from ._mem import (Block, Heap, MK_HEAP_DEFAULT, MK_HEAP_BUMP,
                   MK_HEAP_FREELIST, MK_HEAP_FIXED, MK_HEAP_MIN_SIZE,
                   MK_MEM_ALIGN, MK_HEAP_FIXED_MAX_CLASS)
from ._ipc import (Mailbox, Queue, MK_QUEUE_WORK, MK_QUEUE_PUBSUB,
                   MK_MSG_MAX_DEFAULT, MK_MSG_MAX_LIMIT,
                   MK_MBOX_CAPACITY_DEFAULT, MK_QUEUE_CAPACITY_MAX)
from ._sync import Semaphore
from ._blk import (Device, MK_BLK_SIZE_DEFAULT, MK_BLK_SIZE_MIN,
                   MK_BLK_SIZE_MAX, MK_BLK_CREATE)
from ._file import MkFile
from ._vfs import (StatResult, DirEntry, MK_PATH_MAX, MK_VFS_OPEN_MAX,
                   MK_O_RDONLY, MK_O_WRONLY, MK_O_RDWR, MK_O_CREAT,
                   MK_O_EXCL, MK_O_TRUNC, MK_O_APPEND, MK_O_DIRECTORY,
                   MK_SEEK_SET, MK_SEEK_CUR, MK_SEEK_END, MK_MOUNT_FORMAT,
                   MK_FT_REG, MK_FT_DIR)
from .compat import Microkernel, Sem

__version__ = "1.0.0"
