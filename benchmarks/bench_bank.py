"""Benchmark: whole-bank `tutor check --seeds N`, this version against an older one, as whole processes.

Run from the repository root:

    python benchmarks/bench_bank.py --baseline DIR [--rounds N] [--seeds N] [--exercises DIR]

DIR is a checkout of the version to compare with (e.g. ``git worktree add
/tmp/base 520c86c``).  Each round runs the baseline's `tutor check` and then
this checkout's, each as a fresh `python -m tutor --exercises BANK check
--seeds N --json` with its own checkout first on PYTHONPATH (and as working
folder), alternating A B A B ..., so that both sides see the same machine
load.  Both check the same bank (this checkout's bundled one by default, with
its solutions).  Reported per run: the variants per second that `tutor check
--json` reports (bank loading, all imports it does and every verification
included) and the process's wall time; then the medians and their ratio.
Machines here are shared and noisy: compare ratios from one run, not
figures from different runs.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def baseline(rounds: int = 200) -> float:
    """Seconds for one unit of reference work (sympy diff + torch backward of x**2): bench_quiz.py's yardstick."""
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


def run_check(checkout: Path, bank: Path, seeds: int) -> dict[str, float]:
    """One `tutor check --json` in a fresh interpreter: its variants/s, variants and the wall time."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    argv = [sys.executable, "-m", "tutor", "--exercises", str(bank), "check", "--seeds", str(seeds), "--json"]
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=checkout, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        sys.exit(f"{checkout}: `tutor check` printed no JSON (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    if not report.get("ok"):
        sys.exit(f"{checkout}: `tutor check` found problems: {report.get('problems')}")
    return {"rate": float(report["variants_per_second"]), "variants": report["variants_verified"],
            "seconds": float(report["seconds"]), "wall": wall}


def compatible_copy(bank: Path, strip_raises: bool) -> Path:
    """The bank (and its ../solutions) copied to a temporary folder, without the fields an older version
    refuses: ``grade_params`` tables and lines, and ``raises = ...`` lines if asked."""
    import re
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="bench-bank-"))
    shutil.copytree(bank, root / "exercises")
    if (bank.parent / "solutions").is_dir():
        shutil.copytree(bank.parent / "solutions", root / "solutions")
    for path in (root / "exercises").rglob("*.toml"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^grade_params = .*\n", "", text, flags=re.M)
        text = re.sub(r"^\[exercise\.grade_params\]\n(?:[^\[\n].*\n)*", "", text, flags=re.M)
        if strip_raises:       # (and the other fields the baseline's format does not have)
            text = re.sub(r"^(?:raises|shuffle) = .*\n", "", text, flags=re.M)
        path.write_text(text, encoding="utf-8")
    return root / "exercises"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, metavar="DIR", help="a checkout of the version to compare with")
    parser.add_argument("--rounds", type=int, default=3, metavar="N", help="A B pairs (default 3)")
    parser.add_argument("--seeds", type=int, default=5, metavar="N")
    parser.add_argument("--exercises", default=str(ROOT / "exercises"), metavar="DIR",
                        help="the bank both versions check (default: this checkout's)")
    parser.add_argument("--compatible", action="store_true",
                        help="check a copy of the bank without the fields the baseline does not know: grade_params "
                             "(both sides: the same variants) and raises, shuffle (the baseline's copy only)")
    args = parser.parse_args()
    base, bank = Path(args.baseline).resolve(), Path(args.exercises).resolve()
    if not (base / "tutor" / "__init__.py").is_file():
        sys.exit(f"{base} is not a checkout of the tutor (no tutor/__init__.py)")
    banks = {"A": bank, "B": bank}
    if args.compatible:
        banks = {"A": compatible_copy(bank, strip_raises=True), "B": compatible_copy(bank, strip_raises=False)}

    print(f"command : {' '.join([sys.executable] + sys.argv)}")
    print(f"machine : {os.cpu_count()} cores, Python {platform.python_version()}, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"bank    : {bank}, --seeds {args.seeds}" + (" (copies without grade_params; A's also without raises)"
                                                       if args.compatible else ""))
    print(f"A       : {base} (baseline)")
    print(f"B       : {ROOT} (this checkout)")
    runs: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
    for r in range(args.rounds):
        for side, checkout in (("A", base), ("B", ROOT)):
            got = run_check(checkout, banks[side], args.seeds)
            runs[side].append(got)
            print(f"round {r + 1} {side}: {got['variants']} variants in {got['seconds']:.2f} s -> "
                  f"{got['rate']:.2f} variants/s (process wall {got['wall']:.2f} s)", flush=True)
    med = {side: statistics.median(x["rate"] for x in runs[side]) for side in runs}
    wall = {side: statistics.median(x["wall"] for x in runs[side]) for side in runs}
    print(f"median  : A {med['A']:.2f} variants/s, B {med['B']:.2f} variants/s")
    print(f"ratio   : B / A = {med['B'] / med['A']:.2f}x variants/s "
          f"(process wall: A {wall['A']:.2f} s, B {wall['B']:.2f} s, {wall['A'] / wall['B']:.2f}x)")
    print(f"load    : {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
