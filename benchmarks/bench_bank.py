"""Benchmark: whole-bank `tutor check`, as exercise variants verified per second.

Run from the repository root:  python benchmarks/bench_bank.py [--seeds N] [--exercises DIR]

Machines here are shared and noisy, so the run also measures a fixed baseline
workload (sympy derivative + torch backward of x**2, 200 times) and reports the
check throughput relative to it as well as in absolute terms.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def baseline(rounds: int = 200) -> float:
    """Seconds for one unit of reference work (sympy diff + torch backward)."""
    import sympy
    import torch

    x = sympy.Symbol("x", real=True)
    start = time.perf_counter()
    for i in range(rounds):
        float(sympy.diff(x ** 2 + i * x, x).subs(x, 3))
        t = torch.tensor(3.0, requires_grad=True)
        (t ** 2 + i * t).backward()
        float(t.grad)
    return (time.perf_counter() - start) / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--exercises", default=str(ROOT / "exercises"))
    args = parser.parse_args()

    from tutor.features.check import check_bank

    print(f"command : {' '.join([sys.executable] + sys.argv)}")
    print(f"machine : {os.cpu_count()} cores, Python {platform.python_version()}")
    baseline(20)                     # warm-up: first calls pay for lazy imports
    unit_before = baseline()
    report = check_bank(args.exercises, seeds=args.seeds)
    unit_after = baseline()
    unit = (unit_before + unit_after) / 2
    rate = report.variants / report.seconds
    print(f"bank    : {args.exercises}  ({report.exercises} exercises, kinds {report.kinds})")
    print(f"check   : ok={report.ok}, {report.variants} variants in {report.seconds:.2f} s "
          f"-> {rate:.2f} variants/s (in-process, torch and sympy already imported)")
    print(f"baseline: {unit * 1e3:.3f} ms per unit (sympy diff + torch backward), before {unit_before * 1e3:.3f} / "
          f"after {unit_after * 1e3:.3f}")
    print(f"ratio   : one verified variant costs {report.seconds / report.variants / unit:.1f} baseline units")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tutor", "--exercises", args.exercises, "check",
                           "--seeds", str(args.seeds)], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    print(f"cli     : `tutor check --seeds {args.seeds}` wall time {wall:.2f} s (exit {proc.returncode}), "
          f"including interpreter start and imports")
    print(proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr.strip()[-300:])


if __name__ == "__main__":
    main()
