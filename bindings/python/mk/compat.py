"""Microkernel: microkernel-ultra's API, kept, on top of libmk.

Method names, arguments and return values are those of microkernel-ultra
(see DESIGN.md, "The Python binding keeps the original API"). No Python
exception escapes a method: failures return False or None. Host code acts
for pid 0 (MK_PID_KERNEL) where the original names no process.

Choices where the original was silent or broken (documented, and tested in
tests/test_compat_*.py):

* ``add_process(pid)``: True when the process exists afterwards (a pid
  that already exists is not an error, as in the original); False for a
  pid that cannot be one (not an int, 0, negative, > MK_PID_MAX). New
  processes get a mailbox of MK_QUEUE_CAPACITY_MAX messages (the original's
  lists were unbounded).
* Messages keep their type: ``bytes`` travel as they are (tag 0), ``str`` as
  UTF-8 (tag TAG_STR), any other object pickled (tag TAG_PICKLE). A message
  from C code with another tag is returned as bytes. Pickled messages are
  only unpickled when they carry TAG_PICKLE; do not use pickled messages
  with senders you do not trust (pickle runs code on load). A message
  whose encoding is over 64 KiB (MK_MSG_MAX_DEFAULT, the mailbox limit) is
  refused (False); queues made here take up to 16 MiB. Nothing blocks:
  a full mailbox or queue gives False, an empty one None.
* ``create_message_queue(name)`` makes a work queue and returns True; if the
  queue already exists it is kept as it is (messages included) and True is
  returned (the original silently emptied it).
* Devices: a name never registered gets a zeroed, sparse RAM device of
  ``device_size`` bytes (default 256 MiB) with ``block_size``-byte blocks
  (default 4096) on first use. ``devices={"/dev/sda1": "disk.img"}`` backs
  a device by an image file, created (sparse, ``device_size``) if missing;
  an image that cannot be opened makes the constructor raise MkError.
  Mounting formats a blank device (MK_MOUNT_FORMAT); a device holding
  anything else than a libmk file system is refused (False), never
  formatted.
* ``create_file(path, size)``: creates (or empties, as the original did) the
  file and returns ``{"name", "size", "data", "path", "ino"}`` where
  ``name`` is the path inside its mount point (as in the original) and
  ``size`` the size asked for; None when the file system has less than
  ``size`` bytes free, or the path is not on a mounted file system.
* ``write_file`` replaces the whole content (False if the file does not
  exist, as in the original); ``str`` data is written as UTF-8.
* ``write_block`` pads the data with zeros to a whole block and returns
  True; longer than a block → False. ``flush_buffer()`` and
  ``evict_cache()`` return True on success (evict: True if a block was
  evicted, False if nothing was evictable); the original returned None.
* Semaphores never block here (the original's did not either):
  ``acquire_semaphore`` returns False when the count is 0.
"""

import functools
import os
import pickle

from . import _conv as cv
from .errors import MkError, MK_EEXIST, MK_ENOENT
from .kernel import Kernel, MK_PID_MAX
from ._ipc import MK_QUEUE_CAPACITY_MAX, MK_MSG_MAX_LIMIT
from ._vfs import MK_O_CREAT, MK_O_TRUNC, MK_O_WRONLY

TAG_BYTES = 0
TAG_STR = 0x6D6B0001     # "mk" 0001
TAG_PICKLE = 0x6D6B0002  # "mk" 0002
DEFAULT_DEVICE_SIZE = 256 << 20
DEFAULT_BLOCK_SIZE = 4096


def _encode(msg):
    """(tag, bytes) for a message of any picklable type."""
    if type(msg) is bytes:
        return TAG_BYTES, msg
    if type(msg) is str:
        return TAG_STR, msg.encode("utf-8", "surrogatepass")
    return TAG_PICKLE, pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)


def _decode(tag, data):
    if tag == TAG_STR:
        return data.decode("utf-8", "surrogatepass")
    if tag == TAG_PICKLE:
        return pickle.loads(data)
    return data


def _pid(pid):
    """A valid pid (1 … MK_PID_MAX) or ValueError/TypeError."""
    if isinstance(pid, bool):
        raise TypeError("pid must be an int")
    pid = cv.u32(pid, "pid")
    if not 1 <= pid <= MK_PID_MAX:
        raise ValueError("pid out of range")
    return pid


