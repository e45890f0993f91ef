"""What a code question's runs need beside the kind: why a run returned nothing, in the learner's words, and
the other inputs that corroborate which mistake a function makes."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...foundation.i18n import _

if TYPE_CHECKING:
    from ...engines.scenario import Answer
    from ..model import Variant
    from .code import Code


def _failure(result: Mapping[str, Any]) -> str:
    """Why a run returned nothing, in the learner's words."""
    why = result["failure"]
    if why == "timeout":
        return _("Your function did not return within {s:g} s (an endless loop?).").format(s=result["seconds"])
    if why == "load":
        return _("Your file could not run: {error}.").format(error=result["error"])
    if why == "too-much-output":
        return _("Your program wrote more than the grader reads (over 2 MB); nothing was graded.")
    if why == "unreadable":
        return _("Your program wrote something on the grader's channel that is not a result; nothing was graded.")
    if why == "grader-error":
        return _("The grader could not run your file (its own failure, not yours): ask for a regrade.")
    return _("Your program ended without returning a result (exit() or a crash).")


def witnesses(kind: Code, v: Variant[Answer], count: int = 2) -> list[Variant[Answer]]:
    """Other variants of the exercise whose inputs differ from ``v``'s (none where the function takes none
    that vary): the same function run on them corroborates which mistake it makes."""
    from ..variants import variant

    if not kind.call_params(v.exercise):
        return []
    seen = [kind.call_args(v)]
    found: list[Variant[Answer]] = []
    for k in range(1, 4 * count + 1):
        w = variant(v.exercise, v.seed + 7919 * k)
        if kind.call_args(w) not in seen:
            seen.append(kind.call_args(w))
            found.append(w)
            if len(found) == count:
                break
    return found
