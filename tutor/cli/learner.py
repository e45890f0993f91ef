"""The learner's commands: quiz, progress, grad, equiv, list."""
from __future__ import annotations

import sys

import click

from ..foundation.i18n import _
from . import main
from .base import (
    KIND_CHOICE,
    MATH_ARGS,
    TOPIC_CHOICE,
    MathCommand,
    _bank_dir,
    _color,
    _emit,
    _reader,
    _session,
    _width,
    bank_option,
)


@main.command(cls=MathCommand, context_settings=MATH_ARGS)
@click.argument("expression")
@click.option("--at", "at", multiple=True, required=True, metavar="VAR=VALUES",
              help=_("A variable's value: a number (x=3) or a comma-separated vector (x=1,2,3). Repeat per variable."))
@click.option("--gradient", metavar="V",
              help=_("The gradient argument of backward(V) for a non-scalar output (comma-separated)."))
@click.option("--dtype", type=click.Choice(["float64", "float32"]), default="float64", show_default=True,
              help=_("The dtype torch computes in."))
@click.option("--steps", is_flag=True, help=_("Also derive it step by step: each rule applied, each result checked "
                                             "against sympy."))
@click.option("--walk", is_flag=True, help=_("Also walk the backward pass node by node: torch's graph, each node's "
                                            "local derivative and what it passes on, checked against torch."))
@click.option("--dot", "dot_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=str),
              help=_("Write the backward graph as Graphviz DOT to FILE (render it with dot -Tsvg)."))
@click.option("--json", "as_json", is_flag=True, help=_("Print one JSON object."))
def grad(expression: str, at: tuple[str, ...], gradient: str | None, dtype: str, steps: bool, walk: bool,
         dot_file: str | None, as_json: bool) -> None:
    """Show the gradient of EXPRESSION three ways: sympy's exact derivative,
    torch autograd's .grad and a central finite difference.

    \b
    Exit status: 0 all agree, 1 they disagree, 2 invalid input.
    """
    from ..commands.grad import main as run

    _emit(run(expression=expression, at=list(at), gradient=gradient, dtype=dtype, as_json=as_json, color=_color(),
              steps=steps, walk=walk, dot_file=dot_file))

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
    from ..commands.equiv import main as run

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
    from ..commands.list import main as run

    _emit(run(directory=_bank_dir(), topics=topics, kinds=kinds, as_json=as_json, color=_color()))

@main.command(name="progress")
@bank_option
@click.option("--json", "as_json", is_flag=True, help=_("Print mastery per topic and the review schedule as JSON."))
@click.option("--reset", is_flag=True, help=_("Erase all saved progress."))
def progress_command(as_json: bool, reset: bool) -> None:
    """Show your mastery per topic (from every answer saved by tutor quiz).

    \b
    Exit status: 0, 1 a reset was declined.
    """
    from ..commands.progress import main as run

    if reset and sys.stdin.isatty() and not click.confirm(_("Erase all saved progress?")):
        sys.exit(1)
    _emit(run(as_json=as_json, reset=reset, color=_color(), directory=_bank_dir()))


@main.command(name="learn")
@bank_option
@click.argument("topic", required=False, type=TOPIC_CHOICE)
@click.option("--practice", type=click.IntRange(0, 20), default=3, show_default=True, metavar="N",
              help=_("Practice questions after the lesson."))
@click.option("--seed", type=int, metavar="S", help=_("Seed for the practice questions."))
@click.option("--json", "as_json", is_flag=True, help=_("One JSON object per line for each event."))
def learn_command(topic: str | None, practice: int, seed: int | None, as_json: bool) -> None:
    """Learn the course topic by topic: a short lesson, a program you change
    (what sympy computes and what torch prints, side by side), then practice.

    \b
    Without TOPIC it continues where you are, in the course's order.
    At the prompt: NAME=VALUE to change the program, Enter to practise, quit.
    Exit status: 0 the topic done, 1 stopped early (progress saved), 2 invalid input.
    """
    from ..commands.learn import main as run

    _session(lambda: run(topic=topic, read=_reader(as_json), write=click.echo, bank_dir=_bank_dir(),
                         practice=practice, seed=seed, as_json=as_json, color=_color() and not as_json,
                         width=_width()))


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
    from ..commands.quiz import main as run
    from ..features.quiz import Options

    options = Options(topics=tuple(topics), exercise=exercise, count=count or (1 if exercise else 10), seed=seed,
                      attempts=attempts, fresh=fresh, bank_dir=_bank_dir())
    _session(lambda: run(options=options, read=_reader(as_json), write=click.echo, as_json=as_json,
                         color=_color() and not as_json, width=_width()))
