"""The instructor's commands: check, sheet, grade, trace, export."""
from __future__ import annotations

import click

from ..foundation.i18n import _
from . import main
from .base import KIND_CHOICE, TOPIC_CHOICE, _bank_dir, _bar, _color, _emit, bank_option


@main.command(name="check")
@bank_option
@click.option("--seeds", type=click.IntRange(1, 200), default=5, show_default=True, metavar="N",
              help=_("Variants verified per exercise."))
@click.option("--solutions", type=click.Path(file_okay=False), metavar="DIR",
              help=_("Where the completed stubs are (default: ../solutions next to the bank)."))
@click.option("--json", "as_json", is_flag=True, help=_("Print one JSON report."))
def check_command(seeds: int, solutions: str | None, as_json: bool) -> None:
    """Validate and verify an exercise bank.

    \b
    For every exercise and seed: the format; sympy = torch = finite differences
    (derive); the answer computed with sympy = what the rendered program prints,
    and the graph the quiz draws = torch's (predict); the key graded back and
    each fix shown run in torch; explanations and hints in the variant's own
    numbers; misconception answers distinct from the right one and each
    other; every code stub fails and every solution passes.
    Exit status: 0 all good, 1 a problem (file and reason are printed).
    """
    from ..engines.runner import prestart

    prestart(warm=True)         # torch loads in the worker while the rest of the tutor does
    from ..commands.check import main as run

    _emit(run(directory=_bank_dir(), seeds=seeds, solutions=solutions, as_json=as_json, color=_color(),
              progress=_bar(_("checking"), not as_json)))

@main.command(name="sheet")
@bank_option
@click.option("--topic", "topics", multiple=True, type=TOPIC_CHOICE, help=_("Only this topic (repeatable)."))
@click.option("--exercise", "ids", multiple=True, metavar="ID", help=_("Only this exercise (repeatable)."))
@click.option("--kind", "kinds", multiple=True, type=KIND_CHOICE, help=_("Only this kind (repeatable)."))
@click.option("--count", type=click.IntRange(1, 1000), metavar="N",
              help=_("Questions on the sheet (default: every match)."))
@click.option("--seed", type=int, metavar="S", help=_("Seed of the variants: the same seed gives the same bytes."))
@click.option("--format", "fmt", type=click.Choice(["md", "html", "tex", "ipynb", "json", "pdf"]),
              help=_("Output format (default: from -o, else md)."))
@click.option("-o", "--output", metavar="FILE", help=_("Write the sheet here (default: standard output)."))
@click.option("--answers", metavar="FILE", help=_("Write the answer key here (default with -o: FILE-key)."))
@click.option("--students", metavar="roster.csv", help=_("One personal variant per student (columns id[, name])."))
@click.option("--manifest", metavar="FILE", help=_("Where to write the students' manifest for tutor grade."))
@click.option("--title", default="", help=_("The sheet's title."))
@click.option("--secret", envvar="TUTOR_SHEET_SECRET", metavar="TEXT",
              help=_("Derive the variants and their tokens from this secret (never written anywhere): the same "
                     "seed and secret give the same sheets. Without it, sheets for a roster or a manifest use a "
                     "secret kept for you in the tutor's data folder, and a practice sheet derives from the seed "
                     "alone. Prefer the variable TUTOR_SHEET_SECRET."))
@click.option("--self-check", is_flag=True,
              help=_("ipynb practice sheets: a cell after each answer that checks it with the tutor in the notebook "
                     "(it names each question's variant, so not for marked sheets)."))
@click.option("--preview", "previews", multiple=True, metavar="ID",
              help=_("Write no sheet: say how many distinct variants this exercise has, with examples "
                     "(repeatable; with --format json, as JSON)."))
def sheet_cmd(topics: tuple[str, ...], ids: tuple[str, ...], kinds: tuple[str, ...], count: int | None,
              seed: int | None, fmt: str | None, output: str | None, answers: str | None, students: str | None,
              manifest: str | None, title: str, secret: str | None, self_check: bool,
              previews: tuple[str, ...]) -> None:
    """Generate an exercise sheet with seeded variants and a separate answer key.

    \b
    The key gives the right answers and, for predict and code questions, the
    common wrong answers with the mistake each reveals; a code question's key
    shows the reference solution.  A student's sheet names each question's
    variant by an opaque token, never by exercise id and seed; the key and the
    manifest map the tokens; with a roster, a question on which students
    share a variant is warned about (--preview ID counts an exercise's
    variants).
    Formats: md and tex (LaTeX math), html (self-contained, offline, printable),
    ipynb (one answer cell per question), json, and pdf when a TeX engine is
    installed.  Exit status: 0 done, 1 the TeX engine failed, 2 invalid input.
    """
    if previews:
        from ..commands.sheet import preview_main

        _emit(preview_main(directory=_bank_dir(), ids=previews, as_json=fmt == "json"))
        return
    from ..commands.sheet import main as run

    _emit(run(directory=_bank_dir(), topics=topics, ids=ids, kinds=kinds, count=count, seed=seed, fmt=fmt,
              output=output, answers=answers, students=students, manifest=manifest, title=title, secret=secret,
              self_check=self_check))

@main.command(name="grade")
@bank_option
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--exercise", metavar="ID", help=_("Grade every file as this code exercise."))
@click.option("--manifest", metavar="FILE", help=_("The students' manifest from tutor sheet --students."))
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "gradescope", "junit"]), default="json",
              show_default=True, help=_("Report format."))
