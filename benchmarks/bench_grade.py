"""Benchmark: submissions graded per second with --jobs 2, against a fresh `python -I` per submission.

Run from the repository root:  python benchmarks/bench_grade.py [--students N]

Both sides do the same work per submission, in one run: every reference
solution copied for N students (a folder each), each submission called on the
same 3 input sets. The baseline's rate is measured on a sample (a fresh
interpreter per submission takes over a second each).
  * tutor grade: grade_paths(..., jobs=2): children forked from two preloaded
    zygotes, with the full isolation (namespaces, hidden folders, limits, own uid);
  * baseline: tutor.engines.coderun.run_function, a fresh `python -I` interpreter per
    submission that imports torch itself (no isolation beyond the process).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--baseline-sample", type=int, default=20,
                        help="submissions run in fresh interpreters (the baseline's rate is measured on these)")
    args = parser.parse_args()
    from tutor.engines.coderun import run_function

    from tutor import bank
    from tutor.features.grading import grade_paths
    from tutor.features.grading.code import cases_for
    from tutor.features.grading.submissions import discover

    tmp = Path(tempfile.mkdtemp())
    for i in range(args.students):
        shutil.copytree(ROOT / "solutions" / "code", tmp / f"student{i:03d}")
    exercises = bank.load(ROOT / "exercises")
    subs, _unknown = discover([tmp], exercises)
    by_id = {ex.id: ex for ex in exercises}
    print(f"command : {' '.join([sys.executable] + sys.argv)}")
    print(f"work    : {len(subs)} submissions ({args.students} students x {len(subs) // args.students} exercises), "
          f"3 input sets each")

    start = time.perf_counter()
    report = grade_paths([tmp], jobs=2)
    fast = time.perf_counter() - start
    full = sum(r.score == r.max_score for r in report.results)
    iso = sorted({tuple(r.isolation) for r in report.results})

    sample = subs[:args.baseline_sample]
    start = time.perf_counter()
    ok = 0
    for sub in sample:
        ex = by_id[sub.exercise]
        calls = [ex.handler.call_args(v) for v in cases_for(ex, 0)]
        results = run_function(sub.path, ex.data["function"], calls)
        ok += all("value" in r for r in results)
    slow = time.perf_counter() - start

    print(f"grade   : {fast:.2f} s = {len(subs) / fast:.1f} submissions/s with --jobs 2 "
          f"(full marks {full}/{len(subs)}; isolation {iso})")
    fast_rate, slow_rate = len(subs) / fast, len(sample) / slow
    print(f"baseline: {slow:.2f} s for a sample of {len(sample)} = {slow_rate:.2f} submissions/s, a fresh python -I "
          f"each ({ok}/{len(sample)} returned results)")
    print(f"ratio   : {fast_rate / slow_rate:.1f}x the submissions per second (target at least 20x); "
          f"the grade time includes starting the two preloaded workers")


if __name__ == "__main__":
    main()
