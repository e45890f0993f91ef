"""The long differential run: many generated programs, the exact answer against real torch.

    python scripts/differential.py --scenarios 10000 --expressions 2000 --seed 0

Scenarios (simulated exactly by ``tutor.engines.scenario.simulate``, run in torch) and expressions
(sympy, torch and finite differences through ``tutor.engines.gradients``) come from the generators that
``tests/test_differential.py`` draws from with hypothesis (``tests/differential_cases.py``); torch runs in
the shared trusted worker, a batch of programs per job.  Prints how many cases of each kind agreed, the
ones where floats cannot show the exact answer (float32 rounding, float range, a saturated gradient, an
ill-conditioned program, a kink hit exactly) and every disagreement, the first ones shrunk to a minimal
program.  Exit status 1 on any disagreement, else 0.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

import differential_cases as dc  # noqa: E402  (after the path: it lives beside the tests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=1000, help="generated scenarios (default 1000)")
    parser.add_argument("--expressions", type=int, default=200, help="generated expressions (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=500, help="cases simulated, then run in torch, at a time")
    parser.add_argument("--shrink", type=int, default=3, help="disagreements shrunk to a minimal program (each kind)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    bad = scenarios(args) + expressions(args)
    print(f"\nelapsed: {time.monotonic() - started:.1f} s")
    return 1 if bad else 0


def scenarios(args: argparse.Namespace) -> int:
    if args.scenarios <= 0:
        return 0
    specs = dc.scenario_specs(args.scenarios, args.seed)
    verdicts: Counter[str] = Counter()
    found: dict[str, list[dc.ScenarioCheck]] = {dc.DISAGREE: []}
    raised = asks = 0
    t0 = time.monotonic()
    for start in range(0, len(specs), args.batch):
        for check in dc.check_scenarios(specs[start:start + args.batch]):
            verdicts[check.verdict] += 1
            asks += len(check.asks)
            raised += check.crash is None and check.expected[0].kind == "error"
            if check.verdict in found:
                found[check.verdict].append(check)
        done = min(start + args.batch, len(specs))
        print(f"  scenarios {done}/{len(specs)}  {time.monotonic() - t0:.0f} s  "
              f"disagreements so far: {len(found[dc.DISAGREE])}", file=sys.stderr, flush=True)
    print(f"scenarios: {len(specs)} (seed {args.seed}), {asks} values compared, {raised} programs raise; "
          f"{time.monotonic() - t0:.1f} s")
    for verdict, n in verdicts.most_common():
        print(f"  {verdict:<22} {n}")
    for verdict, checks in found.items():
        if not checks:
            continue
        print(f"\nDISAGREEMENTS: {len(checks)}")
        for check in checks[:args.shrink]:
            smallest = dc.shrink_scenario(check.spec, lambda cands, v=verdict: [
                c.verdict == v for c in dc.check_scenarios(cands)])
            print("\n--- minimal program:")
            print(dc.check_scenarios([smallest])[0].describe())
        for check in checks[args.shrink:args.shrink + 10]:
            print(f"--- also: {check.spec!r}")
        if len(checks) > args.shrink + 10:
            print(f"--- and {len(checks) - args.shrink - 10} more")
    return len(found[dc.DISAGREE])


def expressions(args: argparse.Namespace) -> int:
    if args.expressions <= 0:
        return 0
    cases = dc.expression_cases(args.expressions, args.seed)
    t0 = time.monotonic()
    checks: list[dc.ExpressionCheck] = []
    for start in range(0, len(cases), args.batch):
        checks += dc.check_expressions(cases[start:start + args.batch])
        print(f"  expressions {len(checks)}/{len(cases)}  {time.monotonic() - t0:.0f} s", file=sys.stderr,
              flush=True)
    verdicts = Counter(c.verdict for c in checks)
    print(f"\nexpressions: {len(cases)} (seed {args.seed}); {time.monotonic() - t0:.1f} s")
    for verdict, n in verdicts.most_common():
        print(f"  {verdict:<60} {n}")
    bad = [c for c in checks if c.verdict == dc.DISAGREE]
    if bad:
        print(f"\nDISAGREEMENTS: {len(bad)}")
        for check in bad:
            print(check.describe())
    return len(bad)


if __name__ == "__main__":
    sys.exit(main())
