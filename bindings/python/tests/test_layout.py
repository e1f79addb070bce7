"""The ctypes structures match the C headers byte for byte.

``MK_LAYOUT_PROBE`` names the layout-probe program built by meson from the
public headers (tests/layout-probe.c); it prints each structure's size and
field offsets. Every structure of mk/_structs.py is compared with it, and
every structure the probe knows must have a mirror.
"""

import ctypes
import os
import subprocess
import unittest

import _support
from mk import _structs


class TestLayout(unittest.TestCase):
    def test_structures_match_the_headers(self):
        probe = os.environ.get("MK_LAYOUT_PROBE")
        self.assertTrue(probe and os.path.exists(probe),
                        "MK_LAYOUT_PROBE must name the built layout-probe")
        out = subprocess.run([probe], capture_output=True, text=True,
                             check=True).stdout
        seen = 0
        for line in out.split("\n"):
            if not line.strip():
                continue
            name, size, *fields = line.split()
            mirror = getattr(_structs, name)
            self.assertEqual(ctypes.sizeof(mirror), int(size), name)
            c_fields = [f.split(":")[0] for f in fields]
            self.assertEqual([f for f, _t in mirror._fields_], c_fields, name)
            for f in fields:
                field, offset = f.split(":")
                self.assertEqual(getattr(mirror, field).offset, int(offset),
                                 "%s.%s" % (name, field))
            seen += 1
        self.assertEqual(seen, 13)
        mirrors = [n for n in dir(_structs)
                   if n.startswith("mk_") and n.endswith("_t")
                   and isinstance(getattr(_structs, n), type)
                   and issubclass(getattr(_structs, n), ctypes.Structure)]
        self.assertEqual(len(mirrors), seen)


if __name__ == "__main__":
    _support.main()
