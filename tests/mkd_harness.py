"""Start and stop a private mkd for the mkd test scripts.

Every script imports this: the daemon runs on sockets in a fresh temporary
directory and is always killed at exit (atexit + signal handlers). A script
fails loudly, never skips, when $MKD does not name a built daemon.
"""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

MKD = os.environ.get("MKD", "")
if not MKD or not os.access(MKD, os.X_OK):
    sys.exit("FAIL: mkd was not built (MKD=%r); install libuv1-dev and rebuild" % MKD)

_daemons = []


def _cleanup():
    for d in list(_daemons):
        d.kill()


atexit.register(_cleanup)
for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, lambda *a: sys.exit(1))


class Daemon:
    def __init__(self, *args, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="mkd-test-")
        self.sock = os.path.join(self.tmp, "mkd.sock")
        self.mipc = os.path.join(self.tmp, "mipc.sock")
        self.log = open(os.path.join(self.tmp, "mkd.log"), "ab")
        self.proc = subprocess.Popen(
            [MKD, "--foreground", "--log-level", "info", "--socket", self.sock,
             "--mipc-socket", self.mipc, *args],
            stdout=self.log, stderr=self.log)
        _daemons.append(self)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mkd exited at start-up:\n" + self.logtext())
            if os.path.exists(self.sock) and os.path.exists(self.mipc):
                try:
                    s = socket.socket(socket.AF_UNIX)
                    s.connect(self.sock)
                    s.close()
                    return
                except OSError:
                    pass
            time.sleep(0.02)
        raise RuntimeError("mkd never listened:\n" + self.logtext())

    def logtext(self):
        self.log.flush()
        with open(os.path.join(self.tmp, "mkd.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Signal the daemon and return its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=timeout)
        if self in _daemons:
            _daemons.remove(self)
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self in _daemons:
            _daemons.remove(self)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def alive(self):
        return self.proc.poll() is None


def mipc_cmd(path, line, newline=True):
    """One command on a fresh connection, as the original clients did."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    try:
        s.sendall(line.encode() + (b"\n" if newline else b""))
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused at accept: the answer line is already waiting
    data = b""
    while not data.endswith(b"\n"):
        try:
            chunk = s.recv(4096)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    s.close()
    return data.decode()


def wait_until(pred, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()
