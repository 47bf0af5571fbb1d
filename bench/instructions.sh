#!/usr/bin/env bash
# Instruction counts (callgrind: repeatable whatever else the machine does) of
# the bench workloads, plain and recorded, start-up subtracted, at 1/SCALE size.
# The recorded run is split by thread: the program's (loop) thread, and the
# runtime's own threads (the drain), whose time-driven work (every 50 ms) runs
# far more often under valgrind than in real time, so that column overstates.
#   bash bench/instructions.sh [python] [scale]
set -euo pipefail
py=${1:-$(command -v python3)}
py=$(readlink -f "$("$py" -c 'import sys;print(sys.executable)')")
scale=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/loopscope-bench.XXXXXX")
# Prints "<main thread> <other threads>" instructions of one run.
count() {
  rm -f "$tmp"/cg.out*
  LOOPSCOPE_BENCH_SCALE=$scale PYTHONPATH="$here/../runtime" valgrind --tool=callgrind --separate-threads=yes \
    --callgrind-out-file="$tmp/cg.out" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
  local main=0 other=0 n f
  for f in "$tmp"/cg.out-*; do
    n=$(callgrind_annotate "$f" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    if [[ $f == *-01 ]]; then main=$n; else other=$((other + n)); fi
  done
  echo "$main $other"
}
read -r base_plain _ < <(count "$py" "$here/workloads.py" none)
read -r base_traced _ < <(count "$py" -m loopscope record -o "$tmp/t.jsonl" -- "$here/workloads.py" none)
printf '%-8s %12s %12s %12s %11s %11s\n' workload plain 'traced loop' 'traced drain' 'loop ratio' 'all ratio'
for w in sleep0 queue futures; do
  read -r p _ < <(count "$py" "$here/workloads.py" "$w")
  read -r t d < <(count "$py" -m loopscope record -o "$tmp/t.jsonl" -- "$here/workloads.py" "$w")
  python3 -c "
p, t, d = $p - $base_plain, $t - $base_traced, $d
print('%-8s %12d %12d %12d %10.2fx %10.2fx' % ('$w', p, t, d, t / p, (t + d) / p))"
done
rm -rf "$tmp"
