"""Scheduling demo in Python: Python functions as processes on libmk's
simulated CPU, drawn as a text timeline, an SVG Gantt chart and a
Perfetto trace.

    sensor   priority 24  sleeps, takes the "log" mutex, mails a reading
    ui       priority 16  shows each reading (blocks in its mailbox)
    worker-a priority 10  CPU-bound; equal priorities share the CPU in
    worker-b priority 10  time slices (quantum 4 ticks)
    logger   priority 4   holds "log"; inherits the sensor's priority while
                          the sensor waits for it (priority inheritance)

Usage: python3 sched_demo.py [OUTPUT_PREFIX]
Writes OUTPUT_PREFIX.txt/.svg/.json when a prefix is given. The run is
done twice and the traces compared: the same program gives the same trace.
"""

import sys

import mk
from mk.timeline import Timeline

NAMES = {1: "sensor", 2: "ui", 3: "worker-a", 4: "worker-b", 5: "logger"}
PRIO = {1: 24, 2: 16, 3: 10, 4: 10, 5: 4}


def program(k, say):
    k.mutex_create("log")

    def sensor():
        log = k.mutex_open("log")
        for i in range(1, 4):
            k.sleep(14)
            asked = k.clock()
            with log:
                say("sensor: got the log after %d tick(s)"
                    % (k.clock() - asked))
                k.compute(2)
            k.mbox_send(2, b"reading %d" % i, tag=i)

    def ui():
        for _ in range(3):
            tag, data = k.mbox_recv(k.getpid(), timeout=mk.MK_FOREVER)
            k.compute(1)
            say("ui: shows %r" % data.decode())

    def worker():
        k.sleep(12)  # the logger gets the CPU (and the log) meanwhile
        for _ in range(6):
            k.compute(3)

    def logger():
        log = k.mutex_open("log")
        top = 0
        for _ in range(2):
            with log:
                for _ in range(5):
                    k.compute(2)
                    top = max(top, k.priority()[1])
            k.compute(2)
        return top  # its highest effective priority, as exit status

    bodies = {1: sensor, 2: ui, 3: worker, 4: worker, 5: logger}
    for pid, fn in bodies.items():
        k.spawn(fn, pid=pid, priority=PRIO[pid])
    assert k.run() == "done"
    return {pid: k.wait(pid) for pid in bodies}


def run_once(narrate):
    def say(text):
        if narrate:
            print("  [tick %3d] %s" % (k.clock(), text))

    with mk.Kernel(quantum_ticks=4) as k:
        k.trace_enable()
        status = program(k, say)
        return k.trace_read(), k.clock(), status


def main():
    print("libmk scheduling demo (Python bodies), quantum 4 ticks")
    events, end, status = run_once(True)
    again, end2, _ = run_once(False)
    key = [(e["tick"], e["seq"], e["type"], e["pid"], e["a"], e["b"])
           for e in events]
    same = key == [(e["tick"], e["seq"], e["type"], e["pid"], e["a"], e["b"])
                   for e in again] and end == end2
    tl = Timeline(events, names=NAMES, end=end)
    print()
    print(tl.text(120), end="")
    print()
    print("logger's highest effective priority: %d" % status[5])
    print("second run: %s" % ("same trace on both runs (deterministic)"
                              if same else "TRACES DIFFER"))
    if len(sys.argv) > 1:
        tl.write_files(sys.argv[1], "libmk from Python: priorities, round "
                       "robin, priority inheritance, messages")
        print("wrote %s.txt, %s.svg and %s.json" % ((sys.argv[1],) * 3))
    return 0 if same and status[5] == PRIO[1] else 1


if __name__ == "__main__":
    sys.exit(main())
