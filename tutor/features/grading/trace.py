"""``tutor trace``: watch a learner's training loop and explain its gradient mistakes.

The script runs in the grading sandbox (:mod:`tutor.engines.runner`) with
torch instrumented, each event sent to the parent as it happens: every
``backward()`` records each leaf's ``.grad`` before and after it and the
loss; ``.grad.zero_()``, ``optimizer.zero_grad()``, ``optimizer.step()`` and
in-place updates of leaves are recorded as events.
The parent reads the events and finds, step by step, where a gradient carried
over into an update (accumulation) and where a zeroing threw a fresh gradient
away before the update used it, telling deliberate accumulation (several
backward calls per update, zeroed after each update) apart.  With
``corrected`` the same script runs again with the zeroing done right, for the
plot of both loss curves.
"""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import _
from ...foundation.term import fmt_number
from ...foundation.text import clean, clean_name, decode_source

# the tracer runs inside the traced script's process: its text is sent with the job (never imported here)
TRACER = (Path(__file__).with_name("_tracer.py")).read_text(encoding="utf-8")


def run_script(path: str | Path, *, corrected: bool = False, timeout: float = 60.0,
               hide: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run a training script in the sandbox under the tracer.

    Each event leaves the script's process as it happens, on the job's channel, so nothing the script
    does later can take it back.  Returns {"status", "events", "end" (the tracer's last words, or None),
    "output", "isolation"}.
    """
    import math

    from ...engines.runner import Limits, Pool, WorkerError
    from ...foundation.paths import default_bank_dir
    from .code import check_isolation, hidden_paths
    from .sandbox_pool import no_sandbox
    from .submissions import Unreadable, read_source

    try:
        source = decode_source(read_source(Path(path), 1 << 20))
    except Unreadable as exc:
        raise TutorError(_("cannot read {path}: {why}").format(path=path, why=exc), code="trace.no-script") from None
    pool = None
    try:
        pool = Pool(1, "sandbox", Limits(wall=timeout, cpu=max(1, math.ceil(timeout)), memory_mb=2048))
        isolation = check_isolation(pool, hidden_paths(default_bank_dir(), [Path(path).resolve().parent, *hide]))
        token = secrets.token_hex(16)
        run = pool.run({"mode": "trace", "source": source, "tracer": TRACER, "filename": Path(path).name,
                        "options": {"corrected": corrected, "token": token}}, max_bytes=32 << 20)
    except WorkerError as exc:
        raise no_sandbox(str(exc)) from None
    finally:
        if pool is not None:
            pool.close()
    # only what the tracer sent counts (it signs with the run's token); the script may write on the channel too
    events = [m for m in run.messages if m.get("t") == "event" and m.get("k") == token]
    # the runner's own ending comes last (an ending the script forged earlier does not count)
    end = next((m for m in reversed(run.messages) if m.get("t") == "end" and m.get("k") == token), None)
    forged = len(run.messages) - len(events) - (1 if end else 0)       # lines the tracer did not send
    numbers = [m.get("n") for m in events]
    if end is not None and (end.get("tampered") is True or forged or end.get("events") != len(events)
                            or numbers != list(range(1, len(events) + 1))):
        end["tampered"] = True
    return {"status": run.status, "events": events, "end": end, "problem": run.problem, "forged": forged,
            "output": clean(end.get("output", ""), 8000) if end else "", "isolation": isolation}


def analyse(trace: dict[str, Any]) -> dict[str, Any]:
    """Findings from the recorded events: which step, which tensor, what carried over."""
    events = _valid(trace.get("events", []))
    backward = [e for e in events if e["event"] == "backward"]
    steps = _steps(events)
    per_step = [len(s["backward"]) for s in steps if s["updates"]]
    deliberate = len(per_step) > 1 and min(per_step) > 1 and len(set(per_step[:-1])) == 1
    findings = _findings(steps, deliberate)
    if deliberate:
        findings.append({"id": "accumulation.deliberate", "step": None, "tensor": None,
                         "message": _("Gradients are accumulated over {k} backward calls per update and zeroed "
                                      "after each update: deliberate gradient accumulation, not a mistake.").format(
                             k=per_step[0])})
    losses = [float(e["loss"]) for e in backward if isinstance(e.get("loss"), (int, float))]
    end = trace.get("end") or {}
    params: dict[str, Any] = end["parameters"] if isinstance(end.get("parameters"), dict) else {}
    return {"backward_calls": len(backward), "findings": findings,
            "parameters": {clean_name(k, 60): v for k, v in params.items()},
            "losses": losses, "steps": len(steps)}


def _valid(events: list[Any]) -> list[dict[str, Any]]:
    """The events with the fields the analysis reads, names cleaned (the script could have sent others)."""
    out = []
    for e in events:
        if not isinstance(e, dict) or e.get("event") not in ("backward", "zero", "zero_grad", "update"):
            continue
        e = dict(e)
        if e["event"] in ("zero", "update"):
            if not isinstance(e.get("tensor"), str):
                continue
            e["tensor"] = clean_name(e["tensor"], 60)
        if e["event"] == "backward":
            before, carried = e.get("before"), e.get("carried")
            if not isinstance(before, dict) or not isinstance(carried, dict):
                continue
            e["before"] = {clean_name(k, 60): v for k, v in before.items()}
            e["carried"] = {clean_name(k, 60): bool(v) for k, v in carried.items()}
        out.append(e)
    return out


def _new_step() -> dict[str, Any]:
    return {"backward": [], "zero_before": set(), "zero_after": set(), "updates": set(), "cleared": set()}


def _steps(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events grouped into steps: a step ends with the updates that follow backward calls."""
    steps, current = [], _new_step()
    for e in events:
        kind = e["event"]
        if kind in ("backward", "zero", "zero_grad") and current["updates"]:
            steps.append(current)
            current = _new_step()
        if kind == "backward":
            current["backward"].append(e)
        elif kind in ("zero", "zero_grad"):
            target = {e["tensor"]} if kind == "zero" else {"*"}
            (current["zero_after"] if current["backward"] else current["zero_before"]).update(target)
        elif kind == "update":
            current["updates"].add(e["tensor"])
            if e.get("cleared") is True:
                current["cleared"].add(e["tensor"])
    if current["backward"] or current["updates"]:
        steps.append(current)
    return steps


def _findings(steps: list[dict[str, Any]], deliberate: bool) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = []
    reported: set[tuple[str, str]] = set()
    for number, s in enumerate(steps, start=1):
        if not s["backward"]:
            continue
        first = s["backward"][0]
        for name, before in first["before"].items():
            carried = first["carried"].get(name, False)
            if carried and number > 1 and not deliberate and ("accumulation", name) not in reported:
                reported.add(("accumulation", name))
                findings.append({
                    "id": "accumulation.no-zero", "step": number, "tensor": name, "held": before,
                    "message": _("Step {step}: before backward(), {name}.grad still held {before} from the earlier "
                                 "steps, so backward() added to it and the update used the running sum. Zero it "
                                 "before each backward: opt.zero_grad() or {name}.grad.zero_().").format(
                        step=number, name=name, before=short(before))})
            zeroed = name in s["zero_after"] or "*" in s["zero_after"] or name in s["cleared"]
            if zeroed and s["updates"] and ("placement", name) not in reported:
                reported.add(("placement", name))
                findings.append({
                    "id": "zeroing.after-backward", "step": number, "tensor": name,
                    "message": _("Step {step}: {name}.grad was zeroed after backward() and before the update, so "
                                 "the update used a zero (or None) gradient and {name} did not move. Zero before "
                                 "backward, or after the update.").format(step=number, name=name)})
    return findings


def short(v: Any) -> str:
    """A value briefly: 3.7, or the first four elements of a list."""
    if isinstance(v, dict):
        first: list[Any] = v["first"] if isinstance(v.get("first"), list) else []
        return "[" + ", ".join(fmt_number(x) for x in first[:4]) + ", ...]"
    if isinstance(v, list):
        return "[" + ", ".join(fmt_number(x) for x in v[:4]) + (", ..." if len(v) > 4 else "") + "]"
    if isinstance(v, (int, float)):
        return fmt_number(v)
    return "?"


PLOT_FORMATS = (".svg", ".png", ".pdf")


def plot_losses(series: dict[str, list[float]], title: str, path: Path) -> None:
    """Both loss curves, drawn with matplotlib (the ``plot`` extra): x is the backward call, with whole-number
    ticks; the format follows the file's suffix (svg keeps its text as text)."""
    if path.suffix.lower() not in PLOT_FORMATS:
        raise TutorError(_("--plot writes {formats}: give the file one of those suffixes").format(
            formats=", ".join(PLOT_FORMATS)), code="trace.plot-format")
    try:
        import matplotlib
    except ImportError:
        raise TutorError(_("--plot draws with matplotlib, which is not installed: {command}").format(
            command="pip install 'autograd-tutor[plot]'"), code="trace.no-matplotlib") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "tutor"}):
        fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
        try:
            for label, losses in series.items():
                ax.plot(range(1, len(losses) + 1), losses, marker="o", markersize=3, linewidth=1.5, label=label)
            ax.set_title(title)
            ax.set_xlabel(_("backward call"))
            ax.set_ylabel(_("loss"))
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            fig.legend(loc="outside lower center", ncols=len(series), frameon=False)   # never over a curve
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, metadata={"Date": None} if path.suffix.lower() == ".svg" else None)
        finally:
            plt.close(fig)
