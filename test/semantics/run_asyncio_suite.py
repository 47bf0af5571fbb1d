#!/usr/bin/env python3
"""Does tracing change asyncio's semantics? CPython's own asyncio test suite,
run once plain and once with the Loopscope tracer installed in every process,
must give the same result.

For each interpreter (default: every CPython >= 3.8 of ``pyenv versions
--bare``; ``--python PATH`` repeatable instead) this runs

    python -m test test_asyncio -j2 --junit-xml RESULTS.xml

twice, from a temp dir, with PYTHONPATH = <temp site dir>:<repo>/runtime, where
the temp site dir holds a copy of test/semantics/sitecustomize.py:

* plain: LOOPSCOPE_SEMANTICS_TRACE unset, the sitecustomize does nothing;
* traced: LOOPSCOPE_SEMANTICS_TRACE=1, the sitecustomize starts the tracer
  (``lifecycle.Runtime(lifecycle.SwitchSink())``: every hook, the drain and
  watchdog threads, events sent nowhere) in the regrtest process, in each of
  its workers and in every Python subprocess the tests start.

``--junit-xml`` gives every test case's outcome on every version (3.8-3.10 run
test_asyncio as one test file in one worker and print no totals); both runs
use it, so they stay comparable.

Each traced process writes markers (see sitecustomize.py). The traced run only
counts when every process that started the tracer still had it installed at
exit, no internal error was reported, and every test file ran in a traced
worker that saw loops; the plain run must leave no marker at all.

A check passes when the traced run equals the plain one: the same outcome
("Tests result"/"Result" line), the same lists of failed / env-changed /
skipped ... test files, the same set of failing test cases and the same number
of tests run and skipped. The last line is ``N passed, N failed`` with one
check per interpreter; the exit status is non-zero on any difference. Logs stay
under the temp dir (printed on failure; ``--keep`` keeps them always).

Usage: python3 test/semantics/run_asyncio_suite.py [--python PATH]... [--versions X.Y,...] [--jobs N]
       [--timeout SECONDS] [--keep] [--test NAME]... [--runtime DIR]
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RUNTIME = os.path.join(REPO, "runtime")
SITECUSTOMIZE = os.path.join(HERE, "sitecustomize.py")

PROBE = (
    "import sys, platform\n"
    "out = [platform.python_implementation(), '.'.join(map(str, sys.version_info[:3])), sys.executable]\n"
    "try:\n"
    "    import test.libregrtest, test.test_asyncio\n"
    "    out.append('test-package-ok')\n"
    "except Exception as exc:\n"
    "    out.append('test-package-missing:%s' % type(exc).__name__)\n"
    "print('\\t'.join(out))\n"
)


# -- interpreters -------------------------------------------------------------------


def pyenv_interpreters():
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
        versions = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        print("semantics: pyenv not usable (%s); give --python PATH" % exc)
        return []
    found = []
    for v in versions.split():
        exe = os.path.join(root, "versions", v, "bin", "python")
        if os.path.exists(exe):
            found.append(exe)
    return found


def probe(exe):
    """-> dict(exe, impl, version, minor, real, test_ok, test_problem) or None."""
    try:
        r = subprocess.run([exe, "-c", PROBE], capture_output=True, text=True, timeout=60, env=clean_env())
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0 or not r.stdout.strip():
        return None
    impl, version, real, test_state = r.stdout.strip().split("\t")
    major, minor = (int(x) for x in version.split(".")[:2])
    return {
        "exe": exe,
        "impl": impl,
        "version": version,
        "major": major,
        "minor": minor,
        "real": real,
        "test_ok": test_state == "test-package-ok",
        "test_problem": None if test_state == "test-package-ok" else test_state.split(":", 1)[1],
    }


def choose_interpreters(explicit):
    chosen = []
    seen = set()
    for exe in explicit or pyenv_interpreters():
        info = probe(exe)
        if info is None:
            print("semantics: %s does not run%s" % (exe, ", counted as failed" if explicit else ", ignored"))
            if explicit:
                chosen.append({"exe": exe, "version": "?", "minor": 0, "broken": True})
            continue
        if info["impl"] != "CPython" or info["major"] != 3 or info["minor"] < 8:
            msg = "semantics: %s is %s %s, ignored (CPython >= 3.8 wanted)" % (exe, info["impl"], info["version"])
            print(msg)
            continue
        if info["version"] in seen:
            continue
        seen.add(info["version"])
        chosen.append(info)
    chosen.sort(key=lambda p: (p["minor"], p["version"]))
    return chosen


# -- one run of the suite ---------------------------------------------------------


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOPSCOPE_")}
    for k in ("PYTHONPATH", "PYTHONASYNCIODEBUG", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONWARNINGS", "PYTHONDEVMODE"):
        env.pop(k, None)
    return env


def runtime_description(runtime):
    """Which runtime is checked: the repo's commit and whether runtime/ has local changes."""
    if os.path.abspath(runtime) != os.path.abspath(RUNTIME):
        return runtime
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "runtime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return runtime
    if not head:
        return runtime
    return "%s at %s%s" % (runtime, head, " + local changes" if dirty else "")


