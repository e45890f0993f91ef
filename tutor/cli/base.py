"""What every command of the CLI shares: output, colours, progress bars, the lazy choices, ``--exercises``."""
from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from ..foundation.i18n import _
from . import TutorCommand  # (defined before the commands are imported)

if TYPE_CHECKING:
    from ..foundation.outcome import Outcome


def math_help() -> str:
    from ..mathlang.functions import help_line

    return _("Math is typed as on a calculator: + - * / and ^ (or **) for powers; 2x, x y and 2(x+1) multiply; "
             "constants pi and e; functions: {functions}.").format(functions=help_line())


class MathCommand(TutorCommand):
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


def _emit(outcome: Outcome, quick_exit: bool = False) -> None:
    """Print the outcome and exit with its status.  ``quick_exit``: a command whose files are all written and
    closed, with a large heap (a grading batch's references): the collector is not run over every object on
    the way out (a fifth of a second), what is left goes with the process."""
    if outcome.stdout:
        click.echo(outcome.stdout, nl=not outcome.stdout.endswith("\n"))
    if outcome.stderr:
        click.echo(outcome.stderr, err=True)
    if quick_exit:
        import gc

        gc.freeze()
    sys.exit(outcome.exit_code)


def _reader(as_json: bool) -> Callable[[str], str | None]:
    """How a session reads a line: with a prompt on a terminal, else one line at a time (None: no more)."""
    interactive = sys.stdin.isatty() and not as_json

    def read(prompt: str) -> str | None:
        try:
            if interactive:
                return input(prompt)
            line = sys.stdin.readline()
            return None if line == "" else line
        except EOFError:
            return None

    return read


def _session(run: Callable[[], Outcome]) -> None:
    """A quiz or lesson session: Ctrl-C stops it with its answers saved (they are saved as given)."""
    try:
        outcome = run()
    except KeyboardInterrupt:
        from ..foundation.outcome import EXIT_INTERRUPTED

        click.echo("\n" + _("Stopped. Your answers are saved: run the same command to continue."), err=True)
        sys.exit(EXIT_INTERRUPTED)
    _emit(outcome)


def _color() -> bool:
    """--color/--no-color if given; else colours only on a terminal, and never with NO_COLOR set (no-color.org;
    TERM=dumb too)."""
    import os

    ctx = click.get_current_context()
    obj = ctx.find_root().obj
    if obj and obj.get("color") is not None:
        return bool(obj["color"])
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return _on_terminal()


def _on_terminal() -> bool:
    return sys.stdout.isatty()


def _width() -> int | None:
    """The terminal's columns, for prose broken between words; None off a terminal (a pipe gets whole lines)."""
    import shutil

    return shutil.get_terminal_size().columns if _on_terminal() else None


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



def bank_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--exercises DIR`` after the command too (``tutor check --exercises DIR``); it wins over the global one."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value is not None:
            ctx.find_root().obj["exercises"] = value
        return value

    return click.option("--exercises", "bank_dir", metavar="DIR", expose_value=False, callback=remember,
                        type=click.Path(file_okay=False, path_type=str),
                        help=_("The exercise bank to use (same as the global option)."))(command)
