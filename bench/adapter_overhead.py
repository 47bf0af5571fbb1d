"""What breakpoints cost the traced program: wall-time ratios on the three
workloads of bench/workloads.py, with a debugger connected.

    python bench/adapter_overhead.py [--runs N] [--python PATH ...] [--workload NAME ...]

Each run is a fresh process; the time compared is the one the workload
measures itself (asyncio.run only). A small stand-in for the debug adapter
(this file) listens, starts `python -m loopscope run --connect ... --hold`,
sets the breakpoints of the configuration, sends `start`, and reads (and
drops) everything the runtime sends, as the adapter does. Configurations:

  plain      python bench/workloads.py W (no Loopscope)
  debugger   the runtime with a debugger attached, no breakpoint
  bp-cold    a breakpoint in workloads.py on a line the run never reaches
             (the file's hot coroutines run all the time)
  bp-hot     a breakpoint with condition False on the hottest line of the
             workload (evaluated at every step: the worst case)

Ratios are given against plain and against 'debugger' (what the breakpoints
add). Median over --runs runs, plain and traced alternating.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = os.path.join(HERE, "workloads.py")


def marked_line(text):
    with open(WORKLOADS) as f:
        for n, line in enumerate(f, 1):
            if text in line:
                return n
    raise SystemExit("no line with %r in %s" % (text, WORKLOADS))


HOT = {
    "sleep0": marked_line("await asyncio.sleep(0)"),
    "queue": marked_line("item = await q.get()"),
    "futures": marked_line("await fut"),
}
COLD = marked_line('sys.stdout.write("none 0\\n")')


def plain(python, workload):
    out = subprocess.run([python, WORKLOADS, workload], stdout=subprocess.PIPE, check=True, timeout=600).stdout
    return int(out.split()[-1])


def debugged(python, workload, breakpoints):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "runtime"))
    proc = subprocess.Popen(
        [python, "-m", "loopscope", "run", "--connect", "127.0.0.1:%d" % port, "--token", "bench", "--hold", "--", WORKLOADS, workload],
        env=env,
        stdout=subprocess.PIPE,
    )
    sock, _ = srv.accept()
    f = sock.makefile("rb")
    f.readline()  # hello
    responses = {}
    cond = threading.Condition()

    def send(msg):
        sock.sendall((json.dumps(msg) + "\n").encode())

    def reader():
        for line in f:
            msg = json.loads(line)
            if msg["kind"] == "control/response":
                with cond:
                    responses[msg["id"]] = msg
                    cond.notify_all()
            elif msg["kind"] == "debug/stopped":
                raise SystemExit("the benchmark stopped at a breakpoint: %r" % msg)

    send({"kind": "session/welcome", "protocol": "1.1", "role": "adapter"})
    t = threading.Thread(target=reader, daemon=True)
    t.start()

    def request(rid, command, **args):
        send({"kind": "control/request", "id": rid, "command": command, "args": args})
        with cond:
            cond.wait_for(lambda: rid in responses, 30)
        if not responses.get(rid, {}).get("ok"):
            raise SystemExit("%s failed: %r" % (command, responses.get(rid)))

    request(1, "set-breakpoints", file=WORKLOADS, breakpoints=breakpoints)
    request(2, "start")
    out = proc.stdout.read()
    proc.wait(600)
    t.join(10)
    sock.close()
    srv.close()
    return int(out.split()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--python", action="append")
    ap.add_argument("--workload", action="append")
    a = ap.parse_args()
    pythons = a.python or [sys.executable]
    workloads = a.workload or ["sleep0", "queue", "futures"]
    print("%-7s %-8s %9s | %-9s %6s | %-9s %6s %6s | %-9s %6s %6s" % (
        "python", "workload", "plain ms", "debugger", "x", "bp-cold", "x", "x dbg", "bp-hot", "x", "x dbg"))
    for py in pythons:
        ver = subprocess.run([py, "-c", "import sys;print('%d.%d' % sys.version_info[:2])"], stdout=subprocess.PIPE, text=True).stdout.strip()
        for w in workloads:
            configs = {
                "debugger": [],
                "bp-cold": [{"id": 1, "line": COLD}],
                "bp-hot": [{"id": 1, "line": HOT[w], "condition": "False"}],
            }
            times = {k: [] for k in ["plain"] + list(configs)}
            for _ in range(a.runs):
                times["plain"].append(plain(py, w))
                for name, bps in configs.items():
                    times[name].append(debugged(py, w, bps))
            med = {k: statistics.median(v) for k, v in times.items()}
            p, d = med["plain"], med["debugger"]
            print(
                "%-7s %-8s %9.1f | %9.1f %5.2fx | %9.1f %5.2fx %5.2fx | %9.1f %5.2fx %5.2fx"
                % (ver, w, p / 1e6, d / 1e6, d / p, med["bp-cold"] / 1e6, med["bp-cold"] / p, med["bp-cold"] / d,
                   med["bp-hot"] / 1e6, med["bp-hot"] / p, med["bp-hot"] / d),
                flush=True,
            )


if __name__ == "__main__":
    main()