def run_suite(py, mode, workdir, site_dir, jobs, timeout, tests=("test_asyncio",), runtime=RUNTIME):
    """Runs the suite once; -> dict with the log path, xml path, markers dir, rc, seconds."""
    base = os.path.join(workdir, "%s-%s" % (py["version"], mode))
    os.makedirs(base)
    cwd = os.path.join(base, "cwd")
    markers = os.path.join(base, "markers")
    os.makedirs(cwd)
    os.makedirs(markers)
    log = os.path.join(base, "suite.log")
    xml = os.path.join(base, "results.xml")
    env = clean_env()
    env["PYTHONPATH"] = os.pathsep.join([site_dir, runtime])
    env["LOOPSCOPE_SEMANTICS_MARKERS"] = markers
    if mode == "traced":
        env["LOOPSCOPE_SEMANTICS_TRACE"] = "1"
    cmd = [py["exe"], "-m", "test"] + list(tests) + ["-j%d" % jobs, "--junit-xml", xml]
    started = time.monotonic()
    timed_out = False
    with open(log, "wb") as out:
        out.write(("$ %s\n# PYTHONPATH=%s LOOPSCOPE_SEMANTICS_TRACE=%s\n" % (" ".join(cmd), env["PYTHONPATH"], env.get("LOOPSCOPE_SEMANTICS_TRACE", ""))).encode())
        out.flush()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            rc = proc.wait()
    return {
        "mode": mode,
        "log": log,
        "xml": xml,
        "markers": markers,
        "rc": rc,
        "timed_out": timed_out,
        "seconds": time.monotonic() - started,
        "cmd": cmd,
    }


# -- reading a run ------------------------------------------------------------------

RESULT_RE = re.compile(r"^(?:Tests result|Result): (.+?)\s*$", re.M)
BLOCK_HEAD_RE = re.compile(r"^(?:All )?(\d+) tests? (.+):$")
PROGRESS_RE = re.compile(r"\[\s*\d+/\d+(?:/\d+)?\]\s+(test[\w.]*)")
CASE_RE = re.compile(r"^(FAIL|ERROR): (\S+) \(([\w.]+)[^)]*\)", re.M)
TOTAL_RE = re.compile(r"^Total tests: (.+)$", re.M)


def parse_log(text):
    """The final result lines of regrtest: outcome, the lists of test files
    (failed, altered the execution environment, skipped, ...), the totals
    (3.11.7+ print them) and the FAIL:/ERROR: lines of failing cases."""
    outcome = RESULT_RE.findall(text)
    blocks = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = BLOCK_HEAD_RE.match(lines[i].strip()) if not lines[i].startswith(" ") else None
        if m and lines[i].rstrip().endswith(":"):
            phrase = m.group(2)
            names = []
            i += 1
            while i < len(lines) and lines[i].startswith("    ") and lines[i].strip():
                names.extend(lines[i].split())
                i += 1
            blocks.setdefault(phrase, set()).update(names)
            continue
        i += 1
    totals = {}
    for m in TOTAL_RE.finditer(text):
        for part in m.group(1).split():
            if "=" in part:
                k, v = part.split("=", 1)
                try:
                    totals[k] = int(v.replace(",", ""))
                except ValueError:
                    pass
    cases = {}
    for kind, name, cls in CASE_RE.findall(text):
        cases["%s.%s" % (cls, name)] = "failure" if kind == "FAIL" else "error"
    files = []
    for name in PROGRESS_RE.findall(text):
        if name not in files:
            files.append(name)
    return {"outcome": outcome[-1] if outcome else None, "blocks": blocks, "totals": totals, "cases": cases, "files": files}


