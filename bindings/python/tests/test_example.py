"""The README example runs to completion and prints what the seed prints."""

import ast
import os
import subprocess
import sys
import unittest

import _support
from _support import PKG_ROOT


class TestReadmeExample(unittest.TestCase):
    def test_output(self):
        script = os.path.join(PKG_ROOT, "examples", "readme.py")
        env = dict(os.environ)
        env["PYTHONPATH"] = PKG_ROOT + os.pathsep + env.get("PYTHONPATH", "")
        r = subprocess.run([sys.executable, script], env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "Hello from process 1")
        self.assertEqual(lines[1], "Data read from file: Hello, world!")
        block = ast.literal_eval(lines[2])   # repr of the block
        self.assertEqual(block, b"This is a block of data".ljust(4096, b"\0"))
        self.assertEqual(len(lines), 3)


if __name__ == "__main__":
    _support.main()
