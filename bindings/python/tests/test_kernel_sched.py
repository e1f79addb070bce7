"""Kernel: Python functions as scheduled processes (spawn, run, stop,
getpid, yield, sleep, compute, exit, kill, wait, priorities), mutexes with
priority inheritance and deadlock detection, and determinism."""

import unittest

import _support
from _support import KernelTest
import mk
from mk._sched import (BodyError, Mutex, MK_PRIO_MAX, MK_MUTEX_OPEN_MAX,
                       MK_FOREVER)

EV_SWITCH, EV_PRIO = 3, 18


class TestSpawnRun(KernelTest):
    def test_getpid_in_each_body(self):
        seen = {}

        def body(tag):
            seen[tag] = self.k.getpid()
            return len(tag)

        pids = [self.k.spawn(body, t) for t in ("a", "bb", "ccc")]
        self.assertEqual(self.k.getpid(), 0)  # host code is the kernel
        self.assertEqual(self.k.run(), "done")
        self.assertEqual([seen[t] for t in ("a", "bb", "ccc")], pids)
        self.assertEqual([self.k.wait(p) for p in pids], [1, 2, 3])
        self.assertEqual(self.k.proc_count(), 0)  # reaped

    def test_chosen_pid_and_kwargs(self):
        got = []
        pid = self.k.spawn(lambda x, y=0: got.append((x, y)), 5, pid=42, y=7)
        self.assertEqual(pid, 42)
        self.assertEqual(self.k.proc_state(42), "ready")
        self.k.run()
        self.assertEqual(got, [(5, 7)])
        self.assertEqual(self.k.wait(42), 0)

    def test_higher_priority_runs_first(self):
        order = []
        for name, prio in (("low", 2), ("high", 30), ("mid", 16)):
            self.k.spawn(order.append, name, priority=prio)
        self.k.run()
        self.assertEqual(order, ["high", "mid", "low"])

    def test_yield_alternates_equal_priorities(self):
        order = []

        def body(name):
            for _ in range(3):
                order.append(name)
                self.k.yield_()

        self.k.spawn(body, "a")
        self.k.spawn(body, "b")
        self.k.run()
        self.assertEqual(order, ["a", "b"] * 3)

    def test_sleep_and_states(self):
        times = []

        def sleeper():
            t0 = self.k.clock()
            self.k.sleep(20)
            times.append(self.k.clock() - t0)

        pid = self.k.spawn(sleeper)
        self.assertEqual(self.k.run(5), "ticks")
        self.assertEqual(self.k.proc_state(pid), "sleeping")
        self.assertEqual(self.k.run(), "done")
        self.assertGreaterEqual(times[0], 20)
        self.assertLess(times[0], 25)

    def test_compute_uses_cpu_time(self):
        pid = self.k.spawn(self.k.compute, 30)
        self.k.run()
        self.assertGreaterEqual(self.k.cpu_ticks(pid), 30)
        self.assertGreaterEqual(self.k.clock(), 30)
        self.k.wait(pid)

    def test_round_robin_is_fair(self):
        k = mk.Kernel(quantum_ticks=5)
        try:
            def cruncher():
                for _ in range(40):
                    k.compute(2)

            pids = [k.spawn(cruncher) for _ in range(3)]
            worst = 0
            while k.run(30) != "done":
                used = [k.cpu_ticks(p) for p in pids]
                worst = max(worst, max(used) - min(used))
            self.assertLessEqual(worst, 5 + 1)
            self.assertEqual(len({k.cpu_ticks(p) for p in pids}), 1)
        finally:
            k.close()

    def test_exit_with_status(self):
        after = []

        def body():
            self.k.exit(7)
            after.append("not reached")

        pid = self.k.spawn(body)
        self.k.run()
        self.assertEqual(after, [])
        self.assertEqual(self.k.wait(pid), 7)

    def test_kill_a_sleeper(self):
        after = []

        def victim():
            self.k.sleep(1000)
            after.append("not reached")

        def killer(pid):
            self.k.sleep(3)
            self.k.kill(pid)

        v = self.k.spawn(victim)
        self.k.spawn(killer, v)
        self.assertEqual(self.k.run(), "done")
        self.assertEqual(after, [])
        self.assertEqual(self.k.wait(v), -1)
        self.assertLess(self.k.clock(), 1000)

    def test_parent_waits_for_child(self):
        got = []

        def child():
            self.k.compute(5)
            return 3

        def parent():
            c = self.k.spawn(child)
            got.append(self.k.wait(c))

        self.k.spawn(parent)
        self.k.run()
        self.assertEqual(got, [3])

    def test_wait_no_wait_and_not_parent(self):
        pid = self.k.spawn(self.k.sleep, 10)
        self.assertMkError(mk.MK_EAGAIN, self.k.wait, pid, 0)
        errs = []

        def stranger():
            try:
                self.k.wait(pid, 0)
            except mk.MkError as e:
                errs.append(e.code)

        self.k.spawn(stranger)
        self.k.run()
        self.assertEqual(errs, [mk.MK_EPERM])

    def test_stop_then_resume(self):
        steps = []

        def body():
            steps.append(1)
            self.k.stop()
            self.k.compute(1)
            steps.append(2)

        self.k.spawn(body)
        self.assertEqual(self.k.run(), "stopped")
        self.assertEqual(self.k.run(), "done")
        self.assertEqual(steps, [1, 2])

    def test_exception_in_body_is_raised_by_run(self):
        def bad():
            raise ValueError("boom")

        pid = self.k.spawn(bad)
        with self.assertRaises(BodyError) as cm:
            self.k.run()
        self.assertIsInstance(cm.exception.error, ValueError)
        self.assertEqual(cm.exception.pid, pid)
        self.assertEqual(self.k.wait(pid), -1)

    def test_priorities_read_and_set(self):
        pid = self.k.spawn(lambda: None, priority=3)
        self.assertEqual(self.k.priority(pid), (3, 3))
        self.k.set_priority(pid, 9)
        self.assertEqual(self.k.priority(pid), (9, 9))
        self.k.run()

    def test_bad_input(self):
        k = self.k
        self.assertRaises(TypeError, k.spawn, 42)
        self.assertMkError(mk.MK_ERANGE, k.spawn, lambda: None, priority=99)
        self.assertMkError(mk.MK_EINVAL, k.spawn, lambda: None, pid=-1)
        self.assertMkError(mk.MK_EINVAL, k.spawn, lambda: None, pid=2 ** 31)
        p = k.spawn(lambda: None, pid=5)
        self.assertMkError(mk.MK_EEXIST, k.spawn, lambda: None, pid=5)
        self.assertMkError(mk.MK_EPERM, k.kill, 0)
        self.assertMkError(mk.MK_ENOENT, k.kill, 999)
        self.assertMkError(mk.MK_ENOENT, k.wait, 999)
        self.assertMkError(mk.MK_EPERM, k.exit, 0)  # host code
        self.assertMkError(mk.MK_EINVAL, k.sleep, -1)
        self.assertMkError(mk.MK_ERANGE, k.set_priority, p, 0)
        self.assertMkError(mk.MK_ENOENT, k.priority, 999)
        self.assertMkError(mk.MK_ENOENT, k.cpu_ticks, 999)
        k.yield_()  # host code: nothing to do
        self.assertEqual(k.run(), "done")
        self.assertEqual(k.wait(p), 0)
        k.close()
        for fn, args in ((k.spawn, (lambda: None,)), (k.run, ()),
                         (k.stop, ()), (k.yield_, ()), (k.sleep, (1,)),
                         (k.kill, (1,)), (k.wait, (1,)),
                         (k.mutex_create, ("m",))):
            self.assertMkError(mk.MK_EBADH, fn, *args)
        self.assertEqual(k.getpid(), 0)