def parse_xml(path):
    """Every test case of --junit-xml: {id: passed|failure|error|skipped|...}."""
    if not os.path.exists(path):
        return None
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return None
    cases = {}
    for case in root.iter("testcase"):
        name = case.get("name")
        if not name:
            continue  # a case whose only failures were subtests (no result recorded)
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = child.tag
                break
        if case.get("outcome") == "UNEXPECTED_SUCCESS":
            outcome = "unexpected-success"
        cases[name] = outcome
    return cases


def read_markers(directory):
    """-> list of per-process dicts: pid, start, exit, errors."""
    procs = []
    for fn in sorted(os.listdir(directory)):
        if not fn.endswith(".jsonl"):
            continue
        p = {"pid": fn[:-6], "start": None, "exit": None, "errors": []}
        with open(os.path.join(directory, fn)) as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get("event") == "start":
                    p["start"] = rec
                elif rec.get("event") == "exit":
                    p["exit"] = rec
                elif rec.get("event") == "internal-error":
                    p["errors"].append(rec.get("message"))
        procs.append(p)
    return procs


def tracing_problems(run, summary):
    """Why a traced run does not prove anything (empty: it does)."""
    problems = []
    procs = read_markers(run["markers"])
    started = [p for p in procs if p["start"] is not None]
    if not started:
        return ["no process started the tracer (no marker): the traced run ran untraced"], {}
    not_installed = [p for p in started if not p["start"].get("installed")]
    for p in not_installed[:5]:
        problems.append("pid %s could not install the tracer: %s" % (p["pid"], p["start"].get("error")))
    for p in procs:
        for msg in p["errors"]:
            problems.append("pid %s: loopscope internal error, tracing stopped: %s" % (p["pid"], msg))
    exited = [p for p in started if p["exit"] is not None]
    lost = [p for p in exited if not p["exit"].get("installed") and not p["errors"]]
    for p in lost[:5]:
        problems.append("pid %s: tracer no longer installed at exit" % p["pid"])

    def argv(p):
        return (p["exit"] or {}).get("argv") or p["start"].get("argv") or []

    def is_worker(p):
        # Exit argv names the module (.../regrtest.py --worker-args, .../libregrtest/worker.py);
        # at start only the arguments are known: --worker-args, or the worker's JSON.
        return any("worker" in a or a.startswith("{") and '"tests"' in a for a in argv(p))

    workers = [p for p in started if is_worker(p)]
    if not workers:
        problems.append("no regrtest worker process was traced")
    for w in workers:
        if w["exit"] is None:
            problems.append("traced worker pid %s ended without its exit marker (crashed or killed)" % w["pid"])
    # Each test file must have run in a traced worker (its name is in the worker's argv).
    untraced_files = []
    for name in summary["files"]:
        if not any(any(('"%s"' % name) in a for a in argv(w)) for w in workers):
            untraced_files.append(name)
    if untraced_files:
        problems.append("test files without a traced worker: %s" % " ".join(untraced_files))
    stats = {
        "processes": len(started),
        "workers": len(workers),
        "loops": sum(p["exit"].get("loops", 0) for p in exited),
        "iterations": sum(p["exit"].get("iterations", 0) for p in exited),
        "ids": sum(p["exit"].get("ids", 0) for p in exited),
        "no_exit_marker": len(started) - len(exited),
    }
    if workers and not any((w["exit"] or {}).get("loops", 0) for w in workers):
        problems.append("the traced workers saw no event loop at all")
    return problems, stats


