"""Differential tests in micrograd's spirit: generated programs, the exact answer against real torch.

* random scenarios (leaves, forward steps, backward with and without retain_graph, the three ways of
  zeroing, manual and optimizer updates, loops, no_grad blocks, retain_grad, vector leaves with sum and
  mean), simulated exactly by ``tutor.engines.scenario.simulate`` and run in torch: every value each
  program defines must agree (``same_answer``), errors included (same type, same message);
* random formulas at random rational points: sympy's gradient, torch's autograd and finite differences
  (``tutor.engines.gradients``) must agree wherever sympy says the point is an ordinary one.

The generators and the checks live in ``differential_cases`` (shared with ``scripts/differential.py``,
the long run).  Torch runs in the shared trusted worker, many programs per job: this process never imports
torch.  Each property is shown able to fail: a rule of the simulator broken on purpose, a belief (a
learner's wrong rule) switched on, a torch function swapped, must each be caught.
"""
import pytest
from differential_cases import (
    AGREE,
    DISAGREE,
    HypothesisDraw,
    check_expressions,
    check_scenarios,
    expression_case,
    scenario_spec,
    scenario_specs,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.engines.scenario.model import ERR_VERSION

# bounded and reproducible: the same examples on every run (the whole file takes about 20 s on 2 cores)
BOUNDED = settings(max_examples=6, deadline=None, derandomize=True, database=None, print_blob=False,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SCENARIOS_PER_EXAMPLE = 30       # one worker job per example: a batch, not one program
EXPRESSIONS_PER_EXAMPLE = 20


@st.composite
def scenario_batches(draw):
    d = HypothesisDraw(draw)
    return [scenario_spec(d) for _i in range(SCENARIOS_PER_EXAMPLE)]


@st.composite
def expression_batches(draw):
    d = HypothesisDraw(draw)
    return [expression_case(d) for _i in range(EXPRESSIONS_PER_EXAMPLE)]


def failures(checks):
    return [c for c in checks if c.verdict == DISAGREE]


# ------------------------------------------------------------------------------------------- scenarios

@BOUNDED
@given(scenario_batches())
def test_random_scenarios_simulate_exactly_what_torch_does(specs):
    checks = check_scenarios(specs)
    bad = failures(checks)
    assert not bad, "\n\n".join(c.describe() for c in bad[:3])
    # (a check that compared nothing would pass too: most programs are read, value by value)
    assert sum(len(c.asks) for c in checks) >= 3 * len(checks)


# minimal programs the generator found the simulation wrong about (each fixed; see the report of the change)
FOUND = {
    # x -= lr * x.grad reads x.grad first: None is a TypeError before the in-place error
    "update-none-grad-outside-no-grad": {
        "leaves": [{"name": "x", "value": "1"}], "steps": [{"update": ["x"], "lr": "0.5", "no_grad": False}],
        "ask": "x"},
    # ... and outside no_grad but with grad mode off it is allowed
    "update-outside-no-grad-grad-mode-off": {
        "leaves": [{"name": "x", "value": "1"}],
        "steps": [{"forward": "y", "expr": "sin(x)"}, {"backward": "y"}, {"set_grad_enabled": False},
                  {"update": ["x"], "lr": "0.5", "no_grad": False}], "ask": "x"},
    # retain_grad() on a tensor that needs no grad raises
    "retain-grad-no-grad": {
        "leaves": [{"name": "x", "value": "1", "requires_grad": False}], "steps": [{"retain_grad": "x"}],
        "ask": "x"},
    # `if (x.grad) is not None:` with one target has no `and`: no truth value of a vector is asked
    "guard-and-one-vector": {
        "leaves": [{"name": "x", "value": "1, 2"}],
        "steps": [{"forward": "h", "expr": "sum(x^2)"}, {"backward": "h"}, {"zero": ["x"], "guard": "and"}],
        "ask": "x.grad"},
    # `if w.grad is not None:` asks about the first target only, and zeroes them all
    "guard-is-not-none-first-target": {
        "leaves": [{"name": "x", "value": "1"}, {"name": "w", "value": "1"}],
        "steps": [{"forward": "h", "expr": "x^3"}, {"backward": "h"}, {"zero": ["w", "x"], "guard": "is_not_none"}],
        "ask": "x.grad"},
    # a loop that ran 0 times assigns nothing: NameError (the simulator crashed with KeyError)
    "loop-ran-zero-times": {
        "leaves": [{"name": "x", "value": "1"}],
        "steps": [{"repeat": "0", "body": [{"forward": "y", "expr": "x^2"}]}, {"backward": "y"}], "ask": "x.grad"},
    # retain_grad's gradient follows the graph, not an algebraic substitution ((3x)^2 is 9x^2 for sympy) ...
    "retain-grad-simplified-away": {
        "leaves": [{"name": "x", "value": "2"}],
        "steps": [{"forward": "b", "expr": "3 * x"}, {"retain_grad": "b"}, {"forward": "y", "expr": "b^2 + x^2"},
                  {"backward": "y"}], "ask": "b.grad"},
    # ... which also found b = x^2 inside an unrelated x^4
    "retain-grad-unrelated-power": {
        "leaves": [{"name": "x", "value": "2"}],
        "steps": [{"forward": "b", "expr": "x^2"}, {"retain_grad": "b"}, {"forward": "y", "expr": "b + x^4"},
                  {"backward": "y"}], "ask": "b.grad"},
    # ... and d|b|/db of a retained b (the simulator crashed: its symbol was not real)
    "retain-grad-abs": {
        "leaves": [{"name": "x", "value": "1, 1, 1"}],
        "steps": [{"forward": "loss", "expr": "sum(x)"}, {"retain_grad": "loss"},
                  {"forward": "h", "expr": "abs(loss) - x^3"}, {"backward": "h", "gradient": "-2, 0.5, -2"}],
        "ask": "loss.grad"},
    # z = z * z: the new z's graph holds the old z (freed by the first backward), not itself
    "rebound-name-freed-graph": {
        "leaves": [{"name": "x", "value": "1"}],
        "steps": [{"forward": "z", "expr": "x^2"}, {"backward": "z"}, {"forward": "z", "expr": "z * z"},
                  {"backward": "z"}], "ask": "x.grad"},
    # a result keeps the values it was computed from when a leaf moves later (torch saved them)
    "value-after-update": {
        "leaves": [{"name": "x", "value": "-1"}],
        "steps": [{"forward": "y", "expr": "x * x - sin(x)"}, {"backward": "x"},
                  {"update": ["x"], "lr": "0.25"}, {"forward": "h", "expr": "3 * y"}], "ask": "h"},
    # ... and a name given to another tensor does not change what was computed from the first one
    "rebound-no-grad-name": {
        "leaves": [{"name": "w", "value": "1, 2"}, {"name": "b", "value": "1.5"}],
        "steps": [{"forward": "loss", "expr": "tanh(w)", "mode": "no_grad"},
                  {"repeat": "2", "body": [{"forward": "loss", "expr": "b^2 - loss"}]}], "ask": "loss"},
    # two @torch.no_grad() functions for the same name: each keeps its own body
    "decorator-twice": {
        "leaves": [{"name": "x", "value": "1, 2"}],
        "steps": [{"forward": "z", "expr": "mean(x)", "mode": "decorator"}, {"forward": "loss", "expr": "sum(x)"},
                  {"forward": "z", "expr": "sin(loss) - z^3", "mode": "decorator"}], "ask": "z"},
    # a misshapen gradient is refused before "does not require grad"
    "gradient-shape-first": {
        "leaves": [{"name": "x", "value": "1, 1", "requires_grad": False}],
        "steps": [{"backward": "x", "gradient": "1, -2, 0.5"}], "ask": "x"},
    # the gradient argument has the program's dtype (float32's 0.1 is 1.5e-9 off in float64)
    "float64-gradient": {
        "leaves": [{"name": "x", "value": "1, 2"}],
        "steps": [{"forward": "y", "expr": "x^2"}, {"backward": "y", "gradient": "0.1, 0.3"}],
        "ask": "x.grad", "dtype": "float64"},
    # x + 1/3 divides Python numbers: no tensor saved, a second backward is fine
    "constant-division-saves-nothing": {
        "leaves": [{"name": "x", "value": "1"}],
        "steps": [{"forward": "loss", "expr": "x + 1/3"}, {"backward": "loss"}, {"backward": "loss"}],
        "ask": "x.grad"},
    # ... nor does a product of tensors that need no grad
    # a tensor made of a constant is made in the program's dtype (float32 rounding of sin(2) is 3e-8 off)
    "float64-constant-call": {
        "dtype": "float64", "leaves": [{"name": "x", "value": "1"}],
        "steps": [{"forward": "y", "expr": "sin(2) * x + exp(relu(0.1)) * x"}, {"backward": "y"}], "ask": "x.grad"},
    "no-grad-product-saves-nothing": {
        "leaves": [{"name": "x", "value": "1"}, {"name": "t", "value": "2", "requires_grad": False}],
        "steps": [{"forward": "y", "expr": "x + t * 2"}, {"backward": "y"}, {"backward": "y"}], "ask": "x.grad"},
}


@pytest.fixture(scope="module")
def found_checks():
    return dict(zip(FOUND, check_scenarios(list(FOUND.values()))))


@pytest.mark.parametrize("name", list(FOUND))
def test_what_the_generator_found_stays_fixed(found_checks, name):
    check = found_checks[name]
    assert check.verdict == AGREE, check.describe()


def test_backward_through_a_graph_whose_leaf_moved_raises_as_in_torch():
    spec = {"leaves": [{"name": "x", "value": "1"}],
            "steps": [{"forward": "y", "expr": "x * x"}, {"backward": "y", "retain_graph": True},
                      {"update": ["x"], "lr": "0.01"}, {"backward": "y"}], "ask": "x.grad"}
    (check,) = check_scenarios([spec])
    assert check.expected[0].error is not None and check.expected[0].error[1].startswith(ERR_VERSION)
    assert check.verdict == AGREE, check.describe()


@pytest.fixture(scope="module")
def corpus():
    """A fixed corpus: the checks can fail (below) on the programs the random tests draw."""
    return scenario_specs(120, seed=1)


def test_a_broken_accumulation_rule_is_caught(corpus, monkeypatch):
    from tutor.engines.scenario.simulate import Simulation

    def overwrite(self, t, g):
        t.grad = list(g)            # backward() replacing .grad instead of adding to it

    monkeypatch.setattr(Simulation, "accumulate", overwrite)
    assert len(failures(check_scenarios(corpus))) >= 3


@pytest.mark.parametrize("belief", ["second_backward_raises", "zero_grad_zeros", "no_grad_ignored", "sign"])
def test_a_learners_wrong_rule_is_caught(corpus, belief):
    assert failures(check_scenarios(corpus, beliefs=[belief]))


# ----------------------------------------------------------------------------------------- expressions

@BOUNDED
@given(expression_batches())
def test_random_expressions_sympy_torch_and_finite_differences_agree(cases):
    checks = check_expressions(cases)
    bad = failures(checks)
    assert not bad, "\n".join(c.describe() for c in bad[:3])


def test_a_wrong_torch_derivative_is_caught(monkeypatch):
    import dataclasses

    from differential_cases import expression_cases

    from tutor.mathlang.functions import FUNCTIONS

    # torch's program computes cos where sin was typed: its gradient differs from sympy's and the difference's
    monkeypatch.setitem(FUNCTIONS, "sin", dataclasses.replace(FUNCTIONS["sin"], python="torch.cos({args})"))
    cases = [c for c in expression_cases(200, seed=1) if "sin" in c[0]][:20]
    assert len(failures(check_expressions(cases))) >= 5
