"""Commands (layer 6): one module per command, each a keyword-only ``main(...)`` returning an Outcome.

The CLI (:mod:`tutor.cli`) parses options and calls one ``main`` here, as
otter-grader's ``otter/<verb>/__init__.py: main(...)`` does; other front ends
(a notebook, a script) call the same functions.  Nothing here imports click.
"""
