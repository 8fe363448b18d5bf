"""Run the array API standard's conformance suite on ``numpy`` and on ``fnx.numpy`` and compare.

    git clone https://github.com/data-apis/array-api-tests --recurse-submodules /tmp/aat
    pip install -r /tmp/aat/requirements.txt       # hypothesis, ndindex, pytest-json-report
    python tools/array_api_conformance.py --suite /tmp/aat [--max-examples N]

Each library runs in its own pytest process (``ARRAY_API_TESTS_MODULE``), standard version
2024.12, with the suite's own defaults (hypothesis deadline 800 ms, 100 examples).  The report
gives both pass counts and every test numpy passes that fnx does not; each of those must be
listed with its reason in ``tools/array_api_expected_failures.txt`` (what an immutable array
cannot do), otherwise the script exits 1.  No environment variable of fnx is set: the run is
what a new user gets.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXPECTED = Path(__file__).resolve().parent / "array_api_expected_failures.txt"
LIBRARIES = ("numpy", "fnx.numpy")


def run_suite(suite: Path, module: str, report: Path, extra: list[str]) -> float:
    """One pytest run of the suite against ``module``; returns its wall time in seconds."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FNX_", "HYPOTHESIS_")) and k != "CI"}
    env.update(ARRAY_API_TESTS_MODULE=module, ARRAY_API_TESTS_VERSION="2024.12",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=no",
           "--continue-on-collection-errors", "--json-report",
           f"--json-report-file={report}", *extra, "array_api_tests/"]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=suite, env=env, stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def outcomes(report: Path) -> dict[str, str]:
    tests = json.loads(report.read_text())["tests"]
    return {t["nodeid"].removeprefix("array_api_tests/"): t["outcome"] for t in tests}


def expected_failures() -> dict[str, str]:
    """test id -> reason, from the expected-failures file (``<id>  # <reason>`` lines)."""
    out = {}
    for line in EXPECTED.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            test, _, reason = line.partition("#")
            out[test.strip()] = reason.strip()
    return out


def summarize(results: dict[str, dict[str, str]], times: dict[str, float]) -> tuple[str, int]:
    ref, fnx = results["numpy"], results["fnx.numpy"]
    expected = expected_failures()
    lines = ["| library | passed | failed | skipped | errors | seconds |",
             "|---|---:|---:|---:|---:|---:|"]
    for lib in LIBRARIES:
        c = collections.Counter(results[lib].values())
        lines.append(f"| {lib} | {c['passed']} | {c['failed']} | {c['skipped']} | "
                     f"{c['error']} | {times[lib]:.0f} |")
    behind = sorted(t for t, o in ref.items() if o == "passed" and fnx.get(t) != "passed")
    unexplained = [t for t in behind if t not in expected]
    ahead = sorted(t for t, o in fnx.items() if o == "passed" and ref.get(t) != "passed")
    lines += ["", f"Tests numpy passes and fnx.numpy does not: {len(behind)}"]
    lines += [f"- `{t}` ({fnx.get(t)}): {expected.get(t, '**UNEXPLAINED**')}" for t in behind]
    lines += ["", f"Tests fnx.numpy passes and numpy does not: {len(ahead)}"]
    lines += [f"- `{t}`" for t in ahead]
    return "\n".join(lines), len(unexplained)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", type=Path, required=True,
                        help="a checkout of data-apis/array-api-tests with its submodule")
    parser.add_argument("--max-examples", type=int, default=None)
    parser.add_argument("--markdown", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    extra = [] if args.max_examples is None else [f"--max-examples={args.max_examples}"]
    results, times = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for lib in LIBRARIES:
            report = Path(tmp) / f"{lib}.json"
            times[lib] = run_suite(args.suite, lib, report, extra)
            results[lib] = outcomes(report)
    text, unexplained = summarize(results, times)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
