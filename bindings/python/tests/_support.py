"""Shared set-up of the Python test suites.

Puts the package folder (bindings/python) on sys.path when PYTHONPATH does
not already name it, so a suite also runs as ``python3 tests/test_x.py``.
"""

import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PKG_ROOT))
if PKG_ROOT not in sys.path:
    sys.path.insert(0, PKG_ROOT)

import mk  # noqa: E402


class MkTestCase(unittest.TestCase):
    def assertMkError(self, code, fn, *args, **kwargs):
        """fn(*args) raises MkError with exactly ``code``."""
        with self.assertRaises(mk.MkError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.code, code,
                         "expected %s, got %s" % (mk.err_name(code),
                                                  cm.exception.name))
        return cm.exception


class KernelTest(MkTestCase):
    """A fresh Kernel per test (``self.k``), closed afterwards."""

    def setUp(self):
        self.k = mk.Kernel()

    def tearDown(self):
        self.k.close()


class TempDirTest(MkTestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="mk-py-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()


def main():
    unittest.main(verbosity=2)
