#!/usr/bin/env python3
"""Bounded load test of mkd on a private local socket.

8 producer processes × 2000 messages each go through one work queue (capacity
128, so producers block on a full queue and their sends run on mkd's worker
pool) to a consumer. Midway, 2 producers and 2 idle "victim" clients (one
blocked in a mailbox receive, one in a semaphore wait, both MK_FOREVER) are
killed with SIGKILL. Checks: per sender, the received sequence numbers are
0, 1, 2, … with no gap, duplicate or reordering; every surviving producer
delivered all 2000; the daemon stays up, and every kernel process of a
killed client is destroyed. Bounded: finishes in well under 60 s or fails.
"""
import os
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mkd_harness import Daemon, wait_until  # noqa: E402

import mk  # noqa: E402
from mk.client import Client, FOREVER  # noqa: E402

PRODUCERS, MESSAGES, KILLED = 8, 2000, (2, 5)
DEADLINE = 50.0


def producer(sock, idx, w):
    c = Client(sock)
    me = c.proc_create()
    os.write(w, struct.pack("<II", idx, me))
    q = c.queue_open("load")
    for seq in range(MESSAGES):
        c.queue_send(q, struct.pack("<II", idx, seq) + b"p" * (seq % 40), tag=idx,
                     timeout=FOREVER)
    c.close()


def victim(sock, idx, w, kind):
    c = Client(sock)
    me = c.proc_create()
    os.write(w, struct.pack("<II", idx, me))
    if kind == 0:
        c.mbox_recv(me, timeout=None)
    else:
        c.sem_wait(c.sem_open("load-sem"), timeout=None)


def main():
    d = Daemon("--log-level", "warn")
    t0 = time.time()
    ok = True
    kids = {}
    try:
        c = Client(d.sock)
        me = c.proc_create()
        q = c.queue_create("load", capacity=128, msg_max=64)
        sem = c.sem_create("load-sem", 0, 4)
        r, w = os.pipe()
        for idx in range(PRODUCERS + 2):
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    os.close(r)
                    if idx < PRODUCERS:
                        producer(d.sock, idx, w)
                    else:
                        victim(d.sock, idx, w, idx - PRODUCERS)
                except BaseException as e:  # noqa: B902
                    sys.stderr.write("child %d: %r\n" % (idx, e))
                    code = 1
                os._exit(code)
            kids[idx] = pid
        os.close(w)
        kpids = {}
        while len(kpids) < PRODUCERS + 2:
            idx, kp = struct.unpack("<II", os.read(r, 8))
            kpids[idx] = kp
        os.close(r)

        got = {i: [] for i in range(PRODUCERS)}
        killed = set()
        dups = gaps = 0
        received = 0
        while time.time() - t0 < DEADLINE:
            if len(killed) < len(KILLED) + 2 and received >= PRODUCERS * MESSAGES // 3:
                for idx in list(KILLED) + [PRODUCERS, PRODUCERS + 1]:
                    os.kill(kids[idx], signal.SIGKILL)
                    killed.add(idx)
            try:
                tag, data = c.queue_recv(q, me, timeout=500)
            except mk.MkError as e:
                if e.code != mk.MK_ETIMEDOUT:
                    raise
                live = [i for i in range(PRODUCERS) if i not in killed]
                if all(len(got[i]) == MESSAGES for i in live) and killed:
                    break
                continue
            idx, seq = struct.unpack("<II", data[:8])
            if tag != idx or data[8:] != b"p" * (seq % 40):
                print("corrupt message from %d seq %d" % (idx, seq))
                ok = False
            exp = len(got[idx])
            if seq < exp:
                dups += 1
            elif seq > exp:
                gaps += 1
            got[idx].append(seq)
            received += 1
        elapsed = time.time() - t0

        for idx, pid in kids.items():
            _, st = os.waitpid(pid, 0)
            if idx not in killed and st != 0:
                print("producer %d failed (status %d)" % (idx, st))
                ok = False
        for idx in range(PRODUCERS):
            want = list(range(len(got[idx])))
            if got[idx] != want:
                ok = False
                print("sender %d: out of order / duplicated / lost" % idx)
            if idx not in killed and len(got[idx]) != MESSAGES:
                ok = False
                print("sender %d: %d of %d delivered" % (idx, len(got[idx]), MESSAGES))
        # Everything a killed client registered is gone; the survivors' too
        # (they closed); only the consumer's process remains.
        for idx, kp in kpids.items():
            if not wait_until(lambda: not c.proc_exists(kp)):
                ok = False
                print("process %d of client %d not cleaned up" % (kp, idx))
        c.sem_post(sem)  # the killed semaphore waiter must not swallow it
        c.sem_wait(sem, timeout=5000)
        c.ping(b"still serving")
        lost = sum(MESSAGES - len(got[i]) for i in range(PRODUCERS) if i not in killed)
        print("load: %d producers x %d messages, %d clients killed with SIGKILL "
              "(%d producers, 2 blocked waiters); received %d (%d from killed producers "
              "before they died); lost %d, duplicated %d, reordered/gaps %d; %.2f s"
              % (PRODUCERS, MESSAGES, len(killed), len(KILLED), received,
                 sum(len(got[i]) for i in KILLED), lost, dups, gaps, elapsed))
        if elapsed >= DEADLINE:
            ok = False
            print("did not finish within %.0f s" % DEADLINE)
        if dups or gaps or lost:
            ok = False
        c.close()
        if not d.alive():
            ok = False
            print("mkd died:\n" + d.logtext())
        elif d.stop() != 0:
            ok = False
            print("mkd did not shut down cleanly:\n" + d.logtext())
    finally:
        for pid in kids.values():
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        d.kill()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
