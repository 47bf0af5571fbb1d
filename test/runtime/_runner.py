"""Runs the runtime tests (test/runtime/test_*.py) on the interpreter running this file.

Stdlib only; works on CPython 3.8+. Prints unittest's verbose report on stderr
and, as the last line of stdout, a machine-readable count line:

    LOOPSCOPE-COUNTS passed=N failed=N skipped=N

test/runtime/run_all.mjs runs this on every interpreter and sums the counts.
Usage: python test/runtime/_runner.py [-k PATTERN] [test_file_glob]
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


class CountingResult(unittest.TextTestResult):
    """A text result that also counts passes (subtests included) for the summary line."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0
        self.failed = 0
        self.skipped_count = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.failed += 1

    def addError(self, test, err):
        super().addError(test, err)
        self.failed += 1

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.skipped_count += 1

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.passed += 1

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.failed += 1

    def addSubTest(self, test, subtest, err):
        # Each failing subtest counts as one failure; a test whose subtests
        # failed is not reported through addSuccess, so it adds no pass.
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.failed += 1


def main(argv):
    pattern = "test_*.py"
    names = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "-k" and args:
            names.append(args.pop(0))
        else:
            pattern = a
    runtime_dir = os.path.join(REPO, "runtime")
    if runtime_dir not in sys.path:
        sys.path.insert(0, runtime_dir)
    loader = unittest.TestLoader()
    if names:
        loader.testNamePatterns = ["*%s*" % n if "*" not in n else n for n in names]
    # Discovery from test/runtime as its own top level: test modules import as
    # plain top-level modules (a package named "test" would shadow the stdlib's).
    suite = loader.discover(start_dir=HERE, pattern=pattern, top_level_dir=HERE)
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=2, resultclass=CountingResult)
    result = runner.run(suite)
    sys.stderr.flush()
    print(
        "LOOPSCOPE-COUNTS passed=%d failed=%d skipped=%d"
        % (result.passed, result.failed, result.skipped_count)
    )
    sys.stdout.flush()
    return 0 if result.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
