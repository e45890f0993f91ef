"""A Babel extraction method for the command line's modules: their ``_()`` texts, as Babel's own Python
method finds them, and the help of each command and group (its docstring, the message id
:class:`tutor.cli.TutorCommand` translates).  Used by ``babel.cfg``; never imported at run time."""
from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from typing import Any


def extract(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[Any, ...]]:
    from babel.messages.extract import extract_python

    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    text = source.decode(options.get("encoding", "utf-8")) if isinstance(source, bytes) else source
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef) and any(_is_command(d) for d in node.decorator_list):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                yield node.lineno, "_", inspect.cleandoc(doc), []


def _is_command(decorator: ast.expr) -> bool:
    """``@main.command(...)``, ``@click.group(...)``, ``@export_group.command(...)`` ..."""
    call = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(call, ast.Attribute) and call.attr in ("command", "group")
