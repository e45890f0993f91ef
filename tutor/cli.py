"""The ``tutor`` command line (layer 7): click options, then one call into :mod:`tutor.commands`.

Nothing heavy is imported here: torch and sympy load inside the commands that
need them, so ``tutor --help`` starts instantly.  The only module of the
package that imports click.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .foundation.i18n import _

if TYPE_CHECKING:
    from .foundation.outcome import Outcome


def math_help() -> str:
    from .mathlang.functions import help_line

    return _("Math is typed as on a calculator: + - * / and ^ (or **) for powers; 2x, x y and 2(x+1) multiply; "
             "constants pi and e; functions: {functions}.").format(functions=help_line())


class MathCommand(click.Command):
    """A command whose help ends with the math language (read from the function table when shown)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.epilog = math_help()
        super().format_epilog(ctx, formatter)


class LazyChoice(click.Choice):  # type: ignore[type-arg]
    """A choice read from ``module.attribute`` the first time it is needed (not for tutor --help)."""

    def __init__(self, module: str, attribute: str):
        self._where = (module, attribute)
        self._values: tuple[str, ...] | None = None
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        if self._values is None:
            import importlib

            self._values = tuple(getattr(importlib.import_module(self._where[0]), self._where[1]))
        return self._values

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        pass


TOPIC_CHOICE = LazyChoice("tutor.bank.topics", "TOPICS")
KIND_CHOICE = LazyChoice("tutor.bank.kinds", "KINDS")
# Math often starts with '-' ("-sin(x)"): such words are arguments, not options.
MATH_ARGS = {"ignore_unknown_options": True}


def _emit(outcome: Outcome) -> None:
    if outcome.stdout:
        click.echo(outcome.stdout, nl=not outcome.stdout.endswith("\n"))
    if outcome.stderr:
        click.echo(outcome.stderr, err=True)
    sys.exit(outcome.exit_code)


def _color() -> bool:
    ctx = click.get_current_context()
    if ctx.obj and ctx.obj.get("color") is not None:
        return bool(ctx.obj["color"])
    return sys.stdout.isatty()


def _bank_dir() -> str | None:
    obj = click.get_current_context().find_root().obj or {}
    return obj.get("exercises")


def _bar(label: str, enabled: bool) -> Callable[..., None]:
    """A progress callback drawing click's progress bar on stderr (when it is a terminal)."""
    bar: Any = None

    def update(done: int, total: int, item: str | None = None) -> None:
        nonlocal bar
        if not enabled or not sys.stderr.isatty() or total == 0:
            return
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=sys.stderr, item_show_func=lambda i: i)
            bar.__enter__()
        bar.update(done - bar.pos, item)
        if done >= total:
            bar.__exit__(None, None, None)

    return update


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tutor")
@click.option("--color/--no-color", default=None, help=_("Force colours on or off (default: on a terminal)."))
@click.option("--exercises", "exercises", envvar="TUTOR_EXERCISES", metavar="DIR",
              type=click.Path(file_okay=False, path_type=str),
              help=_("The exercise bank to use (default: the bundled one; also TUTOR_EXERCISES)."))
@click.pass_context
def main(ctx: click.Context, color: bool | None, exercises: str | None) -> None:
    """Autograd Tutor: learn PyTorch's automatic differentiation by comparing the
    gradient sympy derives with the .grad torch computes.

    \b
    Examples:
      tutor quiz                          (start here; progress is saved)
      tutor quiz --topic accumulation --topic zeroing
      tutor progress
      tutor grad "3*a^3 - b^2" --at a=2,3 --at b=6,4 --gradient 1,1
      tutor grad "2 dot(x, x)" --at x=0,1,2,3
      tutor equiv "2x cos(x^2)" "2 x cos(x²)"
      tutor list --topic accumulation
      tutor --exercises ./mybank/exercises check
    """
    ctx.obj = {"color": color, "exercises": exercises}


def bank_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--exercises DIR`` after the command too (``tutor check --exercises DIR``); it wins over the global one."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value is not None:
            ctx.find_root().obj["exercises"] = value
        return value

    return click.option("--exercises", "bank_dir", metavar="DIR", expose_value=False, callback=remember,
                        type=click.Path(file_okay=False, path_type=str),
                        help=_("The exercise bank to use (same as the global option)."))(command)


@main.command(cls=MathCommand, context_settings=MATH_ARGS)
@click.argument("expression")
@click.option("--at", "at", multiple=True, required=True, metavar="VAR=VALUES",
              help=_("A variable's value: a number (x=3) or a comma-separated vector (x=1,2,3). Repeat per variable."))
@click.option("--gradient", metavar="V",
              help=_("The gradient argument of backward(V) for a non-scalar output (comma-separated)."))
@click.option("--dtype", type=click.Choice(["float64", "float32"]), default="float64", show_default=True,
              help=_("The dtype torch computes in."))
