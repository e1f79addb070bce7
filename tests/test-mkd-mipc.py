#!/usr/bin/env python3
"""The microipc text protocol (seed 002) on mkd, driven by a plain socket.

Checks the original's observable behaviour (c / link / write / r, and the
answer "response written to port: N"), that its limits are gone (any number
of processes and links), that malformed input gets a clear error line, and
that written messages really land in the kernel mailbox of the server
process (seen through the native client).
"""
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mkd_harness import Daemon, mipc_cmd  # noqa: E402

from mk.client import Client  # noqa: E402

D = None


def cmd(line, newline=True):
    return mipc_cmd(D.mipc, line, newline)


class MicroIPC(unittest.TestCase):
    def test_original_sequence(self):
        req = "{.message=hello world,.pid=1234,.port=8080}"
        self.assertEqual(cmd("c " + req), "process created on port: 8080\n")
        self.assertEqual(cmd(req), "mailbox link created: port 8080 <-> pid 1234\n")
        self.assertEqual(cmd(req), "response written to port: 8080\n")
        self.assertEqual(cmd(req), "response written to port: 8080\n")
        with Client(D.sock) as c:  # the messages are in the server's mailbox
            self.assertTrue(c.proc_exists(8080))
            self.assertEqual(c.mbox_count(8080), 2)
        self.assertEqual(cmd("r " + req),
                         "removed port: 8080 (process removed, 1 mailbox link destroyed)\n")
        self.assertEqual(cmd(req), "error: no process registered on port 8080\n")
        with Client(D.sock) as c:
            self.assertFalse(c.proc_exists(8080))

    def test_without_newline_like_the_original(self):
        self.assertEqual(cmd("c {.message=a,.pid=1,.port=9100}", newline=False),
                         "process created on port: 9100\n")
        # A malformed command without a terminator is still answered.
        self.assertTrue(cmd("garbage", newline=False).startswith("error: malformed request"))
        cmd("r {.port=9100}")

    def test_no_six_slot_limit(self):
        for port in range(7000, 7040):
            self.assertEqual(cmd("c {.message=x,.pid=1,.port=%d}" % port),
                             "process created on port: %d\n" % port)
        for pid in range(1, 30):
            self.assertTrue(cmd("{.message=m,.pid=%d,.port=7000}" % pid).startswith(
                "mailbox link created"))
        for pid in range(1, 30):
            self.assertEqual(cmd("{.message=m%d,.pid=%d,.port=7000}" % (pid, pid)),
                             "response written to port: 7000\n")
        self.assertEqual(cmd("r {.port=7000}"),
                         "removed port: 7000 (process removed, 29 mailbox links destroyed)\n")
        for port in range(7001, 7040):
            cmd("r {.port=%d}" % port)

    def test_remove_links_only(self):
        cmd("c {.message=,.pid=5,.port=7500}")
        cmd("{.message=,.pid=5,.port=7500}")
        cmd("{.message=,.pid=6,.port=7500}")
        self.assertEqual(cmd("r {.port=7500}"),
                         "removed port: 7500 (process removed, 2 mailbox links destroyed)\n")
        self.assertEqual(cmd("r {.port=7500}"), "error: nothing is registered on port 7500\n")

    def test_many_commands_on_one_connection(self):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(D.mipc)
        s.sendall(b"c {.message=,.pid=2,.port=7600}\n{.message=,.pid=2,.port=7600}\n"
                  b"{.message=a, b} c,.pid=2,.port=7600}\r\nr {.port=7600}\n")
        data = b""
        while data.count(b"\n") < 4:
            data += s.recv(4096)
        s.close()
        self.assertEqual(data.decode().splitlines(), [
            "process created on port: 7600",
            "mailbox link created: port 7600 <-> pid 2",
            "response written to port: 7600",
            "removed port: 7600 (process removed, 1 mailbox link destroyed)"])

    def test_duplicates_and_errors(self):
        self.assertEqual(cmd("c {.message=,.pid=1,.port=7700}"), "process created on port: 7700\n")
        self.assertEqual(cmd("c {.message=,.pid=1,.port=7700}"),
                         "error: a process is already registered on port 7700\n")
        self.assertEqual(cmd("{.message=x,.pid=1,.port=7701}"),
                         "error: no process registered on port 7701\n")
        cmd("r {.port=7700}")
        bad = {
            "": "empty request",
            "x {.port=1}": "expected '{'",
            "c .port=1": "expected '{'",
            "c {.port=1": "expected '}'",
            "c {.port=abc}": ".port must be a number",
            "c {.port=0}": ".port must be a number",
            "c {.port=99999999999}": ".port must be a number",
            "c {.message=hi}": "missing field .port",
            "{.message=hi,.port=5}": "missing field .pid",
            "c {.port=1,.port=2}": "duplicate field .port",
            "c {.colour=red,.port=1}": "expected a field",
            "c {.message=%s,.port=1}" % ("x" * 5000): "message too long",
        }
        for line, why in bad.items():
            ans = cmd(line)
            self.assertTrue(ans.startswith("error: malformed request: "), (line[:40], ans))
            self.assertIn(why, ans, line[:40])
            self.assertTrue(ans.endswith("\n") and ans.count("\n") == 1)

    def test_line_too_long_and_binary(self):
        ans = cmd("c {.message=" + "y" * 10000 + ",.port=1}")
        self.assertIn("line too long", ans)
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(D.mipc)
        s.sendall(bytes(range(256)) + b"\n")
        self.assertTrue(s.recv(4096).startswith(b"error: malformed request"))
        s.close()
        self.assertEqual(cmd("c {.message=,.pid=1,.port=7800}"), "process created on port: 7800\n")
        cmd("r {.port=7800}")

    def test_kernel_pid_collision(self):
        with Client(D.sock) as c:
            c.proc_create(7900)
            self.assertEqual(cmd("c {.message=,.pid=1,.port=7900}"),
                             "error: pid 7900 is taken by another kernel process\n")

    def test_full_mailbox_keeps_newest(self):
        cmd("c {.message=,.pid=3,.port=7950}")
        cmd("{.message=,.pid=3,.port=7950}")
        for i in range(100):
            self.assertEqual(cmd("{.message=n%d,.pid=3,.port=7950}" % i),
                             "response written to port: 7950\n")
        with Client(D.sock) as c:
            self.assertEqual(c.mbox_count(7950), 64)
        cmd("r {.port=7950}")


if __name__ == "__main__":
    D = Daemon()
    try:
        prog = unittest.main(exit=False, verbosity=2)
        ok = prog.result.wasSuccessful()
        if not D.alive():
            print("mkd died:\n" + D.logtext())
            ok = False
        rc = D.stop()
        if rc != 0:
            print("mkd exit status %d:\n%s" % (rc, D.logtext()))
            ok = False
        if os.path.exists(D.sock) or os.path.exists(D.mipc):
            print("sockets left behind")
            ok = False
    finally:
        D.kill()
    sys.exit(0 if ok else 1)
