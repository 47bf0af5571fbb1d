"""Every seed fixture and every terminating example runs byte-identically under Loopscope.

For each program in test/fixtures/seeds/ and examples/ this runs

    sys.executable program.py
    sys.executable -m loopscope run -- program.py
    sys.executable -m loopscope record -o TRACE -- program.py

from the program's own folder, with runtime/ on PYTHONPATH, and asserts that the
traced runs leave stdout, stderr and the exit code exactly as plain Python does,
and that the recording starts with a "session/hello" JSON line.

Markers a program may carry in a comment line near its top:

    # loopscope-test: requires-python >= 3.11   skipped (with the reason) on older Pythons
    # loopscope-test: never-terminates          not run at all (e.g. examples/deadlock.py)

Run with any interpreter: python -m unittest discover -s test/runtime -p 'test_seeds.py'.
LOOPSCOPE_TEST_JOBS sets how many programs run at once (default 1: several fixtures
compare the order of timers a few tens of milliseconds apart, and a loaded machine
wakes processes late).
"""

import collections
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RUNTIME_DIR = os.path.join(REPO, "runtime")
SEEDS_DIR = os.path.join(REPO, "test", "fixtures", "seeds")
EXAMPLES_DIR = os.path.join(REPO, "examples")

TIMEOUT = 30  # seconds, for every single run
JOBS = max(1, int(os.environ.get("LOOPSCOPE_TEST_JOBS", "1")))

SEED_FILE_RE = re.compile(r"^# Seed: (\d{3}_[0-9a-f]{16}\.txt)\b")
REQUIRES_RE = re.compile(r"^#\s*loopscope-test:\s*requires-python\s*>=\s*(\d+)\.(\d+)\s*$")
NEVER_TERMINATES_RE = re.compile(r"^#\s*loopscope-test:\s*never-terminates\b")
MARKER_LINES = 40  # markers are looked for in the first lines of a program

# Text in stderr that legitimately differs from run to run (durations the loop
# reports in debug mode, object addresses in reprs). Both sides are compared
# with these spans masked; everything else must match byte for byte.
RUN_DEPENDENT = [
    (re.compile(rb"\b0x[0-9a-fA-F]+\b"), b"0x?"),
    (re.compile(rb"\btook \d+(?:\.\d+)? (?:seconds|ms)\b"), b"took ? seconds"),
]

Result = collections.namedtuple("Result", "argv returncode stdout stderr timed_out")


def _env():
    env = dict(os.environ)
    parts = [RUNTIME_DIR]
    if env.get("PYTHONPATH"):
        parts.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


def _run(argv, cwd):
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        return Result(argv, None, exc.stdout or b"", exc.stderr or b"", True)
    return Result(argv, proc.returncode, proc.stdout, proc.stderr, False)


def _mask(data):
    for pattern, replacement in RUN_DEPENDENT:
        data = pattern.sub(replacement, data)
    return data


def _diff(expected, actual, what):
    a = expected.decode("utf-8", "replace").splitlines(True)
    b = actual.decode("utf-8", "replace").splitlines(True)
    lines = list(difflib.unified_diff(a, b, "plain python " + what, "loopscope " + what))
    if len(lines) > 60:
        lines = lines[:60] + ["... (%d more diff lines)\n" % (len(lines) - 60)]
    return "".join(lines)


def _markers(path):
    """(required (major, minor) or None, never_terminates)"""
    required = None
    never = False
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= MARKER_LINES:
                break
            m = REQUIRES_RE.match(line.strip())
            if m:
                required = (int(m.group(1)), int(m.group(2)))
            if NEVER_TERMINATES_RE.match(line.strip()):
                never = True
    return required, never


def _programs(folder):
    if not os.path.isdir(folder):
        return []
    return sorted(
        os.path.join(folder, name)
        for name in os.listdir(folder)
        if name.endswith(".py") and os.path.isfile(os.path.join(folder, name))
    )


_plain_cache = {}
_plain_lock = threading.Lock()


def _plain(path):
    with _plain_lock:
        if path in _plain_cache:
            return _plain_cache[path]
    result = _run([sys.executable, os.path.basename(path)], os.path.dirname(path))
    with _plain_lock:
        _plain_cache[path] = result
    return result


def _traced(path, mode, trace_file=None):
    name = os.path.basename(path)
    if mode == "run":
        argv = [sys.executable, "-m", "loopscope", "run", "--", name]
    else:
        argv = [sys.executable, "-m", "loopscope", "record", "-o", trace_file, "--", name]
    return _run(argv, os.path.dirname(path))


