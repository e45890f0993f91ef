"""The ``tutor`` command line (layer 7): click options, then one call into :mod:`tutor.commands`.

Nothing heavy is imported here: torch and sympy load inside the commands that
need them, so ``tutor --help`` starts instantly.  This package is the only
part of the tutor that imports click: :mod:`.base` (what the commands share),
:mod:`.learner` (quiz, progress, grad, equiv, list) and :mod:`.instructor`
(check, sheet, grade, trace, export).
"""
from __future__ import annotations

import inspect
import os
import sys

LANGUAGES = {"en": "en", "zh": "zh_CN", "zh_CN": "zh_CN", "zh-CN": "zh_CN"}


def _language_from_argv(argv: list[str]) -> str | None:
    """``--lang zh`` (or ``--lang=zh``) as given: read before anything is translated, since the help of every
    option is translated when the commands are defined."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


_asked = _language_from_argv(sys.argv[1:])
if _asked in LANGUAGES:
    os.environ["TUTOR_LANG"] = LANGUAGES[_asked]

import click  # noqa: E402

from .. import __version__  # noqa: E402
from ..foundation.i18n import _, ngettext, translating  # noqa: E402

if translating():          # click's own words (Usage:, Options ...) from the tutor's catalogue too
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    from .click_texts import fit_wide_text, route

    route((click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.types,
           click.termui), _, ngettext)
    fit_wide_text(click.formatting)


class _TranslatedHelp:
    """A command or group whose help (its docstring) is translated: the docstring is the message id."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        if isinstance(kwargs.get("help"), str):
            kwargs["help"] = _(inspect.cleandoc(str(kwargs["help"])))
        super().__init__(*args, **kwargs)


class TutorCommand(_TranslatedHelp, click.Command):
    """A command of the tutor (its help translated)."""


class TutorGroup(_TranslatedHelp, click.Group):
    """``tutor --help`` lists the learner's commands apart from the instructor's (each command says which
    section it belongs to where it registers: ``section="learn"`` or ``"teach"``); its commands' help, and
    its own, translated (see :class:`TutorCommand`)."""

    command_class = TutorCommand
    group_class = type          # (a group made by this one is a TutorGroup too)

    SECTIONS = (("learn", _("Commands for learners")), ("teach", _("Commands for instructors")))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if ctx.parent is not None:            # a group within tutor (export): its commands, in one list
            super().format_commands(ctx, formatter)
            return
        rows: dict[str, list[tuple[str, str]]] = {key: [] for key, _title in self.SECTIONS}
        limit = formatter.width - 6 - max((len(name) for name in self.list_commands(ctx)), default=0)
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            section = getattr(cmd, "section", "learn")
            rows.setdefault(section, []).append((name, cmd.get_short_help_str(limit)))
        for key, title in self.SECTIONS:
            if rows.get(key):
                with formatter.section(title):
                    formatter.write_dl(rows[key])

    def list_commands(self, ctx: click.Context) -> list[str]:
        """In the order a learner meets them (then an instructor), not alphabetical."""
        order = ["learn", "quiz", "progress", "grad", "equiv", "list", "check", "sheet", "grade", "trace", "export"]
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: (order.index(n) if n in order else len(order), n))


@click.group(cls=TutorGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tutor")
@click.option("--color/--no-color", default=None, help=_("Force colours on or off (default: on a terminal)."))
@click.option("--lang", type=click.Choice(sorted(LANGUAGES)), metavar="LANG", expose_value=False, is_eager=True,
              help=_("The language: en or zh (default: TUTOR_LANG, else the locale)."))
@click.option("--exercises", "exercises", envvar="TUTOR_EXERCISES", metavar="DIR",
              type=click.Path(file_okay=False, path_type=str),
              help=_("The exercise bank to use (default: the bundled one; also TUTOR_EXERCISES)."))
@click.pass_context
def main(ctx: click.Context, color: bool | None, exercises: str | None) -> None:
    """Autograd Tutor: learn PyTorch's automatic differentiation by comparing the
    gradient sympy derives with the .grad torch computes.

    \b
    Examples:
      tutor learn                         (start here: lesson by lesson)
      tutor quiz                          (questions; progress is saved)
      tutor quiz --topic accumulation --topic zeroing
      tutor progress
      tutor grad "3*a^3 - b^2" --at a=2,3 --at b=6,4 --gradient 1,1
      tutor grad "2 dot(x, x)" --at x=0,1,2,3
      tutor equiv "2x cos(x^2)" "2 x cos(x²)"
      tutor list --topic accumulation
      tutor --exercises ./mybank/exercises check
    """
    ctx.obj = {"color": color, "exercises": exercises}
    if ctx.invoked_subcommand is None:          # `tutor` alone: the help, and success (nothing went wrong)
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit(0)


from . import instructor, learner  # noqa: E402,F401 - the commands register themselves on main

__all__ = ["main"]
