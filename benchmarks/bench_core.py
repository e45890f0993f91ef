#!/usr/bin/env python
"""Core performance benchmark for the autograd tutor (a measurement, not a test).

Run from anywhere:

    python benchmarks/bench_core.py [--quick] [--json OUT]

It measures, in one run, so that every ratio is against a baseline taken on the
same (possibly noisy, shared) machine at the same time:

1. **Startup**: median wall time of ``python -m tutor --help`` (and of the
   ``tutor`` console script when it is on PATH) against the baseline
   ``python -c "import click"``, runs interleaved so that load changes hit both
   alike.  Target: ratio <= 2.0.  Also checks, in a subprocess, that importing
   ``tutor.cli`` and running ``main(['--help'])`` loads neither torch nor sympy.
2. **Equivalence verdict latency**: ``tutor.engines.equivalence.check(reference,
   answer)`` over a fixed corpus of derivative-quiz answers, with sympy and the
   symbolic worker warmed up.  Target: p95 <= 50 ms.
3. **Gradient engine** (information only): ``tutor.engines.gradients.compute`` for a
   few typical calls after a warm-up call (torch import excluded).

Exit status is 0 unless the script itself crashes; PASS/FAIL lines are printed.
This file is deliberately not named ``test_*.py``: pytest must not collect it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

STARTUP_TARGET_RATIO = 2.0
EQUIV_TARGET_P95_MS = 50.0

# ----------------------------------------------------------------------------
# The equivalence corpus: (reference, answer, expected verdict or None).
# ``expected`` is only a sanity label printed beside the result (None: either
# "equivalent" or "undecided" is defensible); it is not a gate.
EQ, NE = "equivalent", "not_equivalent"
CORPUS = [
    # ---- correct answers in equivalent forms
    ("2x cos(x^2)", "2 x cos(x\u00b2)", EQ),                         # implicit mult, unicode square
    ("2*x*cos(x**2)", "2x cos(x^2)", EQ),                           # ** vs ^, explicit vs implicit
    ("6x^2 + 6x", "6x(x+1)", EQ),                                   # expanded vs factored
    ("3(x+1)^2", "3x^2 + 6x + 3", EQ),                              # factored vs expanded
    ("4(2x+1)", "8x + 4", EQ),                                      # chain rule of (2x+1)^2
    ("e^x", "exp(x)", EQ),                                          # e^x vs exp
    ("2 e^(2x)", "2 exp(2x)", EQ),
    ("2x exp(x^2)", "2 x e^(x^2)", EQ),
    ("2 ln(x)/x", "2 log(x)/x", EQ),                                # ln vs log
    ("1/(x ln(2))", "1/(x log(2))", EQ),                            # d/dx log2(x)
    ("sin(2x)", "2 sin(x) cos(x)", EQ),                             # double angle
    ("cos(2x)", "cos(x)^2 - sin(x)^2", EQ),
    ("-2 sin(2x)", "-4 sin(x) cos(x)", EQ),
    ("1 - 2 sin(x)^2", "2 cos(x)^2 - 1", EQ),
    ("-sin(x)", "cos(x + pi/2)", EQ),                               # phase shift
    ("1/cos(x)^2", "1 + tan(x)^2", EQ),                             # d/dx tan
    ("sigmoid(x)(1 - sigmoid(x))", "exp(-x)/(1 + exp(-x))^2", EQ),  # sigmoid derivative forms
    ("sigmoid(x)*(1 - sigmoid(x))", "sigmoid(x) - sigmoid(x)^2", EQ),
    ("sigmoid(x)(1-sigmoid(x))", "e^x/(1+e^x)^2", EQ),
    ("1 - tanh(x)^2", "1/cosh(x)^2", EQ),                           # tanh derivative forms
    ("tanh(x)", "(exp(x) - exp(-x))/(exp(x) + exp(-x))", EQ),
    ("1 - tanh(x)^2", "4/(e^x + e^(-x))^2", EQ),
    ("x/sqrt(x^2 + 1)", "x (x^2 + 1)^(-1/2)", EQ),
    ("1/(2 sqrt(x))", "0.5 x^(-1/2)", EQ),
    ("e^x (sin(x) + cos(x))", "e^x sin(x) + e^x cos(x)", EQ),      # product rule
    ("(x cos(x) - sin(x))/x^2", "cos(x)/x - sin(x)/x^2", EQ),      # quotient rule
    ("1/(1 + x^2)", "1/(x^2 + 1)", EQ),                             # d/dx atan
    ("2x y + y^2", "y(2x + y)", EQ),                                # two variables
    ("3a^2 b - 2b", "b(3a^2 - 2)", EQ),
    # ---- classic wrong answers
    ("2x cos(x^2)", "cos(x^2)", NE),                                # missing chain-rule factor
    ("3 cos(3x)", "cos(3x)", NE),                                   # missing chain-rule factor
    ("2 e^(2x)", "e^(2x)", NE),                                     # missing chain-rule factor
    ("2x", "x^3/3", NE),                                            # integrated instead of differentiated
    ("cos(x)", "-cos(x)", NE),                                      # integrated sin(x)
    ("1/x", "ln(x)", NE),                                           # "differentiated" the wrong way
    ("-sin(x)", "sin(x)", NE),                                      # sign error
    ("1 - tanh(x)^2", "1 + tanh(x)^2", NE),                         # sign error
    ("(x cos(x) - sin(x))/x^2", "(sin(x) - x cos(x))/x^2", NE),    # quotient-rule sign error
    ("-1/x^2", "1/x^2", NE),                                        # sign error
    ("sqrt(x^2)", "x", NE),                                         # |x| is not x
    ("x/sqrt(x^2)", "1", NE),                                       # d/dx |x| is sign(x)
    ("sigmoid(x)(1 - sigmoid(x))", "sigmoid(x)", NE),
    ("6x^2 + 6x", "6x^2 + 6", NE),
    ("2x y + y^2", "2x + 2y", NE),
    ("2 sin(x) cos(x)", "2 cos(x)", NE),
]

WARMUP_PAIR = ("cos(y)^2", "1 - sin(y)^2")   # not in the corpus: needs the worker

GRAD_CALLS = [
    ("3*a^3 - b^2", ["a=2,3", "b=6,4"], "1,1"),
    ("2 dot(x,x)", ["x=0,1,2,3"], None),
    ("sigmoid(w*x+b)", ["w=0.5", "x=2", "b=-1"], None),
    ("tanh(x)^2 + sin(x y)", ["x=0.7", "y=-1.3"], None),
]


def pct(values, p):
    """The p-th percentile with linear interpolation (numpy's default)."""
    v = sorted(values)
    if not v:
        return float("nan")
    if len(v) == 1:
        return v[0]
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def ms(seconds):
    return seconds * 1000.0


# ---------------------------------------------------------------- 1. startup

def _run_timed(cmd):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    return dt, proc.returncode, proc.stderr.decode(errors="replace")[-500:]


def bench_startup(reps):
    py = sys.executable
    commands = {
        "baseline": [py, "-c", "import click"],
        "python -m tutor --help": [py, "-m", "tutor", "--help"],
    }
    script = shutil.which("tutor")
    if script:
        commands["tutor --help (console script)"] = [script, "--help"]

    # warm-up (bytecode caches, page cache); not counted
    failures = {}
    for name, cmd in commands.items():
        for _ in range(2):
            _dt, rc, err = _run_timed(cmd)
            if rc != 0:
                failures[name] = f"exit {rc}: {err.strip()}"

    times = {name: [] for name in commands}
    for _ in range(reps):                       # interleaved: baseline, tutor, [script], baseline, ...
        for name, cmd in commands.items():
            dt, rc, err = _run_timed(cmd)
            times[name].append(dt)
            if rc != 0:
                failures[name] = f"exit {rc}: {err.strip()}"

    base = times["baseline"]
    result = {
        "repetitions": reps,
        "console_script": script,
        "commands": {name: " ".join(shlex.quote(c) for c in cmd) for name, cmd in commands.items()},
        "baseline_median_ms": ms(statistics.median(base)),
        "baseline_min_ms": ms(min(base)),
        "targets": {},
        "failures": failures,
    }
    for name in commands:
        if name == "baseline":
            continue
        t = times[name]
        ratio = statistics.median(t) / statistics.median(base)
        paired = statistics.median([a / b for a, b in zip(t, base)])
        result["targets"][name] = {
            "median_ms": ms(statistics.median(t)),
            "min_ms": ms(min(t)),
            "ratio_of_medians": ratio,
            "median_paired_ratio": paired,
            "ratio_of_minimums": min(t) / min(base),
            "pass": ratio <= STARTUP_TARGET_RATIO and name not in failures,
        }
    result["raw_ms"] = {name: [round(ms(x), 3) for x in t] for name, t in times.items()}
    return result


_IMPORT_PROBE = r"""
import contextlib, io, json, sys
import tutor
from tutor.cli import main
buf = io.StringIO()
rv, err = None, None
with contextlib.redirect_stdout(buf):
    try:
        main(["--help"], standalone_mode=False)
    except BaseException as exc:  # noqa: BLE001 - report, do not crash
        err = repr(exc)
heavy = {m: (m in sys.modules) for m in ("torch", "sympy", "numpy", "mpmath")}
print(json.dumps({"tutor_file": tutor.__file__, "modules": heavy, "help_chars": len(buf.getvalue()),
                  "error": err}))
"""


def check_light_import():
    proc = subprocess.run([sys.executable, "-c", _IMPORT_PROBE], cwd=ROOT, capture_output=True, text=True)
    try:
        info = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"ok": False, "error": f"probe failed (exit {proc.returncode}): {proc.stderr.strip()[-800:]}"}
    mods = info["modules"]
    info["ok"] = (not mods["torch"] and not mods["sympy"] and info["error"] is None
                  and info["help_chars"] > 0)
    return info


