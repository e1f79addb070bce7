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
from ._sched import (Mutex, ProcessExit, BodyError, MK_PRIO_MIN, MK_PRIO_MAX,
                     MK_PRIO_DEFAULT, MK_CALL_TICKS, MK_PROC_THREAD,
                     MK_RUN_DONE, MK_RUN_TICKS, MK_RUN_STOPPED,
                     MK_MUTEX_RECURSIVE, MK_MUTEX_OPEN_MAX, MK_MUTEX_SYS_MAX)
from ._irq import (MK_IRQ_LINES, MK_IRQ_CLOCK, MK_IRQ_TERMINAL,
                   MK_IRQ_SOFT_FIRST, MK_IRQ_PRIO_MIN, MK_IRQ_PRIO_MAX,
                   MK_TERM_BUF_SIZE, MK_EXC_MEMORY, MK_EXC_QUOTA, MK_EXC_BADH,
                   MK_EXC_DIVZERO, MK_EXC_ILLEGAL, MK_EXC_USER, MK_EXC_MAX,
                   MK_EXC_HANDLED, MK_EXC_KILL)
from ._rpc import MK_RPC_MSG_MAX
from ._trace import event_name
from .timeline import Timeline
from .client import Client
from .compat import Microkernel, Sem

__version__ = "1.0.0"
