"""Misconceptions: stable ids, the wrong belief (the title), what torch (or calculus) does instead, the fix,
and how each is injected.

The wrong answer of a misconception is never typed in by hand: it is computed
by running the exercise with the mistake injected, by one of four mechanisms:

* a **belief** (predict): the scenario simulated under a wrong rule
  (:data:`tutor.engines.scenario.BELIEFS`);
* a **mutation** (code): the reference program changed as a learner's code
  would be (:data:`tutor.engines.scenario.MUTATIONS`);
* an answer **slip**: the gradient reported for the value, or the value for
  the gradient;
* a **derivative** taken with one rule broken (:mod:`tutor.engines.derivatives`).

The ids are stable: they appear in JSON output, reports and the cohort summary.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..foundation.i18n import _


@dataclass(frozen=True)
class Misconception:
    id: str
    title: str              # the wrong belief as the learner holds it ("backward() overwrites .grad"), distinct
    explanation: str        # what torch (or calculus) does; placeholders filled per question
    fix: str                # the corrected code or rule
    ref: str = ""           # the catalogue entry in the reference notes (M1 ...)
    belief: str | None = None       # predict: the simulation rule that is wrong
    mutation: str | None = None     # code: the change to the reference program
    slip: str | None = None         # grad-as-value | value-as-grad
    derivative: str | None = None   # derive: the broken rule


CATALOGUE: dict[str, Misconception] = {m.id: m for m in [
    Misconception(
        "accumulation.overwrite", _("backward() overwrites .grad"),
        _("backward() adds into .grad; it never overwrites it. Here backward runs {k} times without zeroing, "
          "so {consequence}"),
        "x.grad = None       # before each backward (x.grad.zero_() fails while .grad is still None)\n"
        "y.backward()", "M1",
        belief="overwrite"),
    Misconception(
        "accumulation.no-zero", _("gradients reset themselves after each step"),
        _("Nothing zeroes .grad, so every backward() adds to the gradients of the earlier steps and the "
          "update uses their running sum: {target} ends at {wrong} instead of {correct}."),
        "opt.zero_grad()     # or x.grad = None\nloss.backward()\nopt.step()", "M1",
        mutation="drop-zeroing"),
    Misconception(
        "zeroing.placement", _("it does not matter where .grad is zeroed"),
        _("The zeroing runs after backward() and before the update, so the update uses a zero (or None) "
          "gradient: {target} is {correct}. Zero before backward (or after the update) instead."),
        "x.grad = None       # first (x.grad.zero_() fails on the first step: .grad is None)\n"
        "loss.backward()\nwith torch.no_grad():\n    x -= lr * x.grad", "M2",
        belief="zero_anywhere"),
    Misconception(
        "zeroing.after-backward", _("zero_grad() belongs right after backward()"),
        _("Zeroing right after backward() discards the gradient before the update uses it, so the "
          "parameters never move: {target} is {wrong}, not {correct}."),
        "opt.zero_grad()\nloss.backward()\nopt.step()", "M2",
        mutation="zero-after-backward"),
    Misconception(
        "zeroing.zero-grad-none", _("optimizer.zero_grad() fills .grad with zeros"),
        _("optimizer.zero_grad() sets every .grad to None (set_to_none=True by default), not to zeros: "
          "{target} is {correct}."),
        "opt.zero_grad()            # .grad becomes None\nopt.zero_grad(set_to_none=False)   # zeros", "M16",
        belief="zero_grad_zeros"),
    Misconception(
        "reduction.mean-vs-sum", _("mean() gives the same gradient as sum()"),
        _("mean() divides by the number of elements, so each gradient is 1/n of the sum's: {target} is "
          "{correct}, not {wrong}."),
        "loss = ((y - y_pred) ** 2).mean()   # gradient / n\nloss = ((y - y_pred) ** 2).sum()    # no 1/n", "M4",
        belief="mean_is_sum", mutation="mean-to-sum"),
    Misconception(
        "vjp.gradient-ignored", _("backward(gradient=v) ignores v"),
        _("y.backward(gradient=v) computes the vector-Jacobian product v^T J: each element's derivative "
          "is multiplied by its v_i. {target} is {correct}, not {wrong}."),
        "y.backward(gradient=torch.ones_like(y))   # plain derivatives, same as y.sum().backward()", "M5",
        belief="gradient_ignored"),
    Misconception(
        "grad-mode.no-grad-ignored", _("results computed under no_grad are still tracked"),
        _("Results computed under torch.no_grad(), a @torch.no_grad() function or "
          "torch.set_grad_enabled(False) do not require grad and have no grad_fn: {target} is {correct}."),
        "with torch.no_grad():      # only for work that needs no gradient\n    y_eval = model(x)\n"
        "loss = f(x)                # outside: tracked\nloss.backward()", "M14",
        belief="no_grad_ignored"),
    Misconception(
        "retain-graph.needed", _("the graph survives backward() for a second call"),
        _("backward() frees the saved tensors of the graph, so a second backward() through it raises "
          "unless the first call passed retain_graph=True: {target} is {correct}."),
        "y.backward(retain_graph=True)\ny.backward()", "M12",
        belief="graph_kept"),
    Misconception(
        "retain-graph.always-raises", _("a second backward() always raises"),
        _("This graph saves no tensors (sums, means, + and - only), so the second backward() does not "
          "raise: it silently adds the gradient again, and {target} is {correct}."),
        "x.grad = None   # or zero it, if the second backward was not meant to add", "M13",
        belief="second_backward_raises"),
    Misconception(
        "leaf.nonleaf-grad", _("every tensor in the graph gets a .grad"),
        _("Only leaf tensors keep .grad; a tensor computed from others (a non-leaf) gets .grad only after "
          ".retain_grad(): {target} is {correct}."),
        "b.retain_grad()   # before backward, to keep a non-leaf's gradient", "M9",
        belief="nonleaf_grad"),
    Misconception(
        "update.sign", _("gradient descent adds the gradient"),
        _("Gradient descent moves against the gradient: x -= lr * x.grad. Adding it climbs the loss, and "
          "{target} would be {wrong} instead of {correct}."),
        "with torch.no_grad():\n    x -= lr * x.grad", "M22",
        belief="sign", mutation="flip-update-sign"),
    Misconception(
        "loop.one-more", _("range(k) runs k + 1 times"),
        _("range({count}) runs {count} times: {target} is {correct}; {wrong} is what one more step gives."),
        "for step in range(k):   # k steps: 0, 1, ..., k-1", "M8",
        belief="loop_plus_one", mutation="loop-plus-one"),
    Misconception(
        "loop.one-fewer", _("range(k) runs k - 1 times"),
        _("range({count}) runs {count} times: {target} is {correct}; {wrong} is what one step fewer gives."),
        "for step in range(k):   # k steps: 0, 1, ..., k-1", "M8",
        belief="loop_minus_one", mutation="loop-minus-one"),
    Misconception(
        "answer.grad-as-value", _("the parameter's value is its .grad"),
        _("{wrong} is the gradient ({name}.grad); the question asks for {target} itself, which is {correct}."),
        "print(x)        # the parameter\nprint(x.grad)   # its gradient", "M7",
        slip="grad-as-value"),
    Misconception(
        "answer.value-as-grad", _("the function's value is its derivative"),
        _("{wrong} is the value of the function; {target} is its derivative, {correct}."),
        "y = f(x)\ny.backward()\nprint(x.grad)   # f'(x), not f(x)", "M23",
        slip="value-as-grad"),
    # derive
    Misconception(
        "derive.not-differentiated", _("the derivative of f is f itself"),
        _("That is f itself; the question asks for its derivative."), "", "M23",
        derivative="not-differentiated"),
    Misconception(
        "derive.integrated", _("differentiating raises the exponent, as integrating does"),
        _("That is an antiderivative of f (its derivative gives f back); differentiate instead: "
          "d/dx x^n = n x^(n-1)."), "d/dx x^n = n*x^(n-1)",
        derivative="integrated"),
    Misconception(
        "derive.missing-chain-factor", _("the derivative of f(g(x)) is just f'(g(x))"),
        _("The outer derivative is right, but the chain rule multiplies by the derivative of the inside: "
          "d/dx f(g(x)) = f'(g(x)) * g'(x)."), "d/dx f(g(x)) = f'(g(x)) * g'(x)",
        derivative="chain"),
    Misconception(
        "derive.sign", _("differentiating never changes a sign"),
        _("The sign is flipped: check d/dx cos(x) = -sin(x) and the minus signs inside."),
        "d/dx cos(x) = -sin(x);  d/dx exp(-x) = -exp(-x)",
        derivative="sign"),
    Misconception(
        "derive.power-rule", _("the power rule keeps the exponent: d/dx x^n = n x^n"),
        _("The power rule lowers the exponent by one: d/dx x^n = n x^(n-1), not n x^n."), "d/dx x^n = n*x^(n-1)",
        derivative="power"),
    Misconception(
        "derive.product-rule", _("the derivative of a product is the product of the derivatives"),
        _("The derivative of a product is not the product of the derivatives: (f g)' = f' g + f g'."),
        "(f*g)' = f'*g + f*g'",
        derivative="product"),
    Misconception(
        "derive.wrong-variable", _("a partial derivative may be taken with respect to any variable"),
        _("That is the partial derivative with respect to {other}; the question asks about {wrt}."), "",
        derivative="wrong-variable"),
]}


def explain(mid: str, **values: Any) -> str:
    """The misconception's explanation with the question's own numbers."""
    text = CATALOGUE[mid].explanation
    try:
        return text.format(**values)
    except (KeyError, IndexError):
        return text.split(":")[0] + "."
