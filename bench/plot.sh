#!/bin/sh
# plot.sh - turn a `bench-core --json` result into the plots of
# doc/PERFORMANCE.md (gnuplot, Debian package gnuplot-nox; python3 only
# from the standard library, to read the JSON).
#
#   bench/plot.sh core.json [outdir]      (outdir defaults to doc/perf)
#   bench/plot.sh scale.json [outdir]     (a `--filter scale/` run)
#
# Writes, with <p> the JSON file's base name (core.json -> core):
#   <p>-scaling.png  ns per operation against live objects (10 .. 10^6, log
#                axes), one line per curve: "all" (random over every
#                object) solid, "hot" (64 objects spread over the table)
#                dashed; a curve's peer (e.g. the plain pointer array of
#                blocks/read) as a line of its own, "peer:<name>";
#   <p>-ratios.png libmk/peer ratio (median of runs) per comparison, with
#                the line at 1 (below = libmk faster); only if the JSON has
#                comparisons outside scale/ (a scale-only run has none);
#   *.dat        the data behind them.
set -eu
json=${1:?usage: plot.sh core.json [outdir]}
out=${2:-doc/perf}
mkdir -p "$out"
p=$(basename "$json" .json)

python3 - "$json" "$out/$p" <<'PY'
import json, sys, collections
rows = json.load(open(sys.argv[1]))["rows"]
out = sys.argv[2]
curves = collections.OrderedDict()
peers = collections.OrderedDict()
for r in rows:
    n = r["name"].split("/")
    if n[0] == "scale" and n[-1].isdigit() and "mk_median" in r:
        curves.setdefault("/".join(n[1:-1]), []).append((int(n[-1]), r["mk_median"]))
        if "peer_median" in r:
            peers.setdefault("peer:" + "/".join(n[1:-1]), []).append((int(n[-1]), r["peer_median"]))
curves.update(peers)
with open(out + "-scaling.dat", "w") as f:
    for name, pts in curves.items():
        f.write('"%s"\n' % name)
        for x, y in pts:
            f.write("%d %.3f\n" % (x, y))
        f.write("\n\n")
with open(out + "-scaling.names", "w") as f:
    f.write(" ".join(curves.keys()))
with open(out + "-ratios.dat", "w") as f:
    for r in rows:
        if "ratio" in r and not r["name"].startswith("scale/"):
            f.write('"%s" %.4f\n' % (r["name"] + " / " + r["peer"], r["ratio"]))
PY

names=$(cat "$out/$p-scaling.names")
n=0
plots=""
for c in $names; do
    case $c in *"/hot") dt=2 ;; *) dt=1 ;; esac
    col=$(( (n / 2) + 1 ))
    plots="$plots${plots:+, }'$out/$p-scaling.dat' index $n using 1:2 with linespoints dt $dt lc $col title '$c'"
    n=$((n + 1))
done
gnuplot <<GP
set terminal pngcairo size 1100,700 font ",10" noenhanced
set output '$out/$p-scaling.png'
set title 'libmk: cost per operation as live objects grow (median of runs)'
set logscale xy
set xlabel 'live objects (blocks, queues, processes, cached blocks)'
set ylabel 'ns per operation'
set key outside right
set grid
plot $plots
GP

rows=$(wc -l < "$out/$p-ratios.dat")
if [ "$rows" -eq 0 ]; then
    rm -f "$out/$p-scaling.names" "$out/$p-ratios.dat"
    echo "wrote $out/$p-scaling.png (no comparisons: no ratios plot)"
    exit 0
fi
gnuplot <<GP
set terminal pngcairo size 1100,$((200 + 18 * rows)) font ",9" noenhanced
set output '$out/$p-ratios.png'
set title 'libmk / peer, median of runs (below 1: libmk faster)'
set logscale x
set xlabel 'ratio (log scale)'
set grid x
set style fill solid 0.6
set yrange [-1:$rows]
set ytics nomirror
set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb 'red' lw 2
unset key
set xrange [0.05:*]
plot '$out/$p-ratios.dat' using ((\$2+0.05)/2):0:((\$2-0.05)/2):(0.35):yticlabels(1) with boxxyerror
GP
rm -f "$out/$p-scaling.names"
echo "wrote $out/$p-scaling.png $out/$p-ratios.png"
