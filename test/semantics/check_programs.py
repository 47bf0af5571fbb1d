#!/usr/bin/env python3
"""The semantics bugs CPython's asyncio suite found, as small programs: each
program in test/semantics/programs/ must print the same (stdout and stderr,
merged; memory addresses masked) and exit with the same code under
``python -m loopscope run --`` as under plain ``python``.

Seconds instead of minutes; run_asyncio_suite.py is the real check. One check
per (program, interpreter); the last line is ``N passed, N failed``.

Usage: python3 test/semantics/check_programs.py [--python PATH]... [--versions X.Y,...] [PROGRAM...]
"""
import argparse
import difflib
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run_asyncio_suite as suite  # noqa: E402

PROGRAMS = os.path.join(HERE, "programs")
ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def run(cmd, cwd, env):
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "(timed out after 120 s)\n"
    return p.returncode, ADDRESS.sub("0x?", p.stdout.decode("utf-8", "replace"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", action="append", default=[], metavar="PATH")
    ap.add_argument("--versions", metavar="X.Y,...")
    ap.add_argument("--runtime", default=suite.RUNTIME, metavar="DIR")
    ap.add_argument("programs", nargs="*", help="program files (default: all of programs/)")
    args = ap.parse_args(argv)

    pys = suite.choose_interpreters(args.python)
    if args.versions:
        wanted = [v.strip() for v in args.versions.split(",") if v.strip()]
        pys = [m[-1] for m in ([p for p in pys if p["version"] == v or p["version"].startswith(v + ".")] for v in wanted) if m]
        if len(pys) != len(wanted):
            print("programs: not every version of %s was found" % args.versions)
            print("0 passed, 1 failed")
            return 1
    programs = args.programs or sorted(os.path.join(PROGRAMS, f) for f in os.listdir(PROGRAMS) if f.endswith(".py"))
    env = suite.clean_env()
    env["PYTHONPATH"] = args.runtime
    env["PYTHONUNBUFFERED"] = "1"
    passed = failed = 0
    for py in pys:
        if py.get("broken"):
            print("FAIL %s: does not run" % py["exe"])
            failed += 1
            continue
        for prog in programs:
            cwd = os.path.dirname(os.path.abspath(prog))
            name = os.path.basename(prog)
            plain = run([py["exe"], name], cwd, env)
            traced = run([py["exe"], "-m", "loopscope", "run", "--", name], cwd, env)
            same = plain == traced
            print("%s Python %-8s %s" % ("ok  " if same else "FAIL", py["version"], name))
            if same:
                passed += 1
                continue
            failed += 1
            if plain[0] != traced[0]:
                print("     exit code: plain %s, loopscope %s" % (plain[0], traced[0]))
            for line in difflib.unified_diff(plain[1].splitlines(), traced[1].splitlines(), "plain", "loopscope run", lineterm="", n=1):
                print("     " + line)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