def _program(k):
    """A small fixed program: priorities, a mutex, sleeps, messages."""
    m = k.mutex_create("m")

    def low():
        mm = k.mutex_open("m")
        with mm:
            k.compute(6)
        mm.close()

    def high():
        k.sleep(2)
        mm = k.mutex_open("m")
        with mm:
            k.compute(1)
        mm.close()
        k.mbox_send(3, b"done")

    def reader():
        k.mbox_recv(k.getpid(), timeout=MK_FOREVER)

    k.spawn(low, pid=1, priority=4)
    k.spawn(high, pid=2, priority=20)
    k.spawn(reader, pid=3, priority=10)
    k.run()
    m.close()
    return m


class TestDeterminism(unittest.TestCase):
    def trace_of_one_run(self):
        with mk.Kernel(quantum_ticks=3) as k:
            k.trace_enable()
            _program(k)
            return [(e["tick"], e["seq"], e["type"], e["pid"], e["a"],
                     e["b"]) for e in k.trace_read()]

    def test_same_program_same_trace(self):
        first = self.trace_of_one_run()
        self.assertGreater(len(first), 20)
        self.assertIn(EV_SWITCH, {e[2] for e in first})
        for _ in range(2):
            self.assertEqual(self.trace_of_one_run(), first)


class TestMutex(KernelTest):
    def test_lock_blocks_until_unlock(self):
        got = []
        m = self.k.mutex_create("door")

        def holder():
            mm = self.k.mutex_open("door")
            mm.lock()
            self.k.sleep(10)
            mm.unlock()
            mm.close()

        def waiter():
            self.k.sleep(1)
            mm = self.k.mutex_open("door")
            t = self.k.clock()
            mm.lock()
            got.append((t, self.k.clock()))
            self.assertEqual(self.k.mutex_owner(mm), (self.k.getpid(), 1))
            mm.unlock()
            mm.close()

        self.k.spawn(holder)
        self.k.spawn(waiter)
        self.k.run()
        (asked, took), = got
        self.assertGreaterEqual(took, 10)
        self.assertGreater(took, asked)
        self.assertEqual(self.k.mutex_owner(m), (0, 0))
        m.close()
        self.assertMkError(mk.MK_ENOENT, self.k.mutex_open, "door")

    def test_recursive_and_relock(self):
        res = {}
        self.k.mutex_create("rec", recursive=True)
        self.k.mutex_create("plain")

        def body():
            r = self.k.mutex_open("rec")
            p = self.k.mutex_open("plain")
            for _ in range(3):
                r.lock()
            res["depth"] = r.owner()[1]
            p.lock()
            try:
                p.lock()
            except mk.MkError as e:
                res["relock"] = e.code
            for _ in range(3):
                r.unlock()
            try:
                r.unlock()
            except mk.MkError as e:
                res["extra_unlock"] = e.code
            p.unlock()

        self.k.spawn(body)
        self.k.run()
        self.assertEqual(res, {"depth": 3, "relock": mk.MK_EDEADLK,
                               "extra_unlock": mk.MK_EPERM})

    def test_owner_only_unlock_and_timeouts(self):
        res = []
        self.k.mutex_create("m")

        def owner():
            m = self.k.mutex_open("m")
            m.lock()
            self.k.sleep(20)
            m.unlock()

        def other():
            m = self.k.mutex_open("m")
            for call in (lambda: m.unlock(), lambda: m.lock(timeout=0),
                         lambda: m.lock(timeout=3)):
                try:
                    call()
                except mk.MkError as e:
                    res.append(e.code)

        self.k.spawn(owner, priority=20)
        self.k.spawn(other)
        self.k.run()
        self.assertEqual(res, [mk.MK_EPERM, mk.MK_EAGAIN, mk.MK_ETIMEDOUT])

    def test_priority_inheritance(self):
        seen = []
        self.k.trace_enable()
        self.k.mutex_create("log")

        def low():
            m = self.k.mutex_open("log")
            with m:
                for _ in range(10):
                    self.k.compute(2)
                    seen.append(self.k.priority()[1])

        def high():
            self.k.sleep(8)  # low holds the mutex by then
            m = self.k.mutex_open("log")
            with m:
                pass

        def mid():
            self.k.sleep(8)
            self.k.compute(20)  # would starve low without inheritance

        lo = self.k.spawn(low, priority=2)
        self.k.spawn(high, priority=30)
        self.k.spawn(mid, priority=15)
        self.k.run()
        self.assertEqual(seen[0], 2)
        self.assertIn(30, seen)  # inherited from high while it waited
        prio = [e for e in self.k.trace_read() if e["type"] == EV_PRIO]
        self.assertIn((lo, 2, 30), [(e["pid"], e["a"], e["b"]) for e in prio])
        self.assertIn((lo, 30, 2), [(e["pid"], e["a"], e["b"]) for e in prio])

    def test_deadlock_detected_and_reported(self):
        res = {}
        a = self.k.mutex_create("A")
        b = self.k.mutex_create("B")

        def body(first, second, me):
            f = self.k.mutex_open(first)
            s = self.k.mutex_open(second)
            f.lock()
            self.k.sleep(3)
            try:
                s.lock()
                s.unlock()
                res[me] = 0
            except mk.MkError as e:
                res[me] = e.code
            f.unlock()

        self.k.spawn(body, "A", "B", 1, pid=1)
        self.k.spawn(body, "B", "A", 2, pid=2)
        self.k.run()
        self.assertEqual(sorted(res.values()), [mk.MK_EDEADLK, 0])
        cycle = self.k.deadlock_report()
        self.assertEqual(len(cycle), 2)
        self.assertEqual({p for p, _ in cycle}, {1, 2})
        self.assertEqual({m for _, m in cycle}, {a.handle, b.handle})

    def test_per_process_limit(self):
        res = []

        def body():
            for i in range(MK_MUTEX_OPEN_MAX):
                self.k.mutex_create("m%d" % i)
            try:
                self.k.mutex_create("one-more")
            except mk.MkError as e:
                res.append(e.code)

        self.k.spawn(body)
        self.k.run()
        self.assertEqual(res, [mk.MK_EMFILE])

    def test_exit_while_holding_passes_it_on(self):
        got = []
        self.k.mutex_create("held")

        def holder():
            m = self.k.mutex_open("held")
            m.lock()
            self.k.sleep(5)
            self.k.exit(0)

        def waiter():
            self.k.sleep(1)
            m = self.k.mutex_open("held")
            m.lock()
            got.append(m.owner())

        self.k.spawn(holder, pid=1)
        self.k.spawn(waiter, pid=2)
        self.k.run()
        self.assertEqual(got, [(2, 1)])

    def test_bad_input(self):
        k = self.k
        self.assertMkError(mk.MK_ENAMETOOLONG, k.mutex_create, "x" * 60)
        self.assertMkError(mk.MK_EINVAL, k.mutex_create, "")
        m = k.mutex_create("m")
        self.assertIsInstance(m, Mutex)
        self.assertMkError(mk.MK_EEXIST, k.mutex_create, "m")
        self.assertMkError(mk.MK_ENOENT, k.mutex_open, "nope")
        k.proc_create(1)
        self.assertMkError(mk.MK_EBADH, k.mutex_lock, 12345, pid=1)
        self.assertMkError(mk.MK_EBADH, k.mutex_owner, 0)
        self.assertMkError(mk.MK_EINVAL, k.mutex_lock, m)  # pid 0 from host
        self.assertEqual(k.deadlock_report(), [])
        m.close()
        self.assertMkError(mk.MK_EBADH, k.mutex_owner, m)  # destroyed
        self.assertMkError(mk.MK_EBADH, k.mutex_close, m)


if __name__ == "__main__":
    _support.main()
