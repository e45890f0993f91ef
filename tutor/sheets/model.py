"""The content of a sheet, independent of its format.

A :class:`Sheet` is a list of :class:`Item` (one seeded variant each, drawn
with :func:`tutor.bank.variant`, the same engine the quiz and the grader use)
plus what its answer key needs: the correct answer as shown and as a learner
would type it (graded correct by :func:`tutor.bank.grade`), and the wrong
answers of the common misconceptions with the misconception each reveals.

Everything here is deterministic: the same seed (and student) gives the same
items in the same order, and nothing depends on the clock or the machine.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from ..errors import TutorError
from ..i18n import _

SEED_RANGE = 1_000_000          # variant seeds are shown to people: keep them short, as the quiz does


@dataclass
class Wrong:
    """A common wrong answer and the misconception it reveals."""

    misconception: str          # stable id, e.g. accumulation.overwrite
    title: str                  # mistakes.CATALOGUE[id].title
    text: str                   # the wrong answer as printed / typed
    wrt: str | None = None      # derive: the partial derivative it belongs to
    expr: object = None         # derive: the sympy expression (for math rendering)

    def to_json(self):
        data = {"misconception": self.misconception, "title": self.title, "answer": self.text}
        if self.wrt is not None:
            data["wrt"] = self.wrt
        return data


@dataclass
class Item:
    number: int                 # 1-based position on the sheet
    variant: object             # bank.Variant

    # ---- what the question shows
    @property
    def exercise(self):
        return self.variant.exercise

    @property
    def id(self) -> str:
        return self.variant.exercise.id

    @property
    def kind(self) -> str:
        return self.variant.exercise.kind

    @property
    def topic(self) -> str:
        return self.variant.exercise.topic

    @property
    def title(self) -> str:
        return self.variant.exercise.title

    @property
    def seed(self) -> int:
        return self.variant.seed

    @property
    def prompt(self) -> str:
        return self.variant.prompt

    @property
    def code(self) -> str | None:
        """The program of a predict question."""
        return self.variant.code

    @property
    def choices(self) -> list | None:
        """Concept questions: the choices (true/false questions get ['true', 'false'])."""
        if self.kind != "concept":
            return None
        return list(self.exercise.data.get("choices") or [_("true"), _("false")])

    @property
    def true_false(self) -> bool:
        return self.kind == "concept" and self.exercise.data.get("choices") is None

    @property
    def variables(self) -> list:
        return list(self.exercise.data.get("variables", [])) if self.kind == "derive" else []

    @property
    def wrt(self) -> list:
        return list(self.variant.answer) if self.kind == "derive" else []

    def function(self):
        """Derive questions: f with the drawn parameters substituted (a sympy expression)."""
        return self.variant.function if self.kind == "derive" else None

    def function_text(self) -> str | None:
        from ..sym import to_text

        f = self.function()
        return None if f is None else to_text(f)

    def f_symbol(self):
        """f(x) or f(x, y) as a sympy expression (for printing)."""
        import sympy

        return sympy.Function("f")(*[sympy.Symbol(n, real=True) for n in self.variables])

    def function_equation(self):
        import sympy

        return sympy.Eq(self.f_symbol(), self.function(), evaluate=False)

    def derivative(self, wrt: str):
        """d/dx f(x), unevaluated, for printing."""
        import sympy

        return sympy.Derivative(self.f_symbol(), sympy.Symbol(wrt, real=True))

    def derivative_equation(self, wrt: str, expr):
        """d/dx f(x) = expr, unevaluated, for printing."""
        import sympy

        return sympy.Eq(self.derivative(wrt), expr, evaluate=False)

    def custom_question(self) -> bool:
        """Whether the exercise states its own question text (otherwise derive prompts are composed)."""
        return bool(self.exercise.data.get("question"))

    @property
    def stub_path(self) -> str | None:
        return self.exercise.data.get("file") if self.kind == "code" else None

    def stub(self) -> str | None:
        """Code questions: the stub the learner completes."""
        if self.kind != "code":
            return None
        return (self.exercise.root / self.exercise.data["file"]).read_text(encoding="utf-8")

    @property
    def function_name(self) -> str | None:
        return self.exercise.data.get("function") if self.kind == "code" else None

    def call_args(self) -> dict | None:
        if self.kind != "code":
            return None
        from ..bank import code_call_args

        return code_call_args(self.variant)

    def call_text(self) -> str | None:
        args = self.call_args()
        if args is None:
            return None
        from ..term import fmt_number

        def show(value):
            if isinstance(value, list):
                return "[" + ", ".join(fmt_number(x) for x in value) + "]"
            return fmt_number(value)

        return f"{self.function_name}(" + ", ".join(f"{k}={show(v)}" for k, v in args.items()) + ")"

    # ---- what the key shows
    def answer_text(self) -> str:
        """The correct answer as the quiz shows it (bank.expected_text)."""
        from ..bank import expected_text

        return expected_text(self.variant)

    def typed_answer(self) -> str:
        """The correct answer as a learner types it: bank.grade marks it correct."""
        from ..sym import to_text

        v = self.variant
        if self.kind == "derive":
            return "; ".join(to_text(e) for e in v.answer.values())
        if self.kind in ("predict", "code"):
            return v.answer.text()
        if isinstance(v.answer, bool):
            return "true" if v.answer else "false"
        return chr(ord("a") + v.answer)

    def answer_json(self):
        from ..sym import to_text

        v = self.variant
        data = {"text": self.answer_text(), "typed": self.typed_answer()}
        if self.kind == "derive":
            data["derivatives"] = {w: to_text(e) for w, e in v.answer.items()}
        elif self.kind in ("predict", "code"):
            data.update(v.answer.to_json())
            data["text"] = self.answer_text()
        elif isinstance(v.answer, bool):
            data["value"] = v.answer
        else:
            data["index"] = v.answer
        return data

    def wrong_answers(self) -> list[Wrong]:
        """The misconceptions' answers (variant.candidates), in catalogue order."""
        from ..mistakes import CATALOGUE
        from ..sym import to_text

        out = []
        for c in self.variant.candidates or []:
            title = CATALOGUE[c.id].title
            if self.kind == "derive":
                out.append(Wrong(c.id, title, to_text(c.answer), c.wrt, c.answer))
            else:
                out.append(Wrong(c.id, title, c.answer.text()))
        return out

    def question_json(self) -> dict:
        data = {"number": self.number, "id": self.id, "title": self.title, "kind": self.kind,
                "topic": self.topic, "seed": self.seed, "prompt": self.prompt, "code": self.code,
                "choices": self.choices}
        if self.kind == "derive":
            import sympy

            data["function"] = self.function_text()
            data["latex"] = sympy.latex(self.function())
            data["variables"] = self.variables
            data["wrt"] = self.wrt
        if self.kind == "code":
            data["file"] = self.stub_path
            data["function"] = self.function_name
            data["call"] = self.call_args()
            data["stub"] = self.stub()
        return data

    def key_json(self) -> dict:
        data = self.question_json()
        data["answer"] = self.answer_json()
        data["wrong_answers"] = [w.to_json() for w in self.wrong_answers()]
        data["explanation"] = self.exercise.explanation
        return data


