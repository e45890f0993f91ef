"""Write the parts of the docs that are read off the code, so they cannot drift from it.

    python docs/generate.py          rewrite the generated blocks and pages
    python docs/generate.py --check  exit 1 (naming the block) if any is out of date (a test runs this)

Generated from the code:

* ``docs/cli.md``: every command's ``--help``, from the click commands;
* the command table in ``README.md``, from the click commands;
* ``docs/math-language.md`` and the function list in ``README.md``, from the
  function table (``tutor/mathlang/functions.py``);
* the step reference and each kind's misconceptions in
  ``docs/exercise-format.md``, from the step classes and the exercise kinds.

A generated block sits between ``<!-- begin: NAME -->`` and ``<!-- end: NAME -->``;
edit the code, not the block.  The docs are written in English whatever the locale.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

os.environ.pop("TUTOR_LANG", None)
for _var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
    os.environ.pop(_var, None)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import click  # noqa: E402

from tutor.cli import main as cli  # noqa: E402

WIDTH = 100
SKIP_OPTIONS = {"bank_dir", "help"}      # the per-command --exercises is the global option's twin


def commands() -> list[tuple[str, click.Command]]:
    """(full name, command) for every leaf command, in the order of --help."""
    out = []
    ctx = click.Context(cli, info_name="tutor")
    for name in cli.list_commands(ctx):
        cmd = cli.get_command(ctx, name)
        if isinstance(cmd, click.Group):
            sub = click.Context(cmd, info_name=name, parent=ctx)
            out += [(f"{name} {s}", cmd.get_command(sub, s)) for s in cmd.list_commands(sub)]
        else:
            out.append((name, cmd))
    return out


def help_text(path: list[str], cmd: click.Command) -> str:
    settings = dict(cli.context_settings, terminal_width=WIDTH, max_content_width=WIDTH)
    ctx = click.Context(cli, info_name="tutor", **settings)
    for i, name in enumerate(path):
        parent = ctx
        assert isinstance(parent.command, click.Group)
        command = cmd if i == len(path) - 1 else parent.command.get_command(parent, name)
        assert command is not None
        ctx = click.Context(command, info_name=name, parent=parent, **settings)
    return ctx.get_help()


def synopsis(name: str, cmd: click.Command) -> str:
    parts = [f"tutor {name}"]
    for p in cmd.params:
        if p.name in SKIP_OPTIONS or getattr(p, "hidden", False):
            continue
        if isinstance(p, click.Argument):
            parts.append(p.human_readable_name.upper() + ("..." if p.nargs == -1 else ""))
            continue
        assert isinstance(p, click.Option)
        flag = max(p.opts, key=len)
        if p.is_flag:
            text = flag
        elif isinstance(p.type, click.Choice) and len(p.type.choices) <= 6:
            text = f"{flag} {'|'.join(map(str, p.type.choices))}"
        elif isinstance(p.type, click.Choice):
            text = f"{flag} {(p.name or '').rstrip('s').upper()}"
        else:
            text = f"{flag} {p.metavar or p.type.name.upper()}"
        text += " ..." if p.multiple else ""
        parts.append(text if p.required else f"[{text}]")
    return " ".join(parts)


def first_sentence(cmd: click.Command) -> str:
    text = " ".join((cmd.help or "").split("\b")[0].split())
    return text.split(". ")[0].rstrip(".")


def exit_status(cmd: click.Command) -> str:
    m = re.search(r"Exit status: (.*?)\.(\s|$)", " ".join((cmd.help or "").split()))
    return m.group(1) if m else "0"


def command_table() -> str:
    rows = ["| command | what it does | exit status |", "|---|---|---|"]
    for name, cmd in commands():
        cell = synopsis(name, cmd).replace("|", "\\|")
        rows.append(f"| `{cell}` | {first_sentence(cmd)} | {exit_status(cmd)} |")
    return "\n".join(rows)


def cli_reference() -> str:
    out = ["# Command-line reference", "",
           "Every command's `--help`, generated from the commands themselves by `python docs/generate.py`",
           "(a test fails when this page drifts from them).", "",
           "## tutor", "", "```text", help_text([], cli).rstrip(), "```"]
    for name, cmd in commands():
        out += ["", f"## tutor {name}", "", "```text", help_text(name.split(), cmd).rstrip(), "```"]
    return "\n".join(out) + "\n"


def function_list() -> str:
    from tutor.mathlang.functions import ALIASES, FUNCTIONS

    names = ", ".join(f"`{f.name}`" if f.arity == 1 else f"`{f.name}(u, v)`" for f in FUNCTIONS.values())
    aliases = ", ".join(f"`{a}` = `{c}`" for a, c in ALIASES.items())
    return f"Functions: {names} (also {aliases}); constants `pi` and `e`."


def math_language() -> str:
    from tutor.mathlang.functions import FUNCTIONS

    rows = ["| function | meaning | in PyTorch | not differentiable where the argument is 0 |", "|---|---|---|---|"]
    for f in FUNCTIONS.values():
        args = ["x"] if f.arity == 1 else ["u", "v"]
        shown = f"`{f.format(f.text, args)}`" + "".join(f" or `{a}({', '.join(args)})`" for a in f.aliases)
        torch = f.format(f.python, args).replace("|", "\\|")
        kink = f.kink.message.format(arg="x", name=f.name) if f.kink else ""
        rows.append(f"| {shown} | {f.help} | `{torch}` | {kink} |")
    return "\n".join([
        "# The math language", "",
        "What people type, read by a whitelisting parser (never `eval`, `sympify` or `parse_expr`):",
        "`+ - * /`, `^` or `**` for powers, implicit multiplication (`2x`, `x y`, `2(x+1)`, `x sin(x)`),",
        "the constants `pi` and `e`, and the functions below. Pasted `×`, `·`, `−`, `÷`, `²`, `³` and `π`",
        "are understood.", "",
        "This table is generated from the function table (`tutor/mathlang/functions.py`), from which the",
        "parser, the sympy builder, the torch, numpy and mpmath evaluators, the printers and `--help` are",
        "derived too; adding a function is one entry there (and its tests).", "",
        *rows, ""])


def steps_table() -> str:
    from tutor.engines.scenario.steps import kinds

    rows = ["| step | renders as |", "|---|---|"]
    rows += [f"| `{k.example.replace('|', chr(92) + '|')}` | {k.renders} |" for k in kinds()]
    return "\n".join(rows)


def misconceptions(kind: str) -> str:
    from tutor.bank.kinds import KINDS

    return ", ".join(f"`{m}`" for m in KINDS[kind].misconceptions)


def kinds_list() -> str:
    """One line per exercise kind, from its module's summary (``"``code``: complete a stub ..."``)."""
    import sys

    from tutor.bank.kinds import KINDS

    lines = []
    for name, kind in KINDS.items():
        doc = (sys.modules[type(kind).__module__].__doc__ or "").strip().splitlines()[0]
        summary = doc.split(":", 1)[1].strip() if ":" in doc else doc
        lines.append(f"- **{name}**: {summary}")
    return "\n".join(lines)


