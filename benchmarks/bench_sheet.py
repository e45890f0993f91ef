"""Benchmark: wall time for a 100-question sheet with its answer key.

Run from the repository root:  python benchmarks/bench_sheet.py [--repeat N]

Each run is the real command, `tutor sheet --count 100 --seed S -o FILE`
(sheet and key), in a fresh interpreter. The baseline, measured in the same
run and interleaved, is `python -c "import torch, sympy"`: the imports any
such command pays before doing its own work.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp())
    print(f"command : {' '.join([sys.executable] + sys.argv)}")
    results = {}
    for fmt in ("md", "html", "ipynb"):
        sheet, base = [], []
        for i in range(args.repeat):
            base.append(timed([sys.executable, "-c", "import torch, sympy"]))
            sheet.append(timed([sys.executable, "-m", "tutor", "sheet", "--count", "100", "--seed", str(i),
                                "--format", fmt, "-o", str(out / f"s{i}.{fmt}")]))
        results[fmt] = (statistics.median(sheet), statistics.median(base))
        key = out / f"s0-key.{fmt}"
        print(f"{fmt:6}: 100 questions + key  median {results[fmt][0]:.2f} s  "
              f"(baseline import torch+sympy {results[fmt][1]:.2f} s, ratio {results[fmt][0] / results[fmt][1]:.2f}; "
              f"key {key.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