class _ProgramsUnderLoopscope(unittest.TestCase):
    folder = None  # set by subclasses

    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.mkdtemp(prefix="loopscope-test-seeds-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmpdir, ignore_errors=True)

    def _select(self):
        """[(path, skip_reason or None)] for every program in the folder."""
        out = []
        for path in _programs(self.folder):
            required, never = _markers(path)
            reason = None
            if never:
                reason = "%s never terminates by design (marked never-terminates)" % (
                    os.path.basename(path))
            elif required and sys.version_info[:2] < required:
                reason = "%s needs Python >= %d.%d; this is %d.%d" % (
                    (os.path.basename(path),) + required + sys.version_info[:2])
            out.append((path, reason))
        return out

    def _run_all(self, mode):
        """Run plain and traced (mode 'run' or 'record') for every selected program."""
        selected = self._select()
        self.assertTrue(selected, "no programs found in %s" % self.folder)

        def job(path):
            plain = _plain(path)
            trace_file = None
            if mode == "record":
                trace_file = os.path.join(
                    self.tmpdir, os.path.basename(path)[:-3] + ".jsonl")
            return plain, _traced(path, mode, trace_file), trace_file

        runnable = [path for path, reason in selected if reason is None]
        with ThreadPoolExecutor(max_workers=JOBS) as pool:
            futures = {path: pool.submit(job, path) for path in runnable}
            results = {path: fut.result() for path, fut in futures.items()}
        return selected, results

    def _assert_same(self, path, plain, traced, compare_stderr=True):
        name = os.path.relpath(path, REPO)
        self.assertFalse(
            plain.timed_out, "%s: plain python run timed out after %d s" % (name, TIMEOUT))
        self.assertFalse(
            traced.timed_out,
            "%s: %s timed out after %d s (plain python exited %s)\nstderr:\n%s"
            % (name, " ".join(traced.argv[1:]), TIMEOUT, plain.returncode,
               traced.stderr.decode("utf-8", "replace")[-2000:]))
        self.assertEqual(
            plain.stdout, traced.stdout,
            "%s: stdout differs under `%s`\n%s\nloopscope stderr:\n%s"
            % (name, " ".join(traced.argv[1:]), _diff(plain.stdout, traced.stdout, "stdout"),
               traced.stderr.decode("utf-8", "replace")[-2000:]))
        self.assertEqual(
            plain.returncode, traced.returncode,
            "%s: exit code %s under plain python, %s under `%s`\nloopscope stderr:\n%s"
            % (name, plain.returncode, traced.returncode, " ".join(traced.argv[1:]),
               traced.stderr.decode("utf-8", "replace")[-2000:]))
        if compare_stderr:
            self.assertEqual(
                _mask(plain.stderr), _mask(traced.stderr),
                "%s: stderr differs under `%s`\n%s"
                % (name, " ".join(traced.argv[1:]),
                   _diff(plain.stderr, traced.stderr, "stderr")))

    def _assert_trace(self, path, trace_file):
        name = os.path.relpath(path, REPO)
        self.assertTrue(os.path.isfile(trace_file), "%s: no trace file written" % name)
        self.assertGreater(os.path.getsize(trace_file), 0, "%s: trace file is empty" % name)
        with open(trace_file, "rb") as f:
            first = f.readline()
        try:
            hello = json.loads(first.decode("utf-8"))
        except ValueError as exc:
            self.fail("%s: first trace line is not JSON (%s): %r" % (name, exc, first[:200]))
        self.assertIsInstance(hello, dict, "%s: first trace line is not a JSON object" % name)
        self.assertEqual(
            hello.get("kind"), "session/hello",
            "%s: first trace line is not a session/hello: %r" % (name, first[:200]))

    def _check(self, mode):
        selected, results = self._run_all(mode)
        for path, reason in selected:
            with self.subTest(program=os.path.basename(path)):
                if reason:
                    self.skipTest(reason)
                plain, traced, trace_file = results[path]
                self._assert_same(path, plain, traced)
                if mode == "record":
                    self._assert_trace(path, trace_file)


class SeedFixturesTest(_ProgramsUnderLoopscope):
    folder = SEEDS_DIR

    def test_every_fixture_names_its_seed(self):
        programs = _programs(SEEDS_DIR)
        self.assertTrue(programs, "no fixtures in %s" % SEEDS_DIR)
        seeds = set()
        for path in programs:
            with self.subTest(program=os.path.basename(path)):
                with open(path, encoding="utf-8") as f:
                    first = f.readline()
                m = SEED_FILE_RE.match(first)
                self.assertIsNotNone(
                    m, "%s must start with '# Seed: NNN_<hash>.txt, <section>'" % path)
                seeds.add(m.group(1))
        # Every one of the five seed tutorials has at least one runnable example.
        self.assertEqual(len(seeds), 5, "fixtures cover only these seeds: %s" % sorted(seeds))

    def test_fixtures_identical_under_loopscope_run(self):
        self._check("run")

    def test_fixtures_identical_under_loopscope_record(self):
        self._check("record")


# The examples keep their real, watchable timings (~40 s a pass), so they are
# compared on the two interpreters CI cares most about; the seed fixtures run
# on every one. LOOPSCOPE_TEST_EXAMPLES=all compares them everywhere.
EXAMPLE_PYTHONS = ((3, 11), (3, 13))


@unittest.skipUnless(
    os.environ.get("LOOPSCOPE_TEST_EXAMPLES") == "all" or sys.version_info[:2] in EXAMPLE_PYTHONS,
    "examples are compared on 3.11 and 3.13 (LOOPSCOPE_TEST_EXAMPLES=all for every interpreter)",
)
class ExamplesTest(_ProgramsUnderLoopscope):
    folder = EXAMPLES_DIR

    def test_examples_identical_under_loopscope_run(self):
        self._check("run")

    def test_examples_identical_under_loopscope_record(self):
        self._check("record")


if __name__ == "__main__":
    unittest.main()
