"""Benchmark: quiz answer-to-feedback latency on derive and predict questions.

Run from the repository root:  python benchmarks/bench_quiz.py [--rounds N]

Measures what happens between the learner pressing Enter and the feedback
being ready: grading (equivalence or the scenario comparison), misconception
classification, the explanation and the accumulation table, with a throwaway
SQLite store saving each answer as the real quiz does.  sympy, torch and the
symbolic worker are warmed up first (the quiz pays that once per session).
Target: p95 at most 100 ms.  A fixed baseline workload measured in the same run
gives the ratio.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--exercises", default=str(ROOT / "exercises"))
    args = parser.parse_args()

    from bench_bank import baseline  # noqa: E402  (same folder)

    from tutor import bank
    from tutor.features.quiz import Options, ask
    from tutor.features.quiz.store import Store

    exercises = [ex for ex in bank.load(args.exercises) if ex.kind in ("derive", "predict")]
    store = Store(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    session = store.open_session("bench", {}, lambda: [], fresh=True).id
    cases = []
    for ex in exercises:
        for seed in range(2):
            v = bank.variant(ex, seed)
            right = bank.expected_text(v)
            if ex.kind == "derive":
                from tutor.mathlang.sym import to_text

                answers = [to_text(e) for e in v.answer.values()]
                right = "; ".join(answers)
                wrong = [to_text(c.answer) for c in v.candidates if len(v.answer) == 1][:3] + ["x^7 + 1"]
            else:
                wrong = [c.answer.text() for c in v.candidates][:3] + ["123.456"]
            cases += [(v, right)] + [(v, w) for w in wrong]
    unit = baseline()
    # warm up: sympy's lazy imports, the symbolic worker, torch
    for v, text in cases[:10]:
        bank.grade(v, text)
    timings = {"derive": [], "predict": []}
    position = 0
    for _round in range(args.rounds):
        for v, text in cases:
            answers = iter([text])
            start = time.perf_counter()
            ask(v, position, Options(attempts=1), lambda _p, a=answers: next(a, None), lambda _e: None, store,
                session)
            timings[v.exercise.kind].append(time.perf_counter() - start)
            position += 1
    print(f"command : {' '.join([sys.executable] + sys.argv)}")
    print(f"bank    : {args.exercises} ({len(exercises)} derive/predict exercises, {len(cases)} answers x "
          f"{args.rounds} rounds)")
    print(f"baseline: {unit * 1e3:.3f} ms per unit (sympy diff + torch backward)")
    for kind, values in timings.items():
        if not values:
            continue
        values.sort()
        p95 = values[int(0.95 * (len(values) - 1))]
        med = statistics.median(values)
        verdict = "PASS" if p95 <= 0.100 else "FAIL"
        print(f"{kind:8}: n={len(values)}  median {med * 1e3:.1f} ms  p95 {p95 * 1e3:.1f} ms  "
              f"max {values[-1] * 1e3:.1f} ms  (p95 = {p95 / unit:.0f} baseline units)  "
              f"target p95 <= 100 ms: {verdict}")


if __name__ == "__main__":
    main()
