"""click's own words (its help layout and its usage errors), in the tutor's catalogue.

click looks its texts up with the standard ``gettext`` module's default
domain, which the tutor does not use; :func:`route` sends those lookups to the
tutor's own catalogue, so ``tutor --lang zh --help`` says 用法 and 选项 too.
The texts are click's own msgids, marked here so that extraction puts them in
the catalogue (a click release that changes one leaves that one in English).
"""
from __future__ import annotations

from types import ModuleType

from ..foundation.i18n import N_, ngettext

TEXTS = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Show this message and exit."), N_("Show the version and exit."),
    N_("Error: {message}"), N_("Try '{command} {option}' for help."), N_("No such option {name!r}."),
    N_("No such command {name!r}."), N_("Missing argument"), N_("Missing option"), N_("Missing parameter"),
    N_("Missing parameter: {param_name}"), N_("Missing command."), N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"), N_("default: {default}"), N_("required"), N_("Aborted!"),
    N_("{value!r} is not a valid {number_type}."), N_("{value} is not in the range {range}."),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is a file."), N_("Could not open file {filename!r}: {message}"), N_("env var: {var}"),
    N_("file"), N_("directory"), N_("path"), N_("%(prog)s, version %(version)s"),
)


def _plurals() -> None:  # pragma: no cover - never called: marks click's plural texts for extraction
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1)
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1)
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1)
    ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1)


def fit_wide_text(formatting: ModuleType) -> None:
    """click's help laid out by columns on the screen, not characters: a Chinese character takes two, and a
    Chinese paragraph may break between any two characters (click's own wrapping breaks only at spaces)."""
    from ..foundation.term import display_width, has_wide, joined, wrap_wide

    original = formatting.wrap_text

    def wrap_text(text: str, width: int = 78, initial_indent: str = "", subsequent_indent: str = "",
                  preserve_paragraphs: bool = False) -> str:
        if not has_wide(text):
            return str(original(text, width, initial_indent, subsequent_indent, preserve_paragraphs))
        text = text.expandtabs()
        if not preserve_paragraphs:
            return wrap_wide(joined(text.splitlines()), width, initial_indent, subsequent_indent)
        out = []
        for block in text.split("\n\n"):
            lines = block.split("\n")
            if lines and lines[0].strip() == "\b":             # a block click must not re-wrap
                out.append("\n".join((initial_indent if i == 0 else subsequent_indent) + ln
                                     for i, ln in enumerate(lines[1:])))
                continue
            extra = " " * (len(lines[0]) - len(lines[0].lstrip())) if lines else ""
            out.append(wrap_wide(joined(lines), width, initial_indent + extra, subsequent_indent + extra))
        return "\n\n".join(out)

    formatting.wrap_text = wrap_text  # type: ignore[attr-defined]
    formatting.term_len = display_width  # type: ignore[attr-defined]


def route(modules: tuple[ModuleType, ...], gettext: object, ngettext: object) -> None:
    """Give each click module the tutor's ``gettext`` and ``ngettext`` in place of the standard module's."""
    import gettext as standard

    for module in modules:
        if getattr(module, "_", None) is standard.gettext:
            module._ = gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is standard.ngettext:
            module.ngettext = ngettext  # type: ignore[attr-defined]
