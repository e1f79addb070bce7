"""mk.timeline: text, SVG and Perfetto pictures of a scheduled run, and
the sched_demo example."""

import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.dom.minidom

import _support
from _support import KernelTest, PKG_ROOT
from mk.timeline import Timeline


class TestTimeline(KernelTest):
    def run_program(self):
        k = self.k
        k.trace_enable()

        def sleeper():
            k.compute(2)
            k.sleep(6)
            k.compute(2)

        def cruncher():
            k.compute(10)

        k.spawn(sleeper, pid=1, priority=20)
        k.spawn(cruncher, pid=2, priority=10)
        k.irq_attach(9, lambda line: None)
        k.irq_raise(9)
        k.run()
        return Timeline(k.trace_read(), names={1: "sleeper", 2: "cruncher"},
                        end=k.clock())

    def test_states_and_text(self):
        tl = self.run_program()
        states = [st for _a, _b, st in tl.intervals(1)]
        self.assertEqual(states[0], "running")
        self.assertIn("sleeping", states)
        self.assertEqual(states[-1], "running")
        sleep = [(a, b) for a, b, st in tl.intervals(1) if st == "sleeping"]
        self.assertEqual(sleep[0][1] - sleep[0][0], 6)
        # while the sleeper sleeps the cruncher runs
        run2 = [(a, b) for a, b, st in tl.intervals(2) if st == "running"]
        self.assertTrue(any(a <= sleep[0][0] < b for a, b in run2))
        self.assertEqual(tl.ran(2), 10)  # mk_compute costs what it says
        text = tl.text()
        lines = text.splitlines()
        self.assertTrue(lines[0].startswith("tick"))
        row = [ln for ln in lines if ln.startswith("sleeper (p1)")][0]
        self.assertIn("zzzzzz", row)
        self.assertIn("#", row)
        self.assertIn("# running  . ready  b blocked  z sleeping", text)

    def test_svg_and_perfetto(self):
        tl = self.run_program()
        doc = xml.dom.minidom.parseString(tl.svg("test"))
        texts = " ".join(t.firstChild.data for t in
                         doc.getElementsByTagName("text") if t.firstChild)
        self.assertIn("sleeper", texts)
        self.assertIn("cruncher", texts)
        trace = json.loads(json.dumps(tl.perfetto("test")))
        ev = trace["traceEvents"]
        runs = [e for e in ev if e["ph"] == "X" and e["cat"] == "run"]
        self.assertEqual({e["tid"] for e in runs}, {1, 2})
        self.assertTrue(all(e["dur"] > 0 for e in runs))
        self.assertEqual(sum(e["dur"] for e in runs if e["tid"] == 2),
                         tl.ran(2) * 1000.0)  # 1 kHz: 1000 us per tick
        self.assertIn("irq 9", {e["name"] for e in ev if e["ph"] == "i"})
        names = {e["args"]["name"] for e in ev if e["name"] == "thread_name"}
        self.assertIn("sleeper (pid 1)", names)

    def test_write_files(self):
        tl = self.run_program()
        with tempfile.TemporaryDirectory() as d:
            prefix = os.path.join(d, "run")
            tl.write_files(prefix)
            with open(prefix + ".json") as f:
                json.load(f)
            xml.dom.minidom.parse(prefix + ".svg")
            with open(prefix + ".txt") as f:
                self.assertIn("cruncher (p2)", f.read())


class TestSchedDemo(unittest.TestCase):
    def test_demo_runs_and_is_deterministic(self):
        demo = os.path.join(PKG_ROOT, "examples", "sched_demo.py")
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([sys.executable, demo, os.path.join(d, "demo")],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("same trace on both runs (deterministic)", r.stdout)
            self.assertIn("logger's highest effective priority: 24", r.stdout)
            self.assertIn("logger (p5)", r.stdout)
            with open(os.path.join(d, "demo.json")) as f:
                json.load(f)
            xml.dom.minidom.parse(os.path.join(d, "demo.svg"))


if __name__ == "__main__":
    _support.main()