def _safe(default):
    """Decorator: any exception becomes ``default`` (the compat contract)."""
    def wrap(fn):
        @functools.wraps(fn)
        def method(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception:
                return default
        return method
    return wrap


class Sem:
    """microkernel-ultra's ``Sem`` object: named counting semaphores.

    The original ``sem.py`` holds ``{name: {"count": n}}``;
    ``sem_create(name, initial_count)`` is True, or False when the name
    exists; ``sem_acquire(name)`` takes one unit and is True, or False when
    the count is 0 or the name is unknown (it never blocks);
    ``sem_release(name)`` gives one back and is True, False for an unknown
    name. Here each is a libmk semaphore (maximum UINT32_MAX). ``Sem()``
    makes its own kernel; ``Sem(kernel)`` shares one (Microkernel.sem does).
    """

    def __init__(self, kernel=None):
        self.kernel = kernel if kernel is not None else Kernel()

    @_safe(False)
    def sem_create(self, name, initial_count):
        if isinstance(initial_count, bool):
            return False
        self.kernel.sem_create(name, initial_count, 0)
        return True

    @_safe(False)
    def sem_acquire(self, name):
        return self.kernel.sem_trywait(name, raise_empty=False)

    @_safe(False)
    def sem_release(self, name):
        self.kernel.sem_post(name)
        return True

    @_safe(None)
    def sem_value(self, name):
        """The current count (extra), None for an unknown name."""
        return self.kernel.sem_value(name)


class Microkernel:
    """microkernel-ultra's ``Microkernel`` on libmk (see the module doc).

    ``devices`` maps device names to image paths; ``device_size`` and
    ``block_size`` set the geometry of devices made on first use; other
    keyword arguments configure the Kernel (e.g. ``default_quota`` gives
    every new process a memory limit in bytes). ``.kernel`` is the
    underlying :class:`mk.Kernel` for everything the original lacks.
    """

    def __init__(self, devices=None, device_size=DEFAULT_DEVICE_SIZE,
                 block_size=DEFAULT_BLOCK_SIZE, **config):
        # The original's buffer cache evicts in LRU order (evict_cache());
        # libmk's default is 2Q, so ask for LRU unless told otherwise.
        config.setdefault("cache_policy", 1)  # MK_CACHE_POLICY_LRU
        self.kernel = Kernel(**config)
        self.sem = Sem(self.kernel)
        self._device_size = device_size
        self._block_size = block_size
        self._mounts = set()
        try:
            for name, path in (devices or {}).items():
                self.kernel.blk_open_image(
                    name, path, block_size,
                    self._image_blocks(path), create=True)
        except BaseException:
            self.kernel.close()
            raise

    def _image_blocks(self, path):
        """0 (the file's own size) for an existing image, else default."""
        try:
            if os.path.getsize(path) > 0:
                return 0
        except OSError:
            pass
        return self._device_size // self._block_size

    # -- life cycle (extras) ----------------------------------------------
    def close(self):
        """Flush everything to the devices and release the kernel: True,
        or False if some data could not be written back (extra)."""
        try:
            self.kernel.close()
            return True
        except Exception:
            return False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- processes --------------------------------------------------------
    @_safe(False)
    def add_process(self, process_id):
        pid = _pid(process_id)
        try:
            self.kernel.proc_create(pid)
        except MkError as e:
            if e.code != MK_EEXIST:
                return False
            return True
        try:
            self.kernel.mbox_set_capacity(pid, MK_QUEUE_CAPACITY_MAX)
        except MkError:
            pass
        return True

    @_safe(False)
    def check_process(self, process_id):
        return self.kernel.proc_exists(_pid(process_id))

    @_safe(False)
    def stop_process(self, process_id):
        self.kernel.proc_destroy(_pid(process_id))
        return True

    # -- memory -----------------------------------------------------------
    @_safe(None)
    def allocate_memory(self, size, process_id):
        if isinstance(size, bool) or isinstance(process_id, bool):
            return None
        pid = cv.u32(process_id, "pid")
        blk = self.kernel.mem_alloc(size, pid)
        try:
            info = self.kernel.mem_info(blk)
        except MkError:
            info = {"addr": None, "heap": 0}
        return {"id": blk.handle, "size": size, "allocated": True,
                "process_id": process_id, "address": info["addr"],
                "heap": info["heap"]}

    @_safe(False)
    def free_memory(self, id, process_id):
        if isinstance(id, bool) or isinstance(process_id, bool):
            return False
        self.kernel.mem_free(id, cv.u32(process_id, "pid"))
        return True

    @_safe(False)
    def check_memory_violation(self, size, process_id):
        if isinstance(size, bool) or isinstance(process_id, bool):
            return False
        return self.kernel.mem_check(cv.u32(process_id, "pid"), size)

    @_safe(False)
    def set_memory_limit(self, process_id, limit):
        """Extra: set a process's memory limit in bytes (0 = unlimited)."""
        self.kernel.mem_set_quota(_pid(process_id), limit)
        return True

    # -- messages ---------------------------------------------------------
    @_safe(False)
    def send_message(self, process_id, message):
        tag, data = _encode(message)
        self.kernel.mbox_send(_pid(process_id), data, tag)
        return True

    @_safe(None)
    def receive_message(self, process_id):
        tag, data = self.kernel.mbox_recv(_pid(process_id))
        return _decode(tag, data)

    @_safe(False)
    def create_message_queue(self, queue_name):
        try:
            self.kernel.queue_create(queue_name, "work",
                                     MK_QUEUE_CAPACITY_MAX, MK_MSG_MAX_LIMIT)
        except MkError as e:
            if e.code != MK_EEXIST:
                return False
        return True

    @_safe(False)
    def send_message_queue(self, queue_name, message):
        tag, data = _encode(message)
        self.kernel.queue_send(self.kernel.queue_open(queue_name), data, tag)
        return True

    @_safe(None)
    def receive_message_queue(self, queue_name):
        tag, data = self.kernel.queue_recv(self.kernel.queue_open(queue_name))
        return _decode(tag, data)

    # -- semaphores -------------------------------------------------------
    def create_semaphore(self, name, count):
        return self.sem.sem_create(name, count)

    def acquire_semaphore(self, name):
        return self.sem.sem_acquire(name)

    def release_semaphore(self, name):
        return self.sem.sem_release(name)

    def sem_create(self, name, initial_count):
        return self.sem.sem_create(name, initial_count)

    def sem_acquire(self, name):
        return self.sem.sem_acquire(name)

    def sem_release(self, name):
        return self.sem.sem_release(name)

    # -- devices ----------------------------------------------------------
    def _device(self, name):
        """The device ``name``, made as a zeroed RAM device on first use."""
        try:
            return self.kernel.blk_lookup(name)
        except MkError as e:
            if e.code != MK_ENOENT:
                raise
        try:
            return self.kernel.blk_create_ram(
                name, self._device_size // self._block_size, self._block_size)
        except MkError as e:
            if e.code != MK_EEXIST:    # another thread made it first
                raise
            return self.kernel.blk_lookup(name)

    @_safe(False)
    def write_block(self, device, block_num, data):
        if isinstance(block_num, bool):
            return False
        if isinstance(data, str):
            data = data.encode("utf-8")
        data = cv.data(data)
        dev = self._device(device)
        bs = dev.block_size
        if len(data) > bs:
            return False
        self.kernel.blk_write(dev, block_num, data + bytes(bs - len(data)))
        return True

    @_safe(None)
    def read_block(self, device, block_num):
        if isinstance(block_num, bool):
            return None
        return self.kernel.blk_read(self._device(device), block_num)

    @_safe(False)
    def flush_buffer(self):
        self.kernel.cache_flush()
        return True

    @_safe(False)
    def evict_cache(self):
        return self.kernel.cache_evict() == 1

    # -- file systems -----------------------------------------------------
    @_safe(False)
    def mount_file_system(self, device, mount_point):
        self.kernel.mount(self._device(device), mount_point, format=True)
        self._mounts.add(mount_point)
        return True

    @_safe(False)
    def unmount_file_system(self, mount_point):
        self.kernel.unmount(mount_point)
        self._mounts.discard(mount_point)
        return True

    def _name_in_mount(self, path):
        best = max((m for m in self._mounts
                    if m == "/" or path == m or path.startswith(m + "/")),
                   key=len, default="")
        rest = path[len(best):] if best != "/" else path
        return rest or "/"

    @_safe(None)
    def create_file(self, path, size):
        if isinstance(size, bool):
            return None
        size = cv.u64(size, "size")
        fs = self.kernel.statfs(path.rsplit("/", 1)[0] or "/")
        if fs["free_blocks"] * fs["block_size"] < size:
            return None
        self.kernel.vfs_close(self.kernel.vfs_open(
            path, MK_O_WRONLY | MK_O_CREAT | MK_O_TRUNC))
        st = self.kernel.stat(path)
        return {"name": self._name_in_mount(path), "size": size,
                "data": b"", "path": path, "ino": st.ino}

    @_safe(False)
    def write_file(self, path, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        data = memoryview(cv.data(data))
        fd = self.kernel.vfs_open(path, MK_O_WRONLY | MK_O_TRUNC)
        try:
            while len(data):
                n = self.kernel.vfs_write(fd, data)
                data = data[n:]
        finally:
            self.kernel.vfs_close(fd)
        return True

    @_safe(None)
    def read_file(self, path):
        return self.kernel.read_file(path)

    @_safe(False)
    def delete_file(self, path):
        self.kernel.unlink(path)
        return True