@click.option("--json", "as_json", is_flag=True, help=_("Print one JSON object."))
def grad(expression: str, at: tuple[str, ...], gradient: str | None, dtype: str, as_json: bool) -> None:
    """Show the gradient of EXPRESSION three ways: sympy's exact derivative,
    torch autograd's .grad and a central finite difference.

    \b
    Exit status: 0 all agree, 1 they disagree, 2 invalid input.
    """
    from .commands.grad import main as run

    _emit(run(expression=expression, at=list(at), gradient=gradient, dtype=dtype, as_json=as_json, color=_color()))


@main.command(cls=MathCommand, context_settings=MATH_ARGS)
@click.argument("reference")
@click.argument("answer")
@click.option("--vars", "variables", metavar="x,y", help=_("The variables (default: the reference's names)."))
@click.option("--timeout", type=click.FloatRange(0.1, 60), default=3.0, show_default=True, metavar="S",
              help=_("Seconds allowed for the symbolic proof."))
@click.option("--json", "as_json", is_flag=True, help=_("Print one JSON object."))
def equiv(reference: str, answer: str, variables: str | None, timeout: float, as_json: bool) -> None:
    """Decide whether ANSWER equals REFERENCE for every real value of the variables.

    \b
    Exit status: 0 equivalent, 1 not equivalent, 2 invalid input, 3 undecided.
    """
    from .commands.equiv import main as run

    _emit(run(reference=reference, answer=answer, variables=variables, timeout=timeout, as_json=as_json,
              color=_color()))


