#!/usr/bin/env bash
# Instruction counts (callgrind: repeatable whatever else the machine does) of
# the bench workloads, plain and recorded, start-up subtracted, at 1/SCALE size.
#   bash bench/instructions.sh [python] [scale]
set -euo pipefail
py=${1:-$(command -v python3)}
py=$(readlink -f "$("$py" -c 'import sys;print(sys.executable)')")
scale=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/loopscope-bench.XXXXXX")
count() {
  LOOPSCOPE_BENCH_SCALE=$scale PYTHONPATH="$here/../runtime" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
  callgrind_annotate "$tmp/cg.out" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}
base_plain=$(count "$py" "$here/workloads.py" none)
base_traced=$(count "$py" -m loopscope record -o "$tmp/t.jsonl" -- "$here/workloads.py" none)
printf '%-8s %14s %14s %7s\n' workload plain traced ratio
for w in sleep0 queue futures; do
  p=$(count "$py" "$here/workloads.py" "$w")
  t=$(count "$py" -m loopscope record -o "$tmp/t.jsonl" -- "$here/workloads.py" "$w")
  python3 -c "import sys; p,t=$p-$base_plain,$t-$base_traced; print('%-8s %14d %14d %6.2fx' % ('$w', p, t, t/p))"
done
rm -rf "$tmp"
