"""Pictures of a scheduled run from its event trace (``Kernel.trace_read``).

:class:`Timeline` replays the events into one row per process (intervals
of ready / running / blocked / sleeping) plus point marks (interrupts,
messages, locks, priority changes, RPC, faults) and renders them as

* :meth:`Timeline.text` — one row per process, one column per tick (or per
  bucket of ticks), for terminals;
* :meth:`Timeline.svg` — a Gantt chart (a lane per process, its run slices
  in its own colour, a tick axis, a legend);
* :meth:`Timeline.perfetto` — a Trace Event Format JSON document
  (``ui.perfetto.dev``, ``chrome://tracing``).

It reads the same events and draws the same pictures as the C examples'
``examples/timeline.c``. Only processes seen in a spawn or switch event get
a row. Example::

    k.trace_enable()
    ...spawn, k.run()...
    tl = Timeline(k.trace_read(), names={1: "sensor"}, end=k.clock())
    print(tl.text())
"""

import json
from xml.sax.saxutils import escape

EV = {"spawn": 1, "exit": 2, "switch": 3, "preempt": 4, "block": 5,
      "wake": 6, "sleep": 7, "irq": 8, "msg_send": 9, "msg_recv": 10,
      "lock": 11, "unlock": 12, "fault": 13, "prio": 18, "rpc_call": 19,
      "rpc_reply": 20, "user": 21}
READY, RUNNING, BLOCKED, SLEEPING = "ready", "running", "blocked", "sleeping"
CHARS = {READY: ".", RUNNING: "#", BLOCKED: "b", SLEEPING: "z"}
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
           "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac"]
CLOCK_LINE = 0
_MARK_TYPES = {EV[n] for n in ("irq", "msg_send", "msg_recv", "lock",
                               "unlock", "fault", "prio", "rpc_call",
                               "rpc_reply", "user", "spawn", "exit")}


class _Row:
    def __init__(self, pid, name):
        self.pid, self.name = pid, name
        self.state, self.since = None, 0
        self.intervals = []   # [t0, t1, state]
        self.ran = 0

    def set(self, state, tick):
        if self.state == state and state != BLOCKED:
            return
        if self.state is not None and tick > self.since:
            last = self.intervals[-1] if self.intervals else None
            if last and last[2] == self.state and last[1] == self.since:
                last[1] = tick
            else:
                self.intervals.append([self.since, tick, self.state])
            if self.state == RUNNING:
                self.ran += tick - self.since
        self.state, self.since = state, tick


