"""``tutor trace``: run a training script in the sandbox and explain its accumulation and zeroing mistakes."""
from __future__ import annotations

import json
from pathlib import Path

from ..features.grading.trace import analyse, run_script, short, svg_plot
from ..foundation.i18n import _
from ..foundation.outcome import EXIT_INVALID, EXIT_OK, Outcome


def main(*, script: str, as_json: bool = False, plot: str | None = None, timeout: float = 60.0) -> Outcome:
    """Exit status: 0 traced, 2 the script could not run."""
    path = Path(script)
    if not path.is_file():
        return Outcome(stderr=_("error: no such script: {path}").format(path=script), exit_code=EXIT_INVALID,
                       code="trace.no-script")
    report = run_script(path, timeout=timeout)
    if report.get("status") != "ok" or "trace" not in report:
        why = {"timeout": _("it ran past the time limit")}.get(report.get("status", ""),
                                                               _("it stopped without a trace"))
        return Outcome(stderr=_("error: the script could not be traced: {why}").format(why=why),
                       exit_code=EXIT_INVALID, code="trace.failed")
    result = analyse(report["trace"])
    if report.get("script_error"):
        result["script_error"] = report["script_error"]
    if plot:
        corrected = run_script(path, corrected=True, timeout=timeout)
        fixed = analyse(corrected.get("trace", {})) if corrected.get("status") == "ok" else {"losses": []}
        series = {_("your loop"): result["losses"], _("with zeroing before backward"): fixed["losses"]}
        Path(plot).parent.mkdir(parents=True, exist_ok=True)
        Path(plot).write_text(svg_plot(series, _("loss per backward call")), encoding="utf-8")
        result["corrected_parameters"] = fixed.get("parameters")
    if as_json:
        return Outcome(stdout=json.dumps(result, indent=2), exit_code=EXIT_OK)
    lines = [_("{n} backward calls over {s} steps.").format(n=result["backward_calls"], s=result["steps"])]
    lines += [("• " if f["id"] != "accumulation.deliberate" else "ℹ ") + f["message"] for f in result["findings"]]
    if not result["findings"]:
        lines.append(_("No accumulation or zeroing mistake found."))
    if result.get("script_error"):
        lines.append(_("The script stopped with {error}.").format(error=result["script_error"]))
    lines.append(_("Final parameters: {params}").format(
        params=", ".join(f"{k} = {short(v)}" for k, v in result["parameters"].items())))
    if plot:
        lines.append(_("Plot: {path}").format(path=plot))
    return Outcome(stdout="\n".join(lines), exit_code=EXIT_OK)
