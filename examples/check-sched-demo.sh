#!/bin/sh
# check-sched-demo.sh PROGRAM PYTHON3 - runs mk-sched-demo in a scratch
# folder and checks what it wrote: the text timeline on stdout (every
# process row, the legend, the determinism line), a JSON trace that parses
# and holds run slices, instants and thread names (Trace Event Format), and
# a well-formed SVG with one lane label per process. Fails loudly when the
# program or python3 is missing.
set -eu
prog=$1
py=$2
[ -x "$prog" ] || { echo "check-sched-demo: $prog not built" >&2; exit 1; }
"$py" -c 'import json, xml.dom.minidom' || { echo "check-sched-demo: no usable $py" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
"$prog" demo > out.txt 2>&1 || { cat out.txt; echo "check-sched-demo: demo failed" >&2; exit 1; }
cat out.txt
for want in 'sensor (p1)' 'ui (p2)' 'shell (p3)' 'cmdsrv (p4)' 'worker-a (p5)' \
            'worker-b (p6)' 'logger (p7)' '# running  . ready  b blocked  z sleeping' \
            'same trace on both runs (deterministic)' \
            'shell read: "ls;date;"; cmdsrv answered: "ls: done;date: done;"' \
            "logger's highest effective priority: 24"; do
    grep -qF -- "$want" out.txt || { echo "check-sched-demo: output lacks: $want" >&2; exit 1; }
done
grep -qF 'logger (p7)' demo.txt
"$py" -m json.tool demo.json > /dev/null
"$py" -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' demo.svg
"$py" - demo.json demo.svg <<'PY'
import json, sys, xml.dom.minidom
ev = json.load(open(sys.argv[1]))["traceEvents"]
runs = [e for e in ev if e["ph"] == "X" and e["cat"] == "run"]
names = {e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
inst = {e["cat"] for e in ev if e["ph"] == "i"}
assert {e["name"] for e in runs} == {"sensor", "ui", "shell", "cmdsrv", "worker-a", "worker-b",
                                    "logger"}, runs
assert all(e["dur"] > 0 and e["ts"] >= 0 for e in runs)
assert "logger (pid 7)" in names, names
assert {"irq", "msg_send", "prio", "rpc_call", "rpc_reply"} <= inst, inst
svg = xml.dom.minidom.parse(sys.argv[2])
text = " ".join(t.firstChild.data for t in svg.getElementsByTagName("text") if t.firstChild)
for n in ("sensor", "logger", "worker-a", "tick"):
    assert n in text, n
print("check-sched-demo: %d run slices, instants %s, SVG and JSON well-formed"
      % (len(runs), sorted(inst)))
PY
