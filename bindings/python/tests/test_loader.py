"""Library loading and the ctypes prototype table."""

import os
import re
import subprocess
import sys
import unittest

import _support
from _support import REPO, PKG_ROOT

import mk
from mk import _lib


class TestLoader(unittest.TestCase):
    def test_loaded_library_is_mk_library_when_set(self):
        env = os.environ.get("MK_LIBRARY")
        if env:
            self.assertEqual(mk.LIBRARY_PATH, env)
        self.assertTrue(os.path.basename(mk.LIBRARY_PATH).startswith("libmk"))

    def test_every_prototype_is_bound(self):
        self.assertEqual(_lib.MISSING, [])
        for name, (restype, argtypes) in _lib.PROTOTYPES.items():
            fn = getattr(_lib.lib, name)
            self.assertEqual(fn.restype, restype, name)
            self.assertEqual(fn.argtypes, argtypes, name)

    def test_prototypes_cover_every_public_header_function(self):
        inc = os.path.join(REPO, "include", "microkernel")
        declared = set()
        for h in sorted(os.listdir(inc)):
            if h.endswith(".h"):
                with open(os.path.join(inc, h)) as f:
                    text = f.read()
                declared |= set(re.findall(
                    r"^MK_API\s[^;(]*?\b(mk_[a-z0-9_]+)\s*\(", text, re.M))
        self.assertGreater(len(declared), 80)
        self.assertEqual(sorted(declared - set(_lib.PROTOTYPES)), [])
        self.assertEqual(sorted(set(_lib.PROTOTYPES) - declared), [])

    def test_version(self):
        number, text = mk.version()
        self.assertEqual(number, 10000)
        self.assertEqual(text, "1.0.0")

    def _import_with(self, library):
        env = dict(os.environ, PYTHONPATH=PKG_ROOT, MK_LIBRARY=library)
        return subprocess.run([sys.executable, "-c", "import mk"], env=env,
                              capture_output=True, text=True)

    def test_bad_mk_library_raises_clear_import_error(self):
        r = self._import_with("/nonexistent/libmk.so.1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError", r.stderr)
        self.assertIn("MK_LIBRARY", r.stderr)
        self.assertIn("/nonexistent/libmk.so.1", r.stderr)

    def test_build_tree_lookup_without_mk_library(self):
        env = {k: v for k, v in os.environ.items() if k != "MK_LIBRARY"}
        env["PYTHONPATH"] = PKG_ROOT
        r = subprocess.run(
            [sys.executable, "-c", "import mk; print(mk.LIBRARY_PATH)"],
            env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        path = r.stdout.strip()
        self.assertTrue(path.endswith("libmk.so.1"), path)


if __name__ == "__main__":
    _support.main()
