"""Benchmark: grading throughput and a cold grade, each against its baseline in the same run.

Run from the repository root:
python benchmarks/bench_grade.py [--submissions 300] [--sample 20] [--rounds 3] [--cold 5]

1. Throughput: the reference solutions copied into student folders until
   there are N submissions (300 by default), graded by ``tutor grade DIR --jobs 2`` as a whole
   process (the sandbox's workers start inside it: their start-up is counted).
   Baseline: a fresh ``python -I`` per submission that imports torch, calls the
   function on the same inputs and prints the results, two at a time; its rate
   is measured on a sample and scaled to the same number of submissions.  Each round runs the batch,
   then the baseline's sample, so both meet the machine as it is then; the figure is the median of the
   rounds' ratios.
2. Cold: ``tutor grade ONE_FILE.py`` from a fresh process against
   ``python -c "import torch"``, alternating, median of the pairs' ratios.

Machines are shared and noisy: the figures that count are the ratios, each
measured in the same run as its baseline.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTOR = [sys.executable, "-m", "tutor"]
FRESH = r'''
import importlib.util, json, sys
req = json.loads(sys.stdin.read())
spec = importlib.util.spec_from_file_location("submission", req["path"])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
fn = getattr(mod, req["function"])
out = []
for args in req["calls"]:
    v = fn(**args)
    import torch
    out.append(v.detach().tolist() if isinstance(v, torch.Tensor) else v)
print(json.dumps(out))
'''


def timed(cmd: list[str], **kw) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - start


def throughput(submissions: int, sample: int, rounds: int, per_student: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tutor import bank
    from tutor.features.grading.references import cases_for

    tmp = Path(tempfile.mkdtemp(prefix="bench-grade-"))
    try:
        files = sorted((ROOT / "solutions" / "code").glob("*.py"))
        per_student = min(per_student or len(files), len(files))
        for i in range(submissions):
            folder = tmp / "subs" / f"student{i // per_student:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(files[i % len(files)], folder)
        n = submissions
        students = len(list((tmp / "subs").iterdir()))

        exercises = [e for e in bank.load(ROOT / "exercises") if e.handler.runs_code]
        requests = []
        for i in range(sample):
            ex = exercises[i % len(exercises)]
            calls = [ex.handler.call_args(v) for v in cases_for(ex, 0)]
            requests.append(json.dumps({"path": str(ROOT / "solutions" / ex.data["file"]),
                                        "function": ex.data["function"], "calls": calls}))

        def fresh(req: str) -> int:
            return subprocess.run([sys.executable, "-I", "-c", FRESH], input=req, text=True,
                                  capture_output=True).returncode

        # each round: the batch, then the baseline on a sample, so that both meet the machine as it is then
        # (a shared machine's speed drifts over minutes); the figure is the median of the rounds' ratios
        ratios, grades, bases, ran, full_marks = [], [], [], 0, []
        for _round in range(rounds):
            out = tmp / "report.json"
            grade_s = timed([*TUTOR, "grade", str(tmp / "subs"), "--jobs", "2", "-o", str(out)], cwd=tmp)
            report = json.loads(out.read_text())
            full_marks.append(sum(r["score"] == r["max_score"] for r in report["results"]))
            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=2) as pool:
                codes = list(pool.map(fresh, requests))
            base_s = (time.perf_counter() - start) * n / sample
            ran += codes.count(0)
            grades.append(grade_s)
            bases.append(base_s)
            ratios.append(base_s / grade_s)
            print(f"  round {_round + 1}: batch {grade_s:.2f} s, baseline {base_s:.1f} s for {n}: "
                  f"{base_s / grade_s:.1f}x")
        print(f"throughput: {n} submissions ({students} students), tutor grade --jobs 2: median "
              f"{statistics.median(grades):.2f} s ({n / statistics.median(grades):.1f}/s; full marks "
              f"{min(full_marks)}/{n} in every round; isolation {report['isolation']['mode']})")
        print(f"  baseline: a fresh python -I each, two at a time: median {statistics.median(bases):.1f} s for {n} "
              f"(measured on {sample} per round, {ran} of {sample * rounds} ran)")
        print(f"  ratio   : {statistics.median(ratios):.1f}x (median of {rounds} rounds; min {min(ratios):.1f}, "
              f"max {max(ratios):.1f}; target at least 50x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cold(rounds: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    try:
        target = tmp / "zero_before_backward.py"
        shutil.copy(ROOT / "solutions" / "code" / "zero_before_backward.py", target)
        grade = [*TUTOR, "grade", str(target), "-o", str(tmp / "out.json")]
        torch_only = [sys.executable, "-c", "import torch"]
        timed(grade, cwd=tmp)
        timed(torch_only)                                   # warm the page cache for both
        pairs = [(timed(grade, cwd=tmp), timed(torch_only)) for _ in range(rounds)]
        ratios = [a / b for a, b in pairs]
        print(f"cold: tutor grade ONE_FILE.py median {statistics.median(a for a, _ in pairs):.2f} s, "
              f"python -c 'import torch' median {statistics.median(b for _, b in pairs):.2f} s")
        print(f"  ratio   : {statistics.median(ratios):.2f}x (min {min(ratios):.2f}, max {max(ratios):.2f}; "
              f"target at most 1.3x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=300, help="submissions graded in the batch")
    parser.add_argument("--sample", type=int, default=20, help="submissions of the baseline actually run")
    parser.add_argument("--per-student", type=int, default=0,
                        help="submissions per student folder (default: one of every code exercise)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of batch then baseline (median ratio)")
    parser.add_argument("--cold", type=int, default=5, help="pairs of cold runs")
    args = parser.parse_args()
    print(f"command: {' '.join([sys.executable] + sys.argv)}  (cpus: {os.cpu_count()})")
    throughput(args.submissions, args.sample, args.rounds, args.per_student)
    cold(args.cold)


if __name__ == "__main__":
    main()