def blocks() -> dict[str, str]:
    return {"commands": command_table(), "functions": function_list(), "steps": steps_table(), "kinds": kinds_list(),
            "derive-misconceptions": misconceptions("derive"), "predict-misconceptions": misconceptions("predict"),
            "code-misconceptions": misconceptions("code")}


PAGES = {"docs/cli.md": cli_reference, "docs/math-language.md": math_language}
BLOCK_FILES = ("README.md", "docs/exercise-format.md")
BLOCK = re.compile(r"(<!-- begin: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- end: (?P=name) -->)", re.S)


def render_file(text: str, generated: dict[str, str], used: set[str]) -> str:
    def fill(m: re.Match[str]) -> str:
        used.add(m.group("name"))
        return m.group(1) + generated[m.group("name")] + "\n" + m.group(4)

    return BLOCK.sub(fill, text)


def main() -> int:
    check = "--check" in sys.argv[1:]
    generated, used, stale = blocks(), set(), []
    for rel in BLOCK_FILES:
        path = ROOT / rel
        old = path.read_text(encoding="utf-8")
        new = render_file(old, generated, used)
        if new != old:
            stale.append(rel)
            if not check:
                path.write_text(new, encoding="utf-8")
    for rel, make in PAGES.items():
        path = ROOT / rel
        new = make()
        if not path.is_file() or path.read_text(encoding="utf-8") != new:
            stale.append(rel)
            if not check:
                path.write_text(new, encoding="utf-8")
    missing = sorted(set(generated) - used)
    if missing:
        print(f"no place for the generated block(s): {', '.join(missing)}", file=sys.stderr)
        return 1
    if check and stale:
        print("out of date (run python docs/generate.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    if not check:
        print("written: " + (", ".join(stale) or "nothing changed"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
