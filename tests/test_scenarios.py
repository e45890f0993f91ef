"""Scenarios: the exact sympy simulation equals what torch prints; beliefs and
code mutations give the wrong answers the reference notes list; render() is
real Python.

Expected values and messages are typed in from
/work/shared/reference/autograd-behaviours.md (torch 2.13), not imported from
tutor.engines.scenario, so a changed constant fails here.
"""
import pytest

from tutor.bank.candidates import distinct, scenario_candidates
from tutor.bank.kinds import KINDS
from tutor.engines.scenario import (
    BELIEFS,
    BackwardEvent,
    UpdateEvent,
    build,
    mutate,
    render,
    run_in_torch,
    same_answer,
    simulate,
)
from tutor.engines.scenario.steps.zeroing import Zero

ERR_SCALAR = "RuntimeError: grad can be implicitly created only for scalar outputs"
ERR_NO_GRAD_FN = "RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn"
ERR_SECOND = (
    "RuntimeError: Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.")
ERR_ZERO_NONE = "AttributeError: 'NoneType' object has no attribute 'zero_'"
ERR_SHAPE = ("RuntimeError: Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has "
             "a shape of torch.Size([3]).")
ERR_AMBIGUOUS = "RuntimeError: Boolean value of Tensor with more than one value is ambiguous"
ERR_INPLACE = "RuntimeError: a leaf Variable that requires grad is being used in an in-place operation."
ERR_UPDATE_NONE = "TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'"


def predict_candidates(s, declared=None):
    return scenario_candidates(s, KINDS["predict"].misconceptions, declared, code=False)


def code_candidates(s):
    return scenario_candidates(s, KINDS["code"].misconceptions, None, code=True)


def leaf(name, value, requires_grad=True):
    return {"name": name, "value": value, "requires_grad": requires_grad}


def scen(steps, leaves=None, ask="x.grad", **extra):
    spec = {"leaves": leaves or [leaf("x", "3")], "steps": steps, "ask": ask, **extra}
    return build(spec, {})


def fwd(name, expr, **kw):
    return {"forward": name, "expr": expr, **kw}


def bwd(name="y", **kw):
    return {"backward": name, **kw}


def loop(n, *body):
    return {"repeat": str(n), "body": list(body)}


SQ = fwd("y", "x^2")
GD_ZEROED = [loop(5, {"zero": "x", "guard": "is_not_none"}, SQ, bwd(), {"update": "x", "lr": "0.1"})]
GD_NOT_ZEROED = [loop(5, SQ, bwd(), {"update": "x", "lr": "0.1"})]
AB = [leaf("a", "1"), leaf("b", "2")]

