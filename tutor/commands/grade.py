"""``tutor grade``: auto-grade code submissions and notebooks; reports written atomically."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..features.grading.sandbox_pool import start_pool
from ..foundation.errors import TutorError
from ..foundation.i18n import _
from ..foundation.outcome import EXIT_INVALID, EXIT_OK, Outcome, invalid


def main(*, paths: Sequence[str], directory: str | None = None, exercise: str | None = None,
         manifest: str | None = None, fmt: str = "json", output: str | None = None, jobs: int = 1,
         timeout: float = 10.0, seed: int | None = None, secret: str | None = None, isolation: str = "full",
         assignment: str | None = None, roster: str | None = None,
         progress: Callable[[int, int], None] | None = None) -> Outcome:
    """Exit status: 0 graded, 2 invalid input (or no sandbox: nothing graded)."""
    from ..features.grading.reports import FORMATS

    if fmt not in FORMATS:
        return Outcome(stderr=_("error: --format must be one of {f}").format(f=", ".join(FORMATS)),
                       exit_code=EXIT_INVALID, code="grade.bad-format")
    if output and Path(output).is_dir():
        return Outcome(stderr=_("error: {path} is a folder; -o takes a file name").format(path=output),
                       exit_code=EXIT_INVALID, code="grade.output-is-folder")
    progress_file = Path(str(output) + ".progress.jsonl") if output else None
    pool = None
    try:
        if any(Path(p).suffix != ".ipynb" for p in paths):
            pool = start_pool(1, isolation, timeout)    # first: its torch import runs while the grader loads
        from ..features.grading import grade_paths

        notebooks, code_paths, roots = _split(paths)
        if pool is not None and not code_paths:
            pool.close()
            pool = None
        report = grade_paths(code_paths, directory=directory, exercise=exercise, jobs=jobs, timeout=timeout,
                             seed=seed, secret=secret, progress_file=progress_file, progress=progress,
                             isolation=isolation, assignment=assignment, roster=roster, notebooks=notebooks,
                             manifest=manifest, notebook_roots=roots, pool=pool)
    except TutorError as exc:
        if pool is not None:
            pool.close()
        return invalid(exc)
    from ..features.grading.reports import atomic_write, render, summary_lines

    try:
        text = render(report, fmt)
    except TutorError as exc:
        return invalid(exc)
    if not report.results:
        return Outcome(stdout="" if output else text,
                       stderr=_("error: nothing to grade: no file is named after a code exercise, and no notebook "
                                "was given"),
                       exit_code=EXIT_INVALID, code="grade.nothing")
    lines = summary_lines(report)
    if output:
        atomic_write(Path(output), text)
        if progress_file and progress_file.exists():
            progress_file.unlink()
        return Outcome(stdout="\n".join([_("report: {path}").format(path=output), *lines]), exit_code=EXIT_OK)
    return Outcome(stdout=text.rstrip("\n"), stderr="\n".join(lines), exit_code=EXIT_OK)


def _split(paths: Sequence[str]) -> tuple[list[Path], list[str], dict[Path, Path]]:
    """Notebooks apart from code, file by file: a notebook named on the command line or found in a folder goes
    to the notebook grader; a folder goes to the code grader too when it holds a .py file."""
    import os

    from ..features.grading.submissions import walk

    notebooks: list[Path] = []
    code_paths: list[str] = []
    roots: dict[Path, Path] = {}
    for raw in paths:
        p = Path(raw)
        if not os.path.lexists(p):
            raise TutorError(_("no such file or folder: {path}").format(path=raw), code="grade.missing-path")
        if p.suffix == ".ipynb" and not p.is_dir():
            notebooks.append(p)
            continue
        if p.is_dir() and not p.is_symlink():
            files = [f for f, _e in walk(p)]
            found = sorted(f for f in files if f.suffix == ".ipynb")
            notebooks.extend(found)
            roots.update((f, p) for f in found)
            if any(f.suffix == ".py" for f in files) or not any(f.suffix == ".ipynb" for f in files):
                code_paths.append(raw)
            continue
        code_paths.append(raw)
    return notebooks, code_paths, roots
