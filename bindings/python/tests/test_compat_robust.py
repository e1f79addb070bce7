"""Microkernel: no Python exception ever escapes a compat method.

Every method of the DESIGN.md table is called with hostile arguments (wrong
types, out-of-range numbers, huge sizes, NUL bytes, too-long names), and
then again after the kernel was closed; each must return its documented
failure value (False or None) and never raise.
"""

import itertools
import unittest

import _support
import mk
from mk import Microkernel

# method name -> (number of arguments, failure value)
METHODS = {
    "add_process": (1, False), "check_process": (1, False),
    "stop_process": (1, False),
    "allocate_memory": (2, None), "free_memory": (2, False),
    "check_memory_violation": (2, False),
    "send_message": (2, False), "receive_message": (1, None),
    "create_message_queue": (1, False), "send_message_queue": (2, False),
    "receive_message_queue": (1, None),
    "mount_file_system": (2, False), "unmount_file_system": (1, False),
    "create_file": (2, None), "write_file": (2, False),
    "read_file": (1, None), "delete_file": (1, False),
    "write_block": (3, False), "read_block": (2, None),
    "create_semaphore": (2, False), "acquire_semaphore": (1, False),
    "release_semaphore": (1, False),
    "sem_create": (2, False), "sem_acquire": (1, False),
    "sem_release": (1, False),
}

HOSTILE = [None, -1, 2 ** 64, 1.5, "", "x" * 2000, "a\0b", b"\xff\xfe",
           [], {}, object(), float("nan"), True]


class TestNeverRaises(unittest.TestCase):
    def test_hostile_arguments(self):
        m = Microkernel(device_size=1 << 20)
        try:
            for name, (nargs, fail) in METHODS.items():
                method = getattr(m, name)
                for args in itertools.product(HOSTILE[:7], repeat=nargs) \
                        if nargs < 3 else [(h,) * 3 for h in HOSTILE]:
                    try:
                        r = method(*args)
                    except Exception as e:  # pragma: no cover - a failure
                        self.fail("%s%r raised %r" % (name, args, e))
                    self.assertIn(r, (fail, True, False, None),
                                  "%s%r" % (name, args))
        finally:
            m.close()

    def test_each_hostile_value_alone(self):
        m = Microkernel(device_size=1 << 20)
        try:
            for name, (nargs, fail) in METHODS.items():
                for h in HOSTILE:
                    for pos in range(nargs):
                        args = ["/dev/sda1" if "block" in name else 1] * nargs
                        args[pos] = h
                        try:
                            getattr(m, name)(*args)
                        except Exception as e:
                            self.fail("%s%r raised %r" % (name, args, e))
        finally:
            m.close()

    def test_no_argument_methods(self):
        m = Microkernel()
        self.assertIs(m.flush_buffer(), True)
        self.assertIs(m.evict_cache(), False)
        m.close()
        self.assertIs(m.flush_buffer(), False)
        self.assertIs(m.evict_cache(), False)

    def test_everything_fails_quietly_after_close(self):
        m = Microkernel()
        m.add_process(1)
        m.create_message_queue("q")
        m.create_semaphore("s", 1)
        m.close()
        good = {
            "add_process": (2,), "check_process": (1,), "stop_process": (1,),
            "allocate_memory": (10, 1), "free_memory": (1, 1),
            "check_memory_violation": (10, 1),
            "send_message": (1, "x"), "receive_message": (1,),
            "create_message_queue": ("q2",),
            "send_message_queue": ("q", "x"), "receive_message_queue": ("q",),
            "mount_file_system": ("/dev/sda1", "/mnt"),
            "unmount_file_system": ("/mnt",),
            "create_file": ("/mnt/f", 1), "write_file": ("/mnt/f", b"x"),
            "read_file": ("/mnt/f",), "delete_file": ("/mnt/f",),
            "write_block": ("/dev/sda1", 0, b"x"),
            "read_block": ("/dev/sda1", 0),
            "create_semaphore": ("t", 1), "acquire_semaphore": ("s",),
            "release_semaphore": ("s",), "sem_create": ("t", 1),
            "sem_acquire": ("s",), "sem_release": ("s",),
        }
        self.assertEqual(set(good), set(METHODS))
        for name, args in good.items():
            self.assertIs(getattr(m, name)(*args), METHODS[name][1], name)

    def test_keyboard_interrupt_is_not_swallowed(self):
        class Boom:
            def __reduce__(self):
                raise KeyboardInterrupt
        with Microkernel() as m:
            m.add_process(1)
            with self.assertRaises(KeyboardInterrupt):
                m.send_message(1, Boom())


if __name__ == "__main__":
    _support.main()