# ---------------------------------------------------------------- 2. equivalence

def bench_equivalence(rounds):
    sys.path.insert(0, ROOT)
    from tutor.engines import equivalence

    t0 = time.perf_counter()
    equivalence.check(*WARMUP_PAIR)            # imports sympy/mpmath, forks the worker
    warm1 = time.perf_counter() - t0
    t0 = time.perf_counter()
    equivalence.check(*WARMUP_PAIR)
    warm2 = time.perf_counter() - t0

    calls = []          # one dict per call
    for rnd in range(rounds):
        for idx, (ref, ans, _expected) in enumerate(CORPUS):
            t0 = time.perf_counter()
            try:
                v = equivalence.check(ref, ans)
                verdict, method = v.verdict, v.method
            except Exception as exc:  # noqa: BLE001 - a corpus entry the parser refuses
                verdict, method = "error", f"{type(exc).__name__}: {exc}"
            dt = time.perf_counter() - t0
            calls.append({"round": rnd, "index": idx, "ms": ms(dt), "verdict": verdict, "method": method})

    all_ms = [c["ms"] for c in calls]
    counts = {}
    for c in calls:
        if c["round"] == 0:
            counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    per_pair = []
    for idx, (ref, ans, expected) in enumerate(CORPUS):
        mine = [c for c in calls if c["index"] == idx]
        verdicts = sorted({c["verdict"] for c in mine})
        per_pair.append({
            "reference": ref, "answer": ans, "expected": expected,
            "verdict": mine[0]["verdict"], "method": mine[0]["method"],
            "verdicts_seen": verdicts,
            "median_ms": statistics.median(c["ms"] for c in mine),
            "max_ms": max(c["ms"] for c in mine),
            "first_round_ms": mine[0]["ms"],
        })
    unexpected = [p for p in per_pair
                  if (p["expected"] is not None and p["verdict"] != p["expected"]) or len(p["verdicts_seen"]) > 1]
    per_round = []
    for rnd in range(rounds):
        r = [c["ms"] for c in calls if c["round"] == rnd]
        per_round.append({"round": rnd + 1, "median_ms": statistics.median(r), "p95_ms": pct(r, 95),
                          "max_ms": max(r), "total_ms": sum(r)})
    by_method = {}
    for c in calls:
        by_method.setdefault(c["method"] if c["verdict"] != "error" else "error", []).append(c["ms"])
    p95 = pct(all_ms, 95)
    return {
        "rounds": rounds,
        "pairs": len(CORPUS),
        "calls": len(calls),
        "warmup_first_ms": ms(warm1),
        "warmup_second_ms": ms(warm2),
        "median_ms": statistics.median(all_ms),
        "p95_ms": p95,
        "max_ms": max(all_ms),
        "mean_ms": statistics.fmean(all_ms),
        "p95_first_round_ms": per_round[0]["p95_ms"],
        "p95_later_rounds_ms": pct([c["ms"] for c in calls if c["round"] > 0], 95) if rounds > 1 else None,
        "verdict_counts_per_round": counts,
        "by_method": {k: {"calls": len(v), "median_ms": statistics.median(v), "p95_ms": pct(v, 95)}
                      for k, v in by_method.items()},
        "per_round": per_round,
        "pass": p95 <= EQUIV_TARGET_P95_MS,
        "slowest": sorted(per_pair, key=lambda p: p["max_ms"], reverse=True)[:5],
        "unexpected": unexpected,
        "per_pair": per_pair,
    }