# (scenario builder, what print(ask) shows, exactly as the simulation writes it)
CASES = {
    # accumulation: x fixed, k un-zeroed backward calls give k * 6 (reference section 5)
    "accumulate-1": (lambda: scen([loop(1, SQ, bwd())]), "6"),
    "accumulate-2": (lambda: scen([loop(2, SQ, bwd())]), "12"),
    "accumulate-5": (lambda: scen([loop(5, SQ, bwd())]), "30"),
    "two-graphs-add": (lambda: scen([SQ, bwd(), fwd("z", "x^3"), bwd("z")]), "33"),
    # zeroing placement
    "zero-before-backward": (lambda: scen([loop(5, {"zero": "x", "guard": "is_not_none"}, SQ, bwd())]), "6"),
    "zero-after-backward": (lambda: scen([loop(3, SQ, bwd(), {"zero": "x"})]), "0"),
    "zero-before-update-x-never-moves": (
        lambda: scen([loop(4, SQ, bwd(), {"zero": "x"}, {"update": "x", "lr": "0.25"})], ask="x"), "3"),
    "zero-on-none": (lambda: scen([{"zero": "x"}, SQ, bwd()]), ERR_ZERO_NONE),
    "set-none-then-new-graph": (lambda: scen([SQ, bwd(), {"set_none": "x"}, fwd("z", "x^3"), bwd("z")]), "27"),
    # optimizer
    "opt-zero-grad-sets-none": (
        lambda: scen([SQ, bwd(), {"zero_grad": True}], optimizer={"params": ["x"], "lr": "0.1"}), "None"),
    "sgd-loop": (
        lambda: scen([loop(5, {"zero_grad": True}, SQ, bwd(), {"step": True})], ask="x",
                     optimizer={"params": ["x"], "lr": "0.1"}), "0.98304"),
    "sgd-zero-grad-before-step-never-moves": (
        lambda: scen([loop(3, SQ, bwd(), {"zero_grad": True}, {"step": True})], ask="x",
                     optimizer={"params": ["x"], "lr": "0.1"}), "3"),
    "manual-gd-zeroed": (lambda: scen(GD_ZEROED, ask="x"), "0.98304"),
    "manual-gd-not-zeroed": (lambda: scen(GD_NOT_ZEROED, ask="x"), "-2.42976"),
    "update-outside-no-grad": (
        lambda: scen([SQ, bwd(), {"update": "x", "lr": "0.1", "no_grad": False}], ask="x"), ERR_INPLACE),
    "update-with-none-grad": (lambda: scen([{"update": "x", "lr": "0.1"}], ask="x"), ERR_UPDATE_NONE),
    # backward twice / retain_graph
    "backward-twice": (lambda: scen([SQ, bwd(), bwd()]), ERR_SECOND),
    "backward-twice-2x-plus-1": (lambda: scen([fwd("y", "2 x + 1"), bwd(), bwd()]), ERR_SECOND),
    "retain-graph-doubles": (lambda: scen([SQ, bwd(retain_graph=True), bwd()]), "12"),
    "retain-graph-three-times": (
        lambda: scen([SQ, bwd(retain_graph=True), bwd(retain_graph=True), bwd()]), "18"),
    "sum-twice-silently-doubles": (
        lambda: scen([fwd("y", "sum(x)"), bwd(), bwd()], leaves=[leaf("x", "1, 2")]), "[2, 2]"),
    "mean-twice-silently-doubles": (
        lambda: scen([fwd("y", "mean(x)"), bwd(), bwd()], leaves=[leaf("x", "1, 2")]), "[1, 1]"),
    "plus-one-twice-silently-doubles": (lambda: scen([fwd("y", "x + 1"), bwd(), bwd()]), "2"),
    # leaves
    "nonleaf-grad-none": (
        lambda: scen([fwd("b", "3 a"), fwd("y", "b^2"), bwd()], leaves=[leaf("a", "2")], ask="b.grad"), "None"),
    "leaf-grad-through-nonleaf": (
        lambda: scen([fwd("b", "3 a"), fwd("y", "b^2"), bwd()], leaves=[leaf("a", "2")], ask="a.grad"), "36"),
    "retain-grad": (
        lambda: scen([fwd("b", "3 a"), {"retain_grad": "b"}, fwd("y", "b^2"), bwd()], leaves=[leaf("a", "2")],
                     ask="b.grad"), "12"),
    "retain-grad-does-not-keep-graph": (
        lambda: scen([fwd("b", "3 a"), {"retain_grad": "b"}, fwd("y", "b^2"), bwd(), bwd()],
                     leaves=[leaf("a", "2")], ask="a.grad"), ERR_SECOND),
    "is-leaf-of-result": (lambda: scen([SQ], ask="y.is_leaf"), "False"),
    "requires-grad-of-result": (lambda: scen([SQ], ask="y.requires_grad"), "True"),
    "no-requires-grad-leaf": (lambda: scen([SQ, bwd()], leaves=[leaf("x", "3", False)]), ERR_NO_GRAD_FN),
    # grad mode
    "no-grad": (lambda: scen([fwd("y", "x^2", mode="no_grad"), bwd()]), ERR_NO_GRAD_FN),
    "no-grad-decorator": (lambda: scen([fwd("y", "x^2", mode="decorator"), bwd()]), ERR_NO_GRAD_FN),
    "set-grad-enabled-context": (lambda: scen([fwd("y", "x^2", mode="set_grad_enabled"), bwd()]), ERR_NO_GRAD_FN),
    "set-grad-enabled-global": (lambda: scen([{"set_grad_enabled": False}, SQ, bwd()]), ERR_NO_GRAD_FN),
    "set-grad-enabled-restored": (
        lambda: scen([{"set_grad_enabled": False}, SQ, {"set_grad_enabled": True}, fwd("z", "x^3"), bwd("z")]),
        "27"),
    "no-grad-result-is-leaf": (lambda: scen([fwd("y", "x^2", mode="no_grad")], ask="y.is_leaf"), "True"),
    "no-grad-result-requires-grad": (
        lambda: scen([fwd("y", "x^2", mode="no_grad")], ask="y.requires_grad"), "False"),
    # vectors
    "vector-backward-no-gradient": (lambda: scen([SQ, bwd()], leaves=[leaf("x", "1, 2, 3")]), ERR_SCALAR),
    "vjp-gradient": (
        lambda: scen([SQ, bwd(gradient="0.1, 1, 0.0001")], leaves=[leaf("x", "1, 2, 3")]), "[0.2, 4, 0.0006]"),
    "vjp-ones": (lambda: scen([SQ, bwd(gradient="1, 1, 1")], leaves=[leaf("x", "1, 2, 3")]), "[2, 4, 6]"),
    "gradient-wrong-shape": (lambda: scen([SQ, bwd(gradient="1, 1")], leaves=[leaf("x", "1, 2, 3")]), ERR_SHAPE),
    "scalar-gradient-for-vector": (
        lambda: scen([SQ, bwd(gradient="1")], leaves=[leaf("x", "1, 2, 3")]),
        "RuntimeError: Mismatch in shape: grad_output[0] has a shape of torch.Size([]) and output[0] has a shape "
        "of torch.Size([3])."),
    "sum-backward": (lambda: scen([fwd("y", "sum(x^2)"), bwd()], leaves=[leaf("x", "1, 2, 3, 4")]), "[2, 4, 6, 8]"),
    "mean-one-over-n": (
        lambda: scen([fwd("y", "mean(x^2)"), bwd()], leaves=[leaf("x", "1, 2, 3, 4")]), "[0.5, 1, 1.5, 2]"),
    "indexed-grad": (
        lambda: scen([fwd("y", "sum(x^3)"), bwd()], leaves=[leaf("x", "1, 2, 3")], ask="x.grad[1]"), "12"),
    # the course's `if (a.grad and b.grad) is not None:` (reference section 9)
    "guard-and-zeroes-scalars": (
        lambda: scen([loop(3, fwd("y", "(2 a + b - 3)^2"), {"zero": ["a", "b"], "guard": "and"}, bwd("y"),
                          {"update": ["a", "b"], "lr": "0.01"})], leaves=AB, ask="a.grad"), "3.24"),
    "guard-and-b-unused-accumulates": (
        lambda: scen([loop(3, fwd("y", "(2 a - 3)^2"), {"zero": ["a", "b"], "guard": "and"}, bwd("y"),
                          {"update": "a", "lr": "0.01"})], leaves=AB, ask="a.grad"), "-10.7456"),
    "guard-and-vector-ambiguous": (
        lambda: scen([loop(2, fwd("y", "sum((a - 3)^2) + b"), {"zero": ["a", "b"], "guard": "and"}, bwd("y"),
                          {"update": ["a", "b"], "lr": "0.01"})], leaves=[leaf("a", "1, 1"), leaf("b", "2")],
                     ask="a.grad"), ERR_AMBIGUOUS),
    "guard-and-zero-grad-b-none": (
        lambda: scen([loop(2, fwd("y", "(3 - a t)^2"), {"zero": ["a", "b"], "guard": "and"}, bwd("y"))],
                     leaves=AB + [leaf("t", "0", False)], ask="a.grad"), ERR_ZERO_NONE),
    # dtype
    "float64-sin": (lambda: scen([fwd("y", "sin(x)"), bwd()], leaves=[leaf("x", "0.3")], dtype="float64"),
                    "0.9553364891"),
    "float64-exp": (lambda: scen([fwd("y", "exp(2 x)"), bwd()], leaves=[leaf("x", "0.1")], dtype="float64"),
                    "2.442805516"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_simulation_equals_torch(name):
    make, expected = CASES[name]
    s = make()
    sim = simulate(s).answer
    assert sim.text() == expected
    got = run_in_torch(s)
    assert same_answer(sim, got, s.dtype), f"sympy {sim.text()} but torch prints {got.text()}"
    if sim.kind == "error":       # torch's exact type and first line
        assert f"{got.error[0]}: {got.error[1]}" == expected


def test_float64_is_rendered_and_tighter_than_float32():
    s = scen([fwd("y", "x^2"), bwd()], leaves=[leaf("x", "1/3")], dtype="float64")
    assert "dtype=torch.float64" in render(s)
    got = run_in_torch(s)
    assert abs(got.floats()[0] - 2 / 3) < 1e-15
    s32 = scen([fwd("y", "x^2"), bwd()], leaves=[leaf("x", "1/3")])
    got32 = run_in_torch(s32)
    assert abs(got32.floats()[0] - 2 / 3) > 1e-9           # float32 rounding is visible ...
    assert same_answer(simulate(s32).answer, got32, "float32")   # ... and tolerated


def test_same_answer_rejects_a_wrong_value_and_a_wrong_message():
    s = scen([loop(5, SQ, bwd())])
    sim = simulate(s).answer
    wrong = simulate(s, ["overwrite"]).answer
    assert not same_answer(sim, wrong, "float32")
    err = simulate(scen([SQ, bwd(), bwd()])).answer
    other = simulate(scen([{"zero": "x"}])).answer
    assert not same_answer(err, other, "float32")


def test_backward_through_freed_shared_subgraph():
    s = scen([SQ, fwd("z", "3 y"), bwd("z"), fwd("w", "y + 1"), bwd("w")])
    assert run_in_torch(s).text() == ERR_SECOND
    assert simulate(s).answer.text() == ERR_SECOND


def test_backward_of_a_leaf():
    s = scen([bwd("x")])
    assert run_in_torch(s).text() == "1"
    assert simulate(s).answer.text() == "1"


def test_gradient_identically_zero_is_zero_not_none():
    s = scen([fwd("y", "x - x"), bwd()])
    assert run_in_torch(s).text() == "0"
    assert simulate(s).answer.text() == "0"


# --------------------------------------------------------------- beliefs

# belief -> (scenario, correct answer, the answer a learner holding the belief predicts)
BELIEF_CASES = {
    "overwrite": (lambda: scen([loop(5, SQ, bwd())]), "30", "6"),
    "zero_anywhere": (lambda: scen([loop(4, SQ, bwd(), {"zero": "x"}, {"update": "x", "lr": "0.25"})], ask="x"),
                      "3", "0.1875"),
    "zero_grad_zeros": (lambda: scen([SQ, bwd(), {"zero_grad": True}], optimizer={"params": ["x"], "lr": "0.1"}),
                        "None", "0"),
    "mean_is_sum": (lambda: scen([fwd("y", "mean(x^2)"), bwd()], leaves=[leaf("x", "1, 2, 3, 4")]),
                    "[0.5, 1, 1.5, 2]", "[2, 4, 6, 8]"),
    "gradient_ignored": (lambda: scen([SQ, bwd(gradient="0.1, 1, 0.0001")], leaves=[leaf("x", "1, 2, 3")]),
                         "[0.2, 4, 0.0006]", "[2, 4, 6]"),
    "no_grad_ignored": (lambda: scen([fwd("y", "x^2", mode="no_grad"), bwd()]), ERR_NO_GRAD_FN, "6"),
    "graph_kept": (lambda: scen([SQ, bwd(), bwd()]), ERR_SECOND, "12"),
    "second_backward_raises": (lambda: scen([fwd("y", "sum(x)"), bwd(), bwd()], leaves=[leaf("x", "1, 2")]),
                               "[2, 2]", ERR_SECOND),
    "nonleaf_grad": (lambda: scen([fwd("b", "3 a"), fwd("y", "b^2"), bwd()], leaves=[leaf("a", "2")],
                                  ask="b.grad"), "None", "12"),
    "sign": (lambda: scen([SQ, bwd(), {"update": "x", "lr": "0.1"}], ask="x"), "2.4", "3.6"),
    "loop_plus_one": (lambda: scen([loop(3, SQ, bwd())]), "18", "24"),
    "loop_minus_one": (lambda: scen([loop(3, SQ, bwd())]), "18", "12"),
}


def test_every_belief_has_a_case():
    assert set(BELIEF_CASES) == set(BELIEFS)


@pytest.mark.parametrize("belief", list(BELIEF_CASES))
def test_belief_changes_the_answer(belief):
    make, correct, believed = BELIEF_CASES[belief]
    s = make()
    assert simulate(s).answer.text() == correct
    assert simulate(s, [belief]).answer.text() == believed


def test_mean_is_sum_is_off_by_exactly_n():
    s = scen([fwd("y", "mean(x^2)"), bwd()], leaves=[leaf("x", "1, 2, 3, 4, 5")])
    right = simulate(s).answer.floats()
    wrong = simulate(s, ["mean_is_sum"]).answer.floats()
    assert [w / r for w, r in zip(wrong, right)] == [5.0] * 5


def test_sign_belief_climbs_the_loss():
    s = scen(GD_ZEROED, ask="x")
    assert simulate(s, ["sign"]).answer.text() == "7.46496"      # 3 * 1.2^5


def test_belief_candidates_for_a_predict_scenario():
    s = scen([loop(3, fwd("y", "x^2 + 1.75 x"), bwd())])
    got = {c.id: c.answer.text() for c in predict_candidates(s)}
    # 3 * (2*3 + 1.75) = 23.25 is right; f(3) = 14.25
    assert got["accumulation.overwrite"] == "7.75"
    assert got["loop.one-more"] == "31"
    assert got["loop.one-fewer"] == "15.5"
    assert got["answer.value-as-grad"] == "14.25"
    assert "reduction.mean-vs-sum" not in got        # no mean: same answer, left out
    assert "answer.grad-as-value" not in got         # asks for a grad already


def test_declared_ids_are_kept_even_when_they_coincide():
    s = scen([SQ, bwd()], leaves=[leaf("x", "2")])   # f(2) = 4 = f'(2)
    cands = predict_candidates(s, ["answer.value-as-grad"])
    assert [(c.id, c.answer.text()) for c in cands] == [("answer.value-as-grad", "4")]
    assert not distinct([simulate(s).answer] + [c.answer for c in cands])


# ------------------------------------------------------ code mutations

def test_no_zero_mutation_gives_the_running_sum_trajectory():
    s = scen(GD_ZEROED, ask="x")
    assert simulate(s).answer.text() == "0.98304"
    m = mutate(s, "drop-zeroing")
    run = simulate(m)
    assert run.answer.text() == "-2.42976"
    grads = [float(e.grads["x"][0]) for e in run.events if isinstance(e, BackwardEvent)]
    xs = [float(e.values["x"][0]) for e in run.events if isinstance(e, UpdateEvent)]
    assert grads == pytest.approx([6.0, 10.8, 13.44, 13.392, 10.6656])
    assert xs == pytest.approx([2.4, 1.32, -0.024, -1.3632, -2.42976])
    assert same_answer(run.answer, run_in_torch(m), "float32")
    # the reference itself is left alone
    assert any(isinstance(st, Zero) for st in s.steps[0].body)


def test_code_candidates_for_gradient_descent():
    s = scen(GD_ZEROED, ask="x")
    got = [(c.id, c.answer.text()) for c in code_candidates(s)]
    assert got == [
        ("accumulation.no-zero", "-2.42976"),
        ("zeroing.after-backward", "3"),          # the update uses a zeroed gradient
        ("update.sign", "7.46496"),
        ("loop.one-more", "0.786432"),            # 3 * 0.8^6
        ("loop.one-fewer", "1.2288"),             # 3 * 0.8^4
        ("answer.grad-as-value", "2.4576"),       # x.grad after the last step
    ]


def test_zero_after_backward_mutation_moves_the_zero():
    s = scen(GD_ZEROED, ask="x")
    m = mutate(s, "zero-after-backward")
    kinds = [st.key for st in m.steps[0].body]
    assert kinds == ["forward", "backward", "zero", "update"]
    assert m.steps[0].body[2].guard == "none"
    assert "x.grad.zero_()" in render(m) and "is not None" not in render(m)


def test_mutations_that_do_not_apply_give_none():
    s = scen(GD_ZEROED, ask="x")
    assert mutate(s, "mean-to-sum") is None      # no mean()
    no_loop = scen([SQ, bwd()])
    assert mutate(no_loop, "loop-plus-one") is None
    assert mutate(no_loop, "drop-zeroing") is None
    assert mutate(no_loop, "flip-update-sign") is None


def test_mean_vs_sum_mutation():
    s = scen([fwd("y", "mean(x^2)"), bwd()], leaves=[leaf("x", "1, 2, 3, 4")])
    m = mutate(s, "mean-to-sum")
    assert simulate(m).answer.text() == "[2, 4, 6, 8]"
    assert "(x ** 2).sum()" in render(m) or "torch.sum(x ** 2)" in render(m)


def test_sign_mutation_flips_the_optimizer_lr():
    s = scen([loop(2, {"zero_grad": True}, SQ, bwd(), {"step": True})], ask="x",
             optimizer={"params": ["x"], "lr": "0.1"})
    assert simulate(s).answer.text() == "1.92"
    assert simulate(mutate(s, "flip-update-sign")).answer.text() == "4.32"


# --------------------------------------------------------------- render

@pytest.mark.parametrize("name", list(CASES))
def test_render_compiles(name):
    s = CASES[name][0]()
    code = render(s)
    compile(code, f"<{name}>", "exec")
    assert code.startswith("import torch\n")
    assert code.rstrip().endswith(f"print({s.ask})")


def test_render_reads_like_the_course():
    s = scen(GD_ZEROED, ask="x")
    assert render(s) == (
        "import torch\n"
        "\n"
        "x = torch.tensor(3.0, requires_grad=True)\n"
        "\n"
        "for step in range(5):\n"
        "    if x.grad is not None:\n"
        "        x.grad.zero_()\n"
        "    y = x ** 2\n"
        "    y.backward()\n"
        "    with torch.no_grad():\n"
        "        x -= 0.1 * x.grad\n"
        "print(x)\n")


def test_render_of_each_construct():
    code = render(CASES["guard-and-zeroes-scalars"][0]())
    assert "    if (a.grad and b.grad) is not None:\n        a.grad.zero_()\n        b.grad.zero_()\n" in code
    code = render(CASES["no-grad-decorator"][0]())
    assert "@torch.no_grad()\ndef compute_y(x):\n    return x ** 2\n" in code and "y = compute_y(x)" in code
    assert "with torch.set_grad_enabled(False):\n    y = x ** 2" in render(CASES["set-grad-enabled-context"][0]())
    assert "torch.set_grad_enabled(False)\n" in render(CASES["set-grad-enabled-global"][0]())
    assert "with torch.no_grad():\n    y = x ** 2" in render(CASES["no-grad"][0]())
    assert "y.backward(retain_graph=True)\ny.backward()" in render(CASES["retain-graph-doubles"][0]())
    assert "y.backward(gradient=torch.tensor([0.1, 1.0, 0.0001]))" in render(CASES["vjp-gradient"][0]())
    code = render(CASES["sgd-loop"][0]())
    assert "opt = torch.optim.SGD([x], lr=0.1)" in code and "opt.zero_grad()" in code and "opt.step()" in code
    assert "b.retain_grad()" in render(CASES["retain-grad"][0]())
    assert "x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)" in render(CASES["vjp-ones"][0]())
    assert "t = torch.tensor(0.0)\n" in render(CASES["guard-and-zero-grad-b-none"][0]())
    third = render(scen([SQ, bwd()], leaves=[leaf("x", "1/3")]))
    assert "x = torch.tensor((1/3), requires_grad=True)" in third


# ------------------------------------------------------ flags are TOML booleans (they were read with bool())

@pytest.mark.parametrize("spec,path", [
    ({"leaves": [{"name": "x", "value": "3", "requires_grad": "no"}], "steps": [SQ], "ask": "y"},
     "leaves[0].requires_grad"),
    ({"steps": [SQ, bwd(retain_graph="yes")]}, "steps[1].retain_graph"),
    ({"steps": [SQ, bwd(), {"update": "x", "lr": "0.1", "no_grad": 1}], "ask": "x"}, "steps[2].no_grad"),
    ({"steps": [{"set_grad_enabled": "False"}, SQ]}, "steps[0].set_grad_enabled"),
    ({"steps": [SQ, bwd(), {"zero_grad": False}], "optimizer": {"params": ["x"], "lr": "0.1"}}, "steps[2].zero_grad"),
    ({"steps": [SQ, bwd(), {"step": False}], "ask": "x", "optimizer": {"params": ["x"], "lr": "0.1"}},
     "steps[2].step"),
])
def test_flags_must_be_booleans(spec, path):
    from tutor.foundation.errors import TutorError

    full = {"leaves": [leaf("x", "3")], "ask": "x.grad", **spec}
    with pytest.raises(TutorError) as info:
        build(full, {}, where="ex.scenario")
    assert info.value.code == "scenario.flag"
    assert f"ex.scenario.{path}" in info.value.message


def test_false_flags_mean_false():
    s = scen([SQ, bwd()], leaves=[leaf("x", "3", False)])
    assert simulate(s).answer.text().startswith("RuntimeError")
    s = scen([{"set_grad_enabled": False}, SQ], ask="y.requires_grad")
    assert simulate(s).answer.text() == "False"


# ------------------------------------------------------ one class per step kind

def test_every_step_kind_renders_simulates_and_is_documented():
    from tutor.engines.scenario.steps import kinds

    keys = [k.key for k in kinds()]
    assert keys[:2] == ["forward", "backward"] and len(keys) == len(set(keys)) == 10
    for k in kinds():
        assert k.example and k.renders, k.key


@pytest.mark.parametrize("spec,path", [
    ({"leaves": [{"name": "x", "value": "3"}], "steps": [{"forward": "y", "expr": "x^2"},
                                                        {"backward": "y", "retian_graph": True}], "ask": "x.grad"},
     "steps[1].retian_graph"),
    ({"leaves": [{"name": "x", "value": "3"}], "steps": [{"forward": "y", "expr": "x^2", "mod": "no_grad"}],
      "ask": "y"}, "steps[0].mod"),
    ({"leaves": [{"name": "x", "value": "3"}], "steps": [{"zero": "x", "gaurd": "none"}], "ask": "x"},
     "steps[0].gaurd"),
    ({"leaves": [{"name": "x", "value": "3"}], "optimizer": {"params": ["x"], "lr": 0.1, "momentum": 0.9},
      "steps": [], "ask": "x"}, "optimizer.momentum"),
    ({"leaves": [{"name": "x", "value": "3", "requires": False}], "steps": [], "ask": "x"}, "leaves[0].requires"),
    ({"leaves": [{"name": "x", "value": "3"}], "step": [], "ask": "x"}, "step"),
])
def test_a_typo_in_a_scenario_key_is_an_error_naming_its_path(spec, path):
    # a misspelt key was silently ignored and flipped the answer key while tutor check passed (ISSUE 12)
    from tutor.engines.scenario import build
    from tutor.foundation.errors import TutorError

    with pytest.raises(TutorError) as info:
        build(spec, {}, where="ex.scenario")
    assert info.value.code == "scenario.unknown-key" and f"ex.scenario.{path}" in str(info.value)


def test_runs_of_one_draw_expand_each_line_once_and_compute_each_value_once(monkeypatch):
    """The candidates' runs reuse what the first run of a draw computed (the same answer, no new work)."""
    import tutor.mathlang.sym as sym
    from tutor.engines.scenario.steps import forward

    expansions, values = [], []
    real_expand = sym.expand_elements
    monkeypatch.setattr(sym, "expand_elements", lambda *a, **k: expansions.append(a[0]) or real_expand(*a, **k))
    monkeypatch.setattr(forward, "_EXPANDED", {})
    s = scen([loop(3, {"zero_grad": True}, fwd("h", "x * 3"), fwd("y", "h^2 + x"), bwd(), {"step": True})],
             optimizer={"params": ["x"], "lr": "0.01"})
    first = simulate(s)
    done = len(expansions)
    values.extend(k for k in first.memo if k[0] == "forward")
    assert done and values
    again = simulate(s, memo=first.memo)
    assert len(expansions) == done                               # every line already expanded
    assert [k for k in again.memo if k[0] == "forward"] == values   # every value already computed
    assert again.answer == first.answer
    # a run that takes another path (the learner who never zeroes) computes only what differs
    mutated = simulate(mutate(s, "drop-zeroing"), memo=first.memo)
    assert mutated.answer != first.answer
