"""What the notebook needs around a learner's call and arguments: the learner's function run under a time
limit with its value made plain (numpy and torch values as numbers), and every argument a notebook user passes
checked, its errors said with the notebook's own arguments (``x=2``, ``gradient=[...]``), never the command
line's options."""
from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

from .foundation.errors import TutorError
from .foundation.i18n import _

CHECK_SECONDS = 15


def outcome(function: Callable[..., Any], call: dict[str, Any]) -> dict[str, Any]:
    """What the learner's function did on one input, as the grader records it."""
    try:
        with _time_limit(CHECK_SECONDS):
            value = plain(function(**call))
        return {"value": value} if _numbers(value) else {"unusable": _("a {type}").format(type=type(value).__name__)}
    except _TooLong:
        return {"failure": "timeout", "seconds": CHECK_SECONDS}
    except Exception as exc:  # the learner's function raised: that is the outcome judged
        return {"error": f"{type(exc).__name__}: {_safe_text(exc)}"}


class _TooLong(Exception):
    pass


class _time_limit:
    """Stop a function that runs past ``seconds`` (SIGALRM, in the kernel's main thread; elsewhere no limit)."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        self.armed = False

    def __enter__(self) -> None:
        import threading

        if hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread():
            def stop(_signum: int, _frame: Any) -> None:
                raise _TooLong

            self.previous = signal.signal(signal.SIGALRM, stop)
            signal.alarm(self.seconds)
            self.armed = True

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, self.previous)


def _numbers(value: Any) -> bool:  # noqa: ANN401
    """A number or a flat list of numbers (what the grader accepts; a string is not one)."""
    def number(x: Any) -> bool:  # noqa: ANN401
        return isinstance(x, (int, float)) and not isinstance(x, bool)

    return number(value) or (isinstance(value, list) and all(number(x) for x in value))


def _safe_text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # an exception whose __str__ raises
        return type(exc).__name__


def plain(value: Any) -> Any:  # noqa: ANN401
    """A returned tensor or numpy value as the number or list the grader reads."""
    import sys

    for module, kinds in (("torch", ("Tensor",)), ("numpy", ("ndarray", "generic"))):
        lib = sys.modules.get(module)
        if lib is not None and isinstance(value, tuple(getattr(lib, k) for k in kinds)):
            found: Any = value
            return found.detach().cpu().tolist() if module == "torch" else found.tolist()
    return value


def whole(name: str, value: Any, least: int = 0) -> None:
    """A seed or a count as a notebook user may pass it: a whole number (a clear error, never a TypeError)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise TutorError(_("{name} must be a whole number of at least {least}, not {value!r}").format(
            name=name, least=least, value=value), code="notebook.bad-number")


def numbers_given(given: dict[str, Any]) -> None:
    """Each value a notebook user gives a point (or the gradient): a number or a flat list of them, finite."""
    import math

    for name, value in given.items():
        values = plain(value) if isinstance(plain(value), (list, tuple)) else [plain(value)]
        if not values or not all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in values):
            raise TutorError(_("{name} takes a number or a list of numbers, not {value!r}").format(
                name=name, value=value), code="notebook.not-numbers")
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise TutorError(_("{name}: {value} is not a finite number").format(name=name, value=value),
                             code="notebook.not-finite")


def listed(value: Any) -> str:
    """A number or a list of numbers as the point parser reads it (numpy and torch values as plain ones)."""
    value = plain(value)
    return ",".join(str(x) for x in value) if isinstance(value, (list, tuple)) else str(value)


def in_notebook_words(exc: TutorError, expression: str, at: dict[str, Any]) -> TutorError:
    """The same error, said with the notebook's arguments instead of the command line's options."""
    code = exc.code
    if code == "grad.no-value":
        from .mathlang import parse

        missing = [v for v in parse(expression).variables if v not in at]
        return TutorError(_("no value for {names}: give it as an argument, e.g. notebook.gradient(\"{expr}\", "
                            "{first}=2)").format(names=", ".join(missing), expr=expression, first=missing[0]),
                          code=code)
    if code == "grad.steps-vector":
        vectors = [k for k, v in at.items() if isinstance(plain(v), (list, tuple))]
        return TutorError(_("steps=True works on functions of numbers, and {names} is a vector here: give it as a "
                            "number (each element follows the same rules)").format(names=", ".join(vectors)),
                          code=code)
    shape = exc.data.get("shape")
    if code == "grad.non-scalar" and shape is not None:
        import math

        return TutorError(_("the result is a vector of shape {shape}: pass gradient=[...] with {n} numbers (the v "
                            "of y.backward(v)), or reduce it with sum(...) or mean(...)").format(
            shape=shape, n=math.prod(shape)), code=code)
    if code == "grad.gradient-shape" and shape is not None:
        return TutorError(_("gradient=[...] must have the result's shape {shape}").format(shape=shape), code=code)
    text = exc.one_line()
    if "--at " in text or "--dtype" in text or "--gradient" in text:          # (option names are never translated)
        return TutorError(text.replace("--at ", "").replace("--dtype float64", "float64").replace(
            "--gradient", "gradient="), code=code)
    return exc