class Timeline:
    """The run in ``events`` (dicts from ``trace_read``, oldest first).

    ``names`` maps pids to display names; ``end`` is the tick the run
    ended (default: the last event's); ``tick_hz`` converts ticks to
    microseconds for :meth:`perfetto`.
    """

    def __init__(self, events, names=None, end=None, tick_hz=1000):
        names = names or {}
        self.tick_hz = tick_hz
        self.rows = {}
        self.marks = []
        events = list(events)
        self.first = events[0]["tick"] if events else 0
        self.end = max([e["tick"] for e in events] + [end or 0, self.first])
        running = 0

        def row(pid):
            if pid not in self.rows:
                self.rows[pid] = _Row(pid, names.get(pid, "p%d" % pid))
            return self.rows[pid]

        for e in events:
            t, ty, pid = e["tick"], e["type"], e["pid"]
            if ty == EV["spawn"]:
                row(pid).set(READY, t)
            elif ty == EV["switch"]:
                if running and running != pid and running in self.rows:
                    prev = self.rows[running]
                    if prev.state == RUNNING:
                        prev.set(READY, t)
                running = pid
                if pid:
                    row(pid).set(RUNNING, t)
            elif ty == EV["preempt"] and pid in self.rows:
                self.rows[pid].set(READY, t)
            elif ty in (EV["block"], EV["sleep"]) and pid in self.rows:
                self.rows[pid].set(BLOCKED if ty == EV["block"] else SLEEPING,
                                   t)
            elif ty == EV["wake"] and pid in self.rows:
                if self.rows[pid].state != RUNNING:
                    self.rows[pid].set(READY, t)
            elif ty == EV["exit"]:
                if running == pid:
                    running = 0
                if pid in self.rows:
                    self.rows[pid].set(None, t)
            if ty in _MARK_TYPES:
                self.marks.append(dict(e))
        for r in self.rows.values():
            if r.state is not None:
                st = r.state
                r.set(None, self.end)
                r.state, r.since = st, self.end
        self.rows = dict(sorted(self.rows.items()))

    # -- queries --------------------------------------------------------------
    def ran(self, pid):
        """Ticks ``pid`` spent running (0 if unknown)."""
        r = self.rows.get(pid)
        return r.ran if r else 0

    def intervals(self, pid):
        """[(t0, t1, state), ...] of ``pid``."""
        return [tuple(i) for i in self.rows[pid].intervals]

    def _is_clock(self, line):
        return line == CLOCK_LINE

    # -- text -------------------------------------------------------------------
    def text(self, max_cols=100):
        """The text timeline as a str (same layout as examples/timeline.c)."""
        max_cols = max(10, max_cols)
        t0 = self.first
        span = max(self.end - t0, 1)
        bucket = -(-span // max_cols)
        cols = -(-span // bucket)
        labels = {p: "%s (p%d)" % (r.name, p) for p, r in self.rows.items()}
        w = max([4] + [len(s) for s in labels.values()])
        axis = [" "] * (cols + 15)
        for c in range(0, cols, 10):
            num = str(t0 + c * bucket)
            axis[c:c + len(num)] = num
        out = ["%-*s %s" % (w, "tick", "".join(axis).rstrip()),
               "%-*s %s" % (w, "", "".join("|" if c % 10 == 0 else " "
                                          for c in range(cols)).rstrip())]
        order = (RUNNING, BLOCKED, SLEEPING, READY)
        for pid, r in self.rows.items():
            line = []
            for c in range(cols):
                b0, b1 = t0 + c * bucket, t0 + (c + 1) * bucket
                occ = dict.fromkeys(order, 0)
                for i0, i1, st in r.intervals:
                    if i1 > b0 and i0 < b1:
                        occ[st] += min(i1, b1) - max(i0, b0)
                best, most = " ", 0
                for st in order:
                    if occ[st] > most:
                        best, most = CHARS[st], occ[st]
                line.append(best)
            out.append("%-*s %s" % (w, labels[pid], "".join(line).rstrip()))
        irq = [" "] * cols
        for m in self.marks:
            if m["type"] == EV["irq"] and not self._is_clock(m["a"]):
                c = (m["tick"] - t0) // bucket
                if 0 <= c < cols:
                    irq[c] = "!"
        if "!" in irq:
            out.append("%-*s %s" % (w, "irq", "".join(irq).rstrip()))
        out.append("%-*s # running  . ready  b blocked  z sleeping  "
                   "! interrupt  (1 column = %d tick%s)"
                   % (w, "", bucket, "" if bucket == 1 else "s"))
        for r in self.rows.values():
            out.append("%-*s ran %d tick(s)" % (w, r.name, r.ran))
        return "\n".join(out) + "\n"

    # -- SVG --------------------------------------------------------------------
    def svg(self, title="libmk scheduling timeline"):
        """A Gantt chart as an SVG document (str)."""
        left, top, lane_h, chart_w = 170.0, 74.0, 30.0, 960.0
        t0, span = self.first, max(self.end - self.first, 1)
        px = chart_w / span
        lanes = {pid: i for i, pid in enumerate(self.rows)}
        chart_h = lane_h * len(lanes)
        width, legend_y = left + chart_w + 30, top + chart_h + 44
        height = legend_y + 60

        def x(t):
            return left + (t - t0) * px

        o = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" '
             'height="%.0f" font-family="DejaVu Sans, Helvetica, Arial, '
             'sans-serif" font-size="12">' % (width, height),
             '<defs><pattern id="hatch" width="6" height="6" '
             'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
             '<rect width="6" height="6" fill="#f4d6d6"/><line x1="0" y1="0" '
             'x2="0" y2="6" stroke="#b03a3a" stroke-width="2"/></pattern>'
             '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" '
             'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             '<path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
             '<rect width="100%" height="100%" fill="#fff"/>',
             '<text x="16" y="24" font-size="16" font-weight="bold">%s</text>'
             % escape(title),
             '<text x="16" y="42" fill="#555">virtual ticks %d to %d; each '
             'lane is one process</text>' % (t0, self.end)]
        for pid, i in lanes.items():
            y = top + lane_h * i
            o.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
                     'fill="%s"/>' % (left, y, chart_w, lane_h,
                                      "#f7f7f7" if i % 2 else "#eeeeee"))
            o.append('<text x="%.1f" y="%.1f" text-anchor="end">%s <tspan '
                     'fill="#777">(p%d)</tspan></text>'
                     % (left - 8, y + lane_h / 2 + 4,
                        escape(self.rows[pid].name), pid))
        step = 1
        while step * px < 48:
            step = step * 5 // 2 if str(step)[0] == "2" else step * 2
        t = -(-t0 // step) * step
        while t <= self.end:
            o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" '
                     'stroke="#d0d0d0"/>' % (x(t), top - 4, x(t),
                                            top + chart_h + 4))
            for yy in (top - 8, top + chart_h + 18):
                o.append('<text x="%.1f" y="%.1f" text-anchor="middle" '
                         'fill="#444">%d</text>' % (x(t), yy, t))
            t += step
        for pid, i in lanes.items():
            y = top + lane_h * i
            col = PALETTE[i % len(PALETTE)]
            for a, b, st in self.rows[pid].intervals:
                w = (b - a) * px
                if st == RUNNING:
                    attrs = ('y="%.1f" height="%.1f" fill="%s" stroke="#222" '
                             'stroke-width="0.6"' % (y + 4, lane_h - 8, col))
                elif st == READY:
                    attrs = 'y="%.1f" height="4" fill="#9a9a9a"' % (
                        y + lane_h / 2 - 2)
                elif st == BLOCKED:
                    attrs = ('y="%.1f" height="10" fill="url(#hatch)" '
                             'stroke="#b03a3a" stroke-width="0.6"'
                             % (y + lane_h / 2 - 5))
                else:
                    attrs = ('y="%.1f" height="10" fill="#bcd7ee" '
                             'stroke="#5b8fbf" stroke-width="0.6"'
                             % (y + lane_h / 2 - 5))
                o.append('<rect x="%.2f" width="%.2f" %s><title>%s %s, ticks '
                         '%d-%d</title></rect>'
                         % (x(a), w, attrs, escape(self.rows[pid].name), st,
                            a, b))
        for m in self.marks:
            mx = x(m["tick"])
            if m["type"] == EV["irq"] and not self._is_clock(m["a"]):
                o.append('<path d="M%.1f,%.1f l-5,-9 h10 z" fill="#e8a33d" '
                         'stroke="#8a5a10"><title>interrupt line %d</title>'
                         '</path>' % (mx, top - 1, m["a"]))
            elif m["type"] in (EV["msg_send"], EV["rpc_call"],
                               EV["rpc_reply"]) and m["pid"] in lanes:
                y1 = top + lane_h * lanes[m["pid"]] + lane_h / 2
                if m["a"] in lanes and m["a"] != m["pid"]:
                    y2 = top + lane_h * lanes[m["a"]] + lane_h / 2
                    y2 += -6 if y2 > y1 else 6
                    o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" '
                             'stroke="#333" stroke-width="1.3" '
                             'marker-end="url(#arrow)"%s/>'
                             % (mx, y1, mx, y2,
                                "" if m["type"] == EV["msg_send"]
                                else ' stroke-dasharray="4,2"'))
                o.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="#fff" '
                         'stroke="#333"/>' % (mx, y1))
            elif m["type"] == EV["prio"] and m["pid"] in lanes:
                y = top + lane_h * lanes[m["pid"]]
                o.append('<path d="M%.1f,%.1f l5,5 l-5,5 l-5,-5 z" '
                         'fill="#7b3fa0"/><text x="%.1f" y="%.1f" '
                         'font-size="10" fill="#7b3fa0" stroke="#fff" '
                         'stroke-width="3" paint-order="stroke">prio '
                         '%d&#8594;%d</text>'
                         % (mx, y - 1, mx + 6, y + 9, m["a"], m["b"]))
        lx, ly = 86.0, legend_y
        o.append('<text x="16" y="%.1f" font-weight="bold">running:</text>'
                 % (ly + 10))
        for pid, i in lanes.items():
            name = self.rows[pid].name
            o.append('<rect x="%.1f" y="%.1f" width="14" height="12" '
                     'fill="%s" stroke="#222" stroke-width="0.6"/><text '
                     'x="%.1f" y="%.1f">%s</text>'
                     % (lx, ly, PALETTE[i % len(PALETTE)], lx + 19, ly + 10,
                        escape(name)))
            lx += 35 + 7.5 * len(name)
        ly += 26
        o.append('<rect x="16" y="%.1f" width="24" height="4" fill="#9a9a9a"/>'
                 '<text x="46" y="%.1f">ready</text><rect x="100" y="%.1f" '
                 'width="24" height="10" fill="url(#hatch)" stroke="#b03a3a"/>'
                 '<text x="130" y="%.1f">blocked</text><rect x="200" '
                 'y="%.1f" width="24" height="10" fill="#bcd7ee" '
                 'stroke="#5b8fbf"/><text x="230" y="%.1f">sleeping</text>'
                 '<text x="320" y="%.1f">orange triangle: interrupt; arrow: '
                 'message; diamond: priority change</text>'
                 % (ly + 3, ly + 9, ly, ly + 9, ly, ly + 9, ly + 9))
        o.append("</svg>")
        return "\n".join(o) + "\n"

    # -- Trace Event Format -----------------------------------------------------
    def perfetto(self, title="libmk scheduling timeline"):
        """A Trace Event Format document (dict); ``json.dump`` it."""
        us = 1e6 / self.tick_hz
        ev = [{"name": "process_name", "ph": "M", "pid": 1, "tid": 0,
               "args": {"name": "libmk simulated CPU"}},
              {"name": "thread_name", "ph": "M", "pid": 1, "tid": 0,
               "args": {"name": "kernel / interrupts"}}]
        for i, (pid, r) in enumerate(self.rows.items()):
            ev.append({"name": "thread_name", "ph": "M", "pid": 1, "tid": pid,
                       "args": {"name": "%s (pid %d)" % (r.name, pid)}})
            ev.append({"name": "thread_sort_index", "ph": "M", "pid": 1,
                       "tid": pid, "args": {"sort_index": i + 1}})
        for pid, r in self.rows.items():
            for a, b, st in r.intervals:
                if st == READY:
                    continue
                ev.append({"name": r.name if st == RUNNING else st,
                           "cat": "run" if st == RUNNING else "wait",
                           "ph": "X", "ts": a * us, "dur": (b - a) * us,
                           "pid": 1, "tid": pid,
                           "args": {"tick": a, "ticks": b - a}})
        names = {v: k for k, v in EV.items()}
        for m in self.marks:
            if m["type"] == EV["irq"] and self._is_clock(m["a"]):
                continue
            kind = names.get(m["type"], "event")
            irq = m["type"] == EV["irq"]
            ev.append({"name": "irq %d" % m["a"] if irq else kind,
                       "cat": kind, "ph": "i", "s": "p" if irq else "t",
                       "ts": m["tick"] * us, "pid": 1,
                       "tid": 0 if irq or m["pid"] not in self.rows
                       else m["pid"],
                       "args": {"tick": m["tick"], "a": m["a"],
                                "b": m["b"]}})
        return {"displayTimeUnit": "ms",
                "otherData": {"title": title, "tick_hz": self.tick_hz},
                "traceEvents": ev}

    def write_files(self, prefix, title="libmk scheduling timeline",
                    max_cols=100):
        """Write <prefix>.txt, <prefix>.svg and <prefix>.json."""
        with open(prefix + ".txt", "w") as f:
            f.write(self.text(max_cols))
        with open(prefix + ".svg", "w") as f:
            f.write(self.svg(title))
        with open(prefix + ".json", "w") as f:
            json.dump(self.perfetto(title), f)