def summarize(run):
    with open(run["log"], "rb") as f:
        text = f.read().decode("utf-8", "replace")
    s = parse_log(text)
    xml_cases = parse_xml(run["xml"])
    s["xml"] = xml_cases
    failing = dict(s["cases"])
    if xml_cases:
        for name, outcome in xml_cases.items():
            if outcome in ("failure", "error", "unexpected-success"):
                failing.setdefault(name, outcome)
    s["failing_cases"] = failing
    t = s["totals"]
    if xml_cases is not None:
        s["run"] = len(xml_cases)
        s["skipped"] = sum(1 for o in xml_cases.values() if o == "skipped")
        s["failures"] = sum(1 for o in xml_cases.values() if o == "failure")
        s["errors"] = sum(1 for o in xml_cases.values() if o == "error")
    else:
        s["run"] = t.get("run")
        s["skipped"] = t.get("skipped")
        s["failures"] = t.get("failures")
        s["errors"] = None
    if "run" in t and s["run"] != t["run"]:
        # Totals printed by regrtest win for "run" (they count cases the xml lacks,
        # e.g. ones failing only in subtests); both are kept for the report.
        s["run_xml"] = s["run"]
        s["run"] = t["run"]
    s["rc"] = run["rc"]
    s["timed_out"] = run["timed_out"]
    s["seconds"] = run["seconds"]
    return s


def compare(plain, traced):
    """-> list of differences (empty: same result)."""
    diffs = []
    if plain["timed_out"] or traced["timed_out"]:
        diffs.append("timed out: plain=%s traced=%s" % (plain["timed_out"], traced["timed_out"]))
    if plain["outcome"] != traced["outcome"]:
        diffs.append("outcome: plain %r, traced %r" % (plain["outcome"], traced["outcome"]))
    if (plain["rc"] == 0) != (traced["rc"] == 0):
        diffs.append("exit status: plain %s, traced %s" % (plain["rc"], traced["rc"]))
    for phrase in sorted(set(plain["blocks"]) | set(traced["blocks"])):
        a = plain["blocks"].get(phrase, set())
        b = traced["blocks"].get(phrase, set())
        if a != b:
            diffs.append(
                "test files that %s: only plain: %s; only traced: %s"
                % (phrase, " ".join(sorted(a - b)) or "-", " ".join(sorted(b - a)) or "-")
            )
    pa, ta = plain["failing_cases"], traced["failing_cases"]
    if set(pa) != set(ta):
        only_t = sorted(set(ta) - set(pa))
        only_p = sorted(set(pa) - set(ta))
        diffs.append(
            "failing test cases differ:\n"
            + "".join("      + traced only: %s (%s)\n" % (n, ta[n]) for n in only_t)
            + "".join("      - plain only:  %s (%s)\n" % (n, pa[n]) for n in only_p)
        )
    for key in ("run", "skipped"):
        if plain.get(key) != traced.get(key):
            diffs.append("tests %s: plain %s, traced %s" % (key, plain.get(key), traced.get(key)))
    if plain["xml"] is not None and traced["xml"] is not None:
        changed = sorted(n for n in set(plain["xml"]) & set(traced["xml"]) if plain["xml"][n] != traced["xml"][n])
        changed = [n for n in changed if n not in pa and n not in ta]  # failures are listed above
        if changed:
            diffs.append("test cases with another outcome: " + ", ".join("%s (%s -> %s)" % (n, plain["xml"][n], traced["xml"][n]) for n in changed[:20]))
    return diffs


def fmt_counts(s):
    if s is None:
        return "-"
    errors = "" if s.get("errors") is None else " err=%s" % s["errors"]
    return "%s run=%s fail=%s%s skip=%s %.0fs" % (s["outcome"] or "NO RESULT", s["run"], s["failures"], errors, s["skipped"], s["seconds"])