# ---------------------------------------------------------------- 3. gradients

def bench_gradients(reps):
    sys.path.insert(0, ROOT)
    from tutor.engines import gradients

    t0 = time.perf_counter()
    gradients.compute("x^2", ["x=3"])          # imports torch, numpy, sympy
    warm = time.perf_counter() - t0
    out = []
    for expr, at, grad in GRAD_CALLS:
        times = []
        agree = None
        error = None
        for _ in range(reps):
            t0 = time.perf_counter()
            try:
                rep = gradients.compute(expr, list(at), gradient=grad)
                agree = rep.agree
            except Exception as exc:  # noqa: BLE001
                error = f"{type(exc).__name__}: {exc}"
            times.append(time.perf_counter() - t0)
        out.append({"expression": expr, "at": at, "gradient": grad, "repetitions": reps,
                    "median_ms": ms(statistics.median(times)), "min_ms": ms(min(times)),
                    "max_ms": ms(max(times)), "agree": agree, "error": error})
    return {"warmup_ms": ms(warm), "calls": out}


# ---------------------------------------------------------------- report

def _pf(ok):
    return "PASS" if ok else "FAIL"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (7 startup, 2 corpus rounds)")
    ap.add_argument("--json", metavar="OUT", help="also write every figure as JSON to OUT")
    args = ap.parse_args(argv)

    startup_reps = 7 if args.quick else 21
    rounds = 2 if args.quick else 5
    grad_reps = 5 if args.quick else 15

    try:
        from importlib.metadata import version
        versions = {m: version(m) for m in ("click", "sympy", "mpmath", "torch", "numpy")}
    except Exception:  # noqa: BLE001
        versions = {}

    print("tutor core benchmark")
    print("=" * 78)
    print(f"command      : {' '.join(shlex.quote(a) for a in [sys.executable] + sys.argv)}")
    print(f"cwd          : {os.getcwd()}   (repo root: {ROOT})")
    print(f"python       : {platform.python_version()} ({sys.executable})")
    print(f"platform     : {platform.platform()}")
    print(f"os.cpu_count : {os.cpu_count()}   load avg: {os.getloadavg() if hasattr(os, 'getloadavg') else 'n/a'}")
    print(f"versions     : {', '.join(f'{k} {v}' for k, v in versions.items())}")
    print(f"mode         : {'quick' if args.quick else 'full'}")
    print(f"started      : {time.strftime('%Y-%m-%d %H:%M:%S')}")
    report = {
        "command": [sys.executable] + sys.argv, "cwd": os.getcwd(), "root": ROOT,
        "python": platform.python_version(), "platform": platform.platform(),
        "cpu_count": os.cpu_count(), "loadavg_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "versions": versions, "quick": args.quick,
        "targets": {"startup_ratio_max": STARTUP_TARGET_RATIO, "equivalence_p95_ms_max": EQUIV_TARGET_P95_MS},
    }

    # 1 ------------------------------------------------------------------
    print()
    print(f"1. Startup ({startup_reps} interleaved runs each, after 2 uncounted warm-up runs)")
    print("-" * 78)
    st = bench_startup(startup_reps)
    report["startup"] = st
    print(f"  baseline   {st['commands']['baseline']}")
    print(f"             median {st['baseline_median_ms']:7.1f} ms   min {st['baseline_min_ms']:7.1f} ms")
    for name, r in st["targets"].items():
        print(f"  {name}")
        print(f"             {st['commands'][name]}")
        print(f"             median {r['median_ms']:7.1f} ms   min {r['min_ms']:7.1f} ms")
        print(f"             ratio of medians {r['ratio_of_medians']:.2f}  (median paired ratio "
              f"{r['median_paired_ratio']:.2f}, ratio of minimums {r['ratio_of_minimums']:.2f})"
              f"   target <= {STARTUP_TARGET_RATIO}: {_pf(r['pass'])}")
    if not st["console_script"]:
        print("  tutor console script: not on PATH (not measured)")
    for name, msg in st["failures"].items():
        print(f"  !! {name} failed: {msg}")
    light = check_light_import()
    report["light_import"] = light
    if "modules" in light:
        mods = light["modules"]
        print("  import tutor.cli + main(['--help'], standalone_mode=False) in a subprocess:")
        print(f"             tutor from {light['tutor_file']}")
        print(f"             torch loaded: {mods['torch']}   sympy loaded: {mods['sympy']}   "
              f"(numpy: {mods['numpy']}, mpmath: {mods['mpmath']})   help chars: {light['help_chars']}")
        if light.get("error"):
            print(f"             error: {light['error']}")
    else:
        print(f"  import probe: {light.get('error')}")
    print(f"             no torch/sympy on --help: {_pf(light['ok'])}")

    # 2 ------------------------------------------------------------------
    print()
    print(f"2. Equivalence verdict latency ({len(CORPUS)} pairs x {rounds} rounds, warmed up)")
    print("-" * 78)
    eq = bench_equivalence(rounds)
    report["equivalence"] = eq
    print(f"  warm-up    first call {eq['warmup_first_ms']:.1f} ms (imports, worker fork), "
          f"second {eq['warmup_second_ms']:.1f} ms")
    print(f"  all calls  n={eq['calls']}  median {eq['median_ms']:.1f} ms  p95 {eq['p95_ms']:.1f} ms  "
          f"max {eq['max_ms']:.1f} ms  mean {eq['mean_ms']:.1f} ms")
    for r in eq["per_round"]:
        print(f"  round {r['round']}    median {r['median_ms']:6.1f} ms  p95 {r['p95_ms']:7.1f} ms  "
              f"max {r['max_ms']:7.1f} ms  total {r['total_ms']:7.0f} ms")
    print("  by method  " + "; ".join(f"{k}: n={v['calls']} median {v['median_ms']:.1f} ms p95 {v['p95_ms']:.1f} ms"
                                        for k, v in sorted(eq["by_method"].items())))
    print(f"  verdicts (per round of {len(CORPUS)}): "
          + ", ".join(f"{k} {v}" for k, v in sorted(eq["verdict_counts_per_round"].items())))
    print(f"  p95 target <= {EQUIV_TARGET_P95_MS:g} ms: {_pf(eq['pass'])}   "
          f"(first round p95 {eq['p95_first_round_ms']:.1f} ms"
          + (f", later rounds p95 {eq['p95_later_rounds_ms']:.1f} ms)" if eq["p95_later_rounds_ms"] is not None
             else ")"))
    print("  slowest 5 pairs (max over rounds / first round / median):")
    for p in eq["slowest"]:
        print(f"    {p['max_ms']:7.1f} / {p['first_round_ms']:7.1f} / {p['median_ms']:7.1f} ms  "
              f"{p['verdict']:<14} [{p['method']}]  {p['reference']!r} vs {p['answer']!r}")
    if eq["unexpected"]:
        print("  verdicts differing from the corpus label (information, not a gate):")
        for p in eq["unexpected"]:
            print(f"    expected {p['expected']}, got {'/'.join(p['verdicts_seen'])} [{p['method']}]: "
                  f"{p['reference']!r} vs {p['answer']!r}")

    # 3 ------------------------------------------------------------------
    print()
    print(f"3. Gradient engine (tutor.engines.gradients.compute, {grad_reps} runs each after warm-up; information)")
    print("-" * 78)
    gr = bench_gradients(grad_reps)
    report["gradients"] = gr
    print(f"  warm-up call (imports torch/numpy/sympy): {gr['warmup_ms']:.0f} ms")
    for c in gr["calls"]:
        extra = f"error: {c['error']}" if c["error"] else f"agree={c['agree']}"
        grad = f" --gradient {c['gradient']}" if c["gradient"] else ""
        print(f"  median {c['median_ms']:7.1f} ms  (min {c['min_ms']:6.1f}, max {c['max_ms']:6.1f})  "
              f"{c['expression']!r} --at {' --at '.join(c['at'])}{grad}  {extra}")

    # summary -----------------------------------------------------------
    print()
    print("Summary")
    print("-" * 78)
    for name, r in st["targets"].items():
        print(f"  {_pf(r['pass'])}  startup ratio {name}: {r['ratio_of_medians']:.2f} (<= {STARTUP_TARGET_RATIO})")
    print(f"  {_pf(light['ok'])}  --help loads neither torch nor sympy")
    print(f"  {_pf(eq['pass'])}  equivalence p95 {eq['p95_ms']:.1f} ms (<= {EQUIV_TARGET_P95_MS:g} ms)")
    report["loadavg_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    print(f"  load avg at end: {report['loadavg_end']}")

    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2, default=str)
        print(f"  JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