@click.option("-o", "--output", metavar="OUT", help=_("Write the report here (atomically); resumable."))
@click.option("--jobs", type=click.IntRange(1, 16), default=1, show_default=True, metavar="N",
              help=_("Parallel workers."))
@click.option("--timeout", type=click.FloatRange(0.5, 600), default=10.0, show_default=True, metavar="S",
              help=_("Seconds per submission."))
@click.option("--seed", type=click.IntRange(0), default=None, metavar="S",
              help=_("Draw the same inputs for everyone from this seed (default: a seed drawn at random for "
                     "this run)."))
@click.option("--secret", envvar="TUTOR_GRADING_SECRET", metavar="TEXT",
              help=_("Draw inputs per student from this secret (reproducible regrades; never written anywhere). "
                     "Prefer the variable TUTOR_GRADING_SECRET: a command line is visible to other users."))
@click.option("--assignment", metavar="FILE", type=click.Path(exists=True, dir_okay=False),
              help=_("assignment.toml: the exercises, their points, hidden tests (docs/assignments.md)."))
@click.option("--roster", metavar="FILE", type=click.Path(exists=True, dir_okay=False),
              help=_("A class list (CSV with id and name): every student gets a line, names go in the CSV."))
@click.option("--isolation", type=click.Choice(["full", "container"]), default="full", show_default=True,
              help=_("full: the bubblewrap sandbox, or refuse to grade; container: only inside a "
                     "per-submission container (Gradescope), as root: code runs as another user."))
def grade_cmd(paths: tuple[str, ...], exercise: str | None, manifest: str | None, fmt: str, output: str | None,
              jobs: int, timeout: float, seed: int | None, secret: str | None, assignment: str | None,
              roster: str | None, isolation: str) -> None:
    """Auto-grade code submissions in a sandbox, with misconception feedback.

    \b
    PATH is a file named after a code exercise (its id or its stub's name),
    or a folder: one sub-folder per student, each holding such files.
    Links are never followed.  Each submission runs in a fresh process of a
    preloaded worker inside bubblewrap (own namespaces, read-only root with
    only Python, private /tmp, no capabilities, syscall filter, limits); a
    probe checks the isolation first, else nothing is graded.  The grader
    draws inputs and computes references itself.
    Exit status: 0 graded, 2 invalid input or no sandbox.
    """
    from ..commands.grade import main as run

    _emit(run(paths=list(paths), directory=_bank_dir(), exercise=exercise, manifest=manifest, fmt=fmt, output=output,
              jobs=jobs, timeout=timeout, seed=seed, secret=secret, isolation=isolation, assignment=assignment,
              roster=roster, progress=_bar(_("grading"), True)), quick_exit=True)

@main.command(name="trace")
@click.argument("script", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True,
              help=_("Print {backward_calls, findings: [{id, message}], parameters, losses}."))
@click.option("--plot", metavar="FILE", help=_("Draw the loss per backward call beside the corrected loop's "
                                               "(FILE.svg, .png or .pdf; needs matplotlib)."))
@click.option("--timeout", type=click.FloatRange(1, 600), default=60.0, show_default=True, metavar="S",
              help=_("Seconds the script may run."))
def trace_cmd(script: str, as_json: bool, plot: str | None, timeout: float) -> None:
    """Run a training script (sandboxed) and explain its accumulation and zeroing mistakes.

    \b
    Records every backward call, each leaf's .grad before and after it,
    zeroing and update events, and the final parameters (named as the script
    names them: w, model.weight); says at which step which gradient carried
    over or was thrown away; recognises deliberate gradient accumulation.
    The script runs in the grading sandbox; each event leaves it as it
    happens.  What it prints is shown.  Exit status: 0 no mistake, 1 a mistake
    found or the script stopped early, 2 the script could not run.
    """
    from ..commands.trace import main as run

    _emit(run(script=script, as_json=as_json, plot=plot, timeout=timeout))

@main.group(name="export")
def export_group() -> None:
    """Export the grader for other platforms."""


@export_group.command(name="gradescope")
@bank_option
@click.option("-o", "--output", default="autograder.zip", show_default=True, metavar="FILE",
              help=_("The zip to write."))
@click.option("--assignment", metavar="FILE", required=True, type=click.Path(exists=True, dir_okay=False),
              help=_("The assignment it grades: exercises, points, hidden tests (docs/assignments.md)."))
@click.option("--timeout", type=click.FloatRange(0.5, 600), default=20.0, show_default=True, metavar="S",
              help=_("Seconds per submission on Gradescope."))
def export_gradescope_cmd(output: str, assignment: str, timeout: float) -> None:
    """Write autograder.zip: setup.sh, run_autograder, the package, the bank, the assignment.

    \b
    Upload it as a Gradescope programming assignment's autograder; each
    submission is graded by tutor grade --assignment ... --format gradescope
    --isolation container, with this bank and the versions pinned here (torch
    from PyTorch's CPU index). Python 3.10 or newer.
    Exit status: 0 written, 2 invalid bank or assignment.
    """
    from ..commands.export import gradescope as run

    _emit(run(output=output, directory=_bank_dir(), timeout=timeout, assignment=assignment))


for _command in (check_command, sheet_cmd, grade_cmd, trace_cmd, export_group):
    _command.section = "teach"  # type: ignore[attr-defined]   # (tutor --help: the instructor's section)
