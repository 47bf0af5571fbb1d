"""Traced/plain wall-time ratios of the runtime on the three workloads.

    python bench/overhead.py [--runs N] [--python PATH ...] [--workload NAME ...]

Each run is a fresh process: plain `python bench/workloads.py W` against
`python -m loopscope record -o TMP -- bench/workloads.py W` (every step recorded
to a trace file). The time compared is the one the workload measures itself
(asyncio.run only: interpreter start-up is left out on both sides). Plain and
traced runs alternate; the figure is the median ratio over --runs pairs.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = os.path.join(HERE, "workloads.py")


def timed(cmd, env):
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True, timeout=600)
    return int(out.stdout.split()[-1])


def measure(python, workload, runs):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "runtime"))
    ratios, plain_ns, traced_ns = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "trace.jsonl")
        for _ in range(runs):
            p = timed([python, WORKLOADS, workload], env)
            t = timed([python, "-m", "loopscope", "record", "-o", trace, "--", WORKLOADS, workload], env)
            plain_ns.append(p)
            traced_ns.append(t)
            ratios.append(t / p)
        size = os.path.getsize(trace)
    return statistics.median(ratios), statistics.median(plain_ns), statistics.median(traced_ns), size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--python", action="append")
    ap.add_argument("--workload", action="append")
    a = ap.parse_args()
    pythons = a.python or [sys.executable]
    workloads = a.workload or ["sleep0", "queue", "futures"]
    print("%-10s %-8s %10s %10s %7s %10s" % ("python", "workload", "plain ms", "traced ms", "ratio", "trace KiB"))
    for py in pythons:
        ver = subprocess.run([py, "-c", "import sys;print('%d.%d' % sys.version_info[:2])"], stdout=subprocess.PIPE, text=True).stdout.strip()
        for w in workloads:
            ratio, p, t, size = measure(py, w, a.runs)
            print("%-10s %-8s %10.1f %10.1f %6.2fx %10d" % (ver, w, p / 1e6, t / 1e6, ratio, size // 1024), flush=True)


if __name__ == "__main__":
    main()
