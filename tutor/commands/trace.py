"""``tutor trace``: run a training script in the sandbox and explain its accumulation and zeroing mistakes."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..features.grading.trace import analyse, plot_losses, run_script, short
from ..foundation.errors import TutorError
from ..foundation.i18n import _
from ..foundation.outcome import EXIT_INVALID, EXIT_OK, Outcome, invalid

EXIT_FOUND = 1          # a mistake was found, or the script stopped early


def main(*, script: str, as_json: bool = False, plot: str | None = None, timeout: float = 60.0) -> Outcome:
    """Exit status: 0 traced and clean, 1 a mistake found or the script stopped early, 2 it could not run."""
    path = Path(script)
    if not path.is_file():
        return Outcome(stderr=_("error: no such script: {path}").format(path=script), exit_code=EXIT_INVALID,
                       code="trace.no-script")
    try:
        run = run_script(path, timeout=timeout)
        if run["status"] == "worker-failed":
            return Outcome(stderr=_("error: the script could not be traced: {why}").format(
                why=run["problem"] or _("the sandbox failed")), exit_code=EXIT_INVALID, code="trace.failed")
        result = analyse(run)
        result["output"] = run["output"]
        result["isolation"] = run["isolation"]
        stopped = _stopped(run, timeout)
        if stopped:
            result["stopped"] = stopped
        if plot:
            corrected = run_script(path, corrected=True, timeout=timeout)
            fixed = analyse(corrected)
            series = {_("your loop"): result["losses"], _("with zeroing before backward"): fixed["losses"]}
            plot_losses(series, _("loss per backward call"), Path(plot))
            result["corrected_parameters"] = fixed.get("parameters")
    except TutorError as exc:
        return invalid(exc)
    mistakes = [f for f in result["findings"] if f["id"] != "accumulation.deliberate"]
    code = EXIT_FOUND if mistakes or stopped else EXIT_OK
    if as_json:
        return Outcome(stdout=json.dumps(result, indent=2), exit_code=code)
    return Outcome(stdout="\n".join(_lines(result, plot)), exit_code=code)


def _stopped(run: dict[str, Any], timeout: float) -> str | None:
    """Why the script did not run to its end (None: it did)."""
    end = run.get("end") or {}
    if run["status"] == "timeout":
        return _("it ran past the time limit ({s:g} s) and was stopped").format(s=timeout)
    if end.get("script_error"):
        return _("it stopped with {error}").format(error=end["script_error"])
    if not end:
        return _("it ended without finishing (exit, a crash or too much output)")
    if end.get("tampered"):
        return _("it replaced the tracer's hooks or wrote on its channel, so the trace may be incomplete")
    return None


def _lines(result: dict[str, Any], plot: str | None) -> list[str]:
    lines = []
    if result.get("output"):
        lines += [_("The script printed:"), *("  " + line for line in result["output"].rstrip("\n").splitlines()), ""]
    lines.append(_("{n} backward calls over {s} steps.").format(n=result["backward_calls"], s=result["steps"]))
    lines += [("• " if f["id"] != "accumulation.deliberate" else "ℹ ") + f["message"] for f in result["findings"]]
    if not result["findings"]:
        lines.append(_("No accumulation or zeroing mistake found."))
    if result.get("stopped"):
        lines.append(_("The script did not finish: {why}.").format(why=result["stopped"]))
    if result["parameters"]:
        lines.append(_("Final parameters: {params}").format(
            params=", ".join(f"{k} = {short(v)}" for k, v in result["parameters"].items())))
    if plot:
        lines.append(_("Plot: {path}").format(path=plot))
    return lines