@main.command(name="list")
@bank_option
@click.option("--topic", "topics", multiple=True, type=TOPIC_CHOICE, help=_("Only this topic (repeatable)."))
@click.option("--kind", "kinds", multiple=True, type=KIND_CHOICE, help=_("Only this kind (repeatable)."))
@click.option("--json", "as_json", is_flag=True, help=_("Print a JSON list of {id, title, topic, kind, file}."))
def list_command(topics: tuple[str, ...], kinds: tuple[str, ...], as_json: bool) -> None:
    """List the exercises of the bank, grouped by topic.

    \b
    --json gives [{id, title, topic, kind, file}].
    Exit status: 0 listed, 2 invalid bank.
    """
    from .commands.list import main as run

    _emit(run(directory=_bank_dir(), topics=topics, kinds=kinds, as_json=as_json, color=_color()))


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
    (derive); the answer computed with sympy = what the rendered program prints
    (predict); misconception answers distinct from the right one and each
    other; every code stub fails and every solution passes.
    Exit status: 0 all good, 1 a problem (file and reason are printed).
    """
    from .commands.check import main as run

    _emit(run(directory=_bank_dir(), seeds=seeds, solutions=solutions, as_json=as_json, color=_color(),
              progress=_bar(_("checking"), not as_json)))


@main.command(name="quiz")
@bank_option
@click.option("--topic", "topics", multiple=True, type=TOPIC_CHOICE, help=_("Only this topic (repeatable)."))
@click.option("--exercise", metavar="ID", help=_("Only this exercise."))
@click.option("--count", type=click.IntRange(1, 500), default=None, metavar="N",
              help=_("Questions in the session (default 10, or 1 with --exercise)."))
@click.option("--seed", type=int, metavar="S", help=_("Seed for the choice of questions and their variants."))
@click.option("--attempts", type=click.IntRange(1, 10), default=2, show_default=True, metavar="N",
              help=_("Attempts per question."))
@click.option("--new", "fresh", is_flag=True, help=_("Start a new session instead of resuming an unfinished one."))
@click.option("--json", "as_json", is_flag=True, help=_("One JSON object per line for each event."))
def quiz_command(topics: tuple[str, ...], exercise: str | None, count: int | None, seed: int | None, attempts: int,
                 fresh: bool, as_json: bool) -> None:
    """Answer questions and get feedback that explains your mistakes.

    \b
    At the prompt: an answer, or hint, skip, quit.  Answers are saved as you
    give them; an interrupted session resumes where it stopped.  With stdin
    not a terminal, answers are read one per line.
    Exit status: 0 finished, 1 stopped early (progress saved), 2 invalid options.
    """
    from .commands.quiz import main as run
    from .features.quiz import Options

    interactive = sys.stdin.isatty() and not as_json

    def read(prompt: str) -> str | None:
        try:
            if interactive:
                return input(prompt)
            line = sys.stdin.readline()
            return None if line == "" else line
        except EOFError:
            return None

    options = Options(topics=tuple(topics), exercise=exercise, count=count or (1 if exercise else 10), seed=seed,
                      attempts=attempts, fresh=fresh, bank_dir=_bank_dir())
    try:
        outcome = run(options=options, read=read, write=click.echo, as_json=as_json, color=_color() and not as_json)
    except KeyboardInterrupt:
        from .foundation.outcome import EXIT_INTERRUPTED

        click.echo("\n" + _("Stopped. Your answers are saved: run the same command to continue."), err=True)
        sys.exit(EXIT_INTERRUPTED)
    _emit(outcome)


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
def sheet_cmd(topics: tuple[str, ...], ids: tuple[str, ...], kinds: tuple[str, ...], count: int | None,
              seed: int | None, fmt: str | None, output: str | None, answers: str | None, students: str | None,
              manifest: str | None, title: str) -> None:
    """Generate an exercise sheet with seeded variants and a separate answer key.

    \b
    The key gives the right answers and, for predict and code questions, the
    common wrong answers with the mistake each reveals.
    Formats: md and tex (LaTeX math), html (self-contained, offline, printable),
    ipynb (one answer cell per question), json, and pdf when a TeX engine is
    installed.  Exit status: 0 done, 1 the TeX engine failed, 2 invalid input.
    """
    from .commands.sheet import main as run

    _emit(run(directory=_bank_dir(), topics=topics, ids=ids, kinds=kinds, count=count, seed=seed, fmt=fmt,
              output=output, answers=answers, students=students, manifest=manifest, title=title))


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
@click.option("--seed", type=int, default=0, show_default=True, metavar="S",
              help=_("Seed of the inputs the grader draws."))
def grade_cmd(paths: tuple[str, ...], exercise: str | None, manifest: str | None, fmt: str, output: str | None,
              jobs: int, timeout: float, seed: int) -> None:
    """Auto-grade code submissions in a sandbox, with misconception feedback.

    \b
    PATH is a file named after a code exercise (its id or its stub's name),
    or a folder: one sub-folder per student, each holding such files.
    Each submission runs in its own process forked from a preloaded worker,
    without network, with the grader's folders hidden, under CPU, memory,
    process and output limits.  The grader draws the inputs and computes the
    references itself; only plain numbers come back.
    Exit status: 0 graded, 2 invalid input.
    """
    from .commands.grade import main as run

    _emit(run(paths=list(paths), directory=_bank_dir(), exercise=exercise, manifest=manifest, fmt=fmt, output=output,
              jobs=jobs, timeout=timeout, seed=seed, progress=_bar(_("grading"), True)))


@main.command(name="trace")
@click.argument("script", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True,
              help=_("Print {backward_calls, findings: [{id, message}], parameters, losses}."))
@click.option("--plot", metavar="FILE.svg", help=_("Draw the loss per step beside the loss of the corrected loop."))
@click.option("--timeout", type=click.FloatRange(1, 600), default=60.0, show_default=True, metavar="S",
              help=_("Seconds the script may run."))
def trace_cmd(script: str, as_json: bool, plot: str | None, timeout: float) -> None:
    """Run a training script (sandboxed) and explain its accumulation and zeroing mistakes.

    \b
    Records every backward call, each leaf's .grad before and after it,
    zeroing and update events, and the final parameters; says at which step
    which gradient carried over or was thrown away; recognises deliberate
    gradient accumulation.  Exit status: 0 traced, 2 the script could not run.
    """
    from .commands.trace import main as run

    _emit(run(script=script, as_json=as_json, plot=plot, timeout=timeout))


@main.group(name="export")
def export_group() -> None:
    """Export the grader for other platforms."""


@export_group.command(name="gradescope")
@bank_option
@click.option("-o", "--output", default="autograder.zip", show_default=True, metavar="FILE",
              help=_("The zip to write."))
@click.option("--timeout", type=click.FloatRange(0.5, 600), default=20.0, show_default=True, metavar="S",
              help=_("Seconds per submission on Gradescope."))
def export_gradescope_cmd(output: str, timeout: float) -> None:
    """Write autograder.zip: setup.sh, run_autograder, the tutor package and the bank.

    \b
    Upload it as a Gradescope programming assignment's autograder; each
    submission is graded by tutor grade --format gradescope, with this bank.
    Exit status: 0 written, 2 invalid bank.
    """
    from .commands.export import gradescope as run

    _emit(run(output=output, directory=_bank_dir(), timeout=timeout))


@main.command(name="progress")
@click.option("--json", "as_json", is_flag=True, help=_("Print mastery per topic and the review schedule as JSON."))
@click.option("--reset", is_flag=True, help=_("Erase all saved progress."))
def progress_command(as_json: bool, reset: bool) -> None:
    """Show your mastery per topic (from every answer saved by tutor quiz).

    \b
    Exit status: 0, 1 a reset was declined.
    """
    from .commands.progress import main as run

    if reset and sys.stdin.isatty() and not click.confirm(_("Erase all saved progress?")):
        sys.exit(1)
    _emit(run(as_json=as_json, reset=reset, color=_color()))


if __name__ == "__main__":  # pragma: no cover
    main()