@dataclass
class Sheet:
    seed: int                            # the sheet's seed (selection; variants unless per student)
    items: list = field(default_factory=list)
    student: str | None = None           # roster id of a personal variant
    student_name: str | None = None
    variant_seed: int | None = None      # the seed the variants derive from (the student's seed)
    title: str = ""

    def heading(self) -> str:
        return self.title or _("Autograd exercise sheet")

    def subtitle(self) -> str:
        parts = [_("seed {seed}").format(seed=self.seed)]
        if self.student is not None:
            who = self.student + (f" ({self.student_name})" if self.student_name else "")
            parts.append(_("student {who}").format(who=who))
        parts.append(_("{n} questions").format(n=len(self.items)))
        return " · ".join(parts)

    def meta_json(self) -> dict:
        return {"seed": self.seed, "student": self.student, "student_name": self.student_name,
                "variant_seed": self.variant_seed, "title": self.heading(), "count": len(self.items)}

    def manifest_entry(self) -> list:
        return [{"number": it.number, "exercise": it.id, "seed": it.seed} for it in self.items]


# ------------------------------------------------------------- seeds, choice

def _hash_int(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], 16)


def student_seed(sheet_seed: int, student_id: str) -> int:
    """A student's personal seed: sha256 of the sheet seed and the student id (stable everywhere)."""
    return _hash_int(f"tutor-sheet-student:{sheet_seed}:{student_id}") % 1_000_000_000


def item_seed(base_seed: int, number: int, ex_id: str) -> int:
    """The variant seed of question ``number`` (1-based) on a sheet whose variants derive from base_seed."""
    return _hash_int(f"tutor-sheet-item:{base_seed}:{number}:{ex_id}") % SEED_RANGE


def choose(exercises, topics=(), ids=(), kinds=(), count=None, seed: int = 0) -> list:
    """The sheet's exercises, deterministic from the seed.

    ``ids`` keep the order given; otherwise the bank's order is kept.  ``count``
    None takes every match; fewer picks a seeded sample; more repeats
    exercises (each occurrence gets a variant of its own).
    """
    from .. import bank

    pool = bank.select(exercises, topics=tuple(topics), kinds=tuple(kinds), ids=tuple(ids))
    if ids:
        order = list(dict.fromkeys(ids))
        pool = sorted(pool, key=lambda ex: order.index(ex.id))
    if not pool:
        raise TutorError(_("no exercises match the chosen topics, kinds and ids"))
    if count is None:
        return list(pool)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise TutorError(_("the number of questions must be a positive whole number, got {n!r}").format(n=count))
    rng = random.Random(f"tutor-sheet-choose:{seed}")
    rounds, rest = divmod(count, len(pool))
    picked = list(range(len(pool))) * rounds + rng.sample(range(len(pool)), rest)
    return [pool[i] for i in sorted(picked)]


def build(chosen, seed: int, student: str | None = None, student_name: str | None = None,
          title: str = "") -> Sheet:
    """Draw every chosen exercise's variant (personal when a student id is given)."""
    from .. import bank

    base = student_seed(seed, student) if student is not None else seed
    sheet = Sheet(seed=seed, student=student, student_name=student_name,
                  variant_seed=base if student is not None else None, title=title)
    for number, ex in enumerate(chosen, start=1):
        sheet.items.append(Item(number, bank.variant(ex, item_seed(base, number, ex.id))))
    return sheet