# -- main -----------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", action="append", default=[], metavar="PATH", help="interpreter to check (repeatable); default: every pyenv CPython >= 3.8")
    ap.add_argument("--versions", metavar="X.Y,...", help="only these versions among the interpreters found, e.g. 3.11,3.13 (a missing one counts as failed)")
    ap.add_argument("--jobs", type=int, default=2, help="regrtest -j (default 2)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per suite run before it is killed (default 1800)")
    ap.add_argument("--test", action="append", default=[], metavar="NAME", help="regrtest test to run instead of test_asyncio (repeatable; e.g. test_asyncio.test_locks on 3.11.7+)")
    ap.add_argument("--runtime", default=RUNTIME, metavar="DIR", help="directory holding the loopscope package (default: the repo's runtime/)")
    ap.add_argument("--keep", action="store_true", help="keep the logs even when everything passed")
    args = ap.parse_args(argv)

    pys = choose_interpreters(args.python)
    if args.versions:
        wanted = [v.strip() for v in args.versions.split(",") if v.strip()]
        chosen = []
        for v in wanted:
            match = [p for p in pys if p["version"] == v or p["version"].startswith(v + ".")]
            if match:
                chosen.append(match[-1])  # the newest patch release of that version
            else:
                print("semantics: no CPython %s found (have: %s)" % (v, ", ".join(p["version"] for p in pys) or "none"))
                chosen.append({"exe": "python%s" % v, "version": v, "minor": 0, "broken": True})
        pys = chosen
    if not pys:
        print("semantics: no CPython >= 3.8 found")
        print("0 passed, 1 failed")
        return 1
    workdir = tempfile.mkdtemp(prefix="loopscope-semantics-")
    site_dir = os.path.join(workdir, "site")
    os.makedirs(site_dir)
    shutil.copy(SITECUSTOMIZE, os.path.join(site_dir, "sitecustomize.py"))
    print("semantics: CPython's asyncio suite, plain vs traced, on %s; logs in %s" % (", ".join(p["version"] for p in pys), workdir))
    print("semantics: tracer from %s" % runtime_description(args.runtime))
    sys.stdout.flush()

    rows = []
    started_all = time.monotonic()
    for py in pys:
        row = {"py": py, "plain": None, "traced": None, "diffs": [], "problems": [], "stats": {}, "runs": []}
        rows.append(row)
        if py.get("broken"):
            row["problems"].append("%s: not found or does not run" % py["exe"])
            continue
        if not py["test_ok"]:
            row["problems"].append(
                "%s has no usable 'test' package (import test.libregrtest, test.test_asyncio: %s); install the interpreter's test suite (e.g. a full CPython build, or Debian's libpython3.X-testsuite)"
                % (py["exe"], py["test_problem"])
            )
            print("Python %s: %s" % (py["version"], row["problems"][-1]))
            continue
        for mode in ("plain", "traced"):
            print("Python %s: running the suite %s ..." % (py["version"], mode))
            sys.stdout.flush()
            run = run_suite(py, mode, workdir, site_dir, args.jobs, args.timeout, args.test or ["test_asyncio"], args.runtime)
            row["runs"].append(run)
            s = summarize(run)
            row[mode] = s
            print("Python %s: %s: %s" % (py["version"], mode, fmt_counts(s)))
            sys.stdout.flush()
            if mode == "plain" and read_markers(run["markers"]):
                row["problems"].append("the plain run left tracer markers: it was not plain")
            if mode == "traced":
                problems, stats = tracing_problems(run, s)
                row["problems"].extend(problems)
                row["stats"] = stats
        if row["plain"]["outcome"] is None:
            row["problems"].append("the plain run printed no result line (see its log)")
        row["diffs"] = compare(row["plain"], row["traced"])

    total_s = time.monotonic() - started_all
    print("")
    print("%-8s  %-46s  %-46s  %s" % ("python", "plain", "traced", "check"))
    passed = failed = 0
    for row in rows:
        ok = not row["diffs"] and not row["problems"]
        passed += ok
        failed += not ok
        st = row["stats"]
        traced_note = (
            " [traced: %d processes (%d regrtest workers, %d with no exit marker), %d loops, %d iterations]"
            % (st["processes"], st["workers"], st["no_exit_marker"], st["loops"], st["iterations"])
            if st
            else ""
        )
        print("%-8s  %-46s  %-46s  %s%s" % (row["py"]["version"], fmt_counts(row["plain"]), fmt_counts(row["traced"]), "same" if ok else "DIFFERENT" if row["diffs"] else "FAILED", traced_note))
    for row in rows:
        if not row["diffs"] and not row["problems"]:
            continue
        print("")
        print("Python %s (%s):" % (row["py"]["version"], row["py"]["exe"]))
        for p in row["problems"]:
            print("  problem: %s" % p)
        for d in row["diffs"]:
            print("  differs: %s" % d.rstrip())
        for run in row["runs"]:
            print("  %s log: %s" % (run["mode"], run["log"]))
            print("  %s junit xml: %s; tracer markers: %s" % (run["mode"], run["xml"], run["markers"]))
    print("")
    print("time: %.0fs" % total_s)
    if failed == 0 and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print("logs kept in %s" % workdir)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
