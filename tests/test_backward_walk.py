"""The walk of a predict question's program: on every predict exercise of the bank whose program runs a
backward pass, the walk's nodes are the nodes torch builds when the learner's own program runs (names and
order), its leaves' gradients are what that backward call gives, and every number of it is torch's."""
import contextlib
import io
import math
import warnings

import pytest

from tutor import bank
from tutor.engines.scenario import render
from tutor.engines.scenario.backward_walk import first_backward_walk
from tutor.foundation.paths import default_bank_dir

EXERCISES = [e for e in bank.load(default_bank_dir()) if e.kind == "predict"]
SEEDS = (0, 1, 7)


def first_backward_in_torch(scenario):
    """Run the rendered program; at its first backward call read torch's graph (every node below the loss,
    latest first) and, after the call, each leaf's .grad.  None if no backward call returns."""
    import torch

    seen = {}
    original = torch.Tensor.backward

    def spy(self, *args, **kwargs):
        if "graph" in seen:
            return original(self, *args, **kwargs)
        nodes, stack, leaves = {}, [self.grad_fn], {}
        while stack:
            fn = stack.pop()
            if fn is None or id(fn) in nodes:
                continue
            if type(fn).__name__ == "AccumulateGrad":
                leaves[id(fn.variable)] = fn.variable
                continue
            nodes[id(fn)] = fn
            stack.extend(f for f, _i in fn.next_functions)
        out = original(self, *args, **kwargs)
        seen["graph"] = [fn.name() for fn in sorted(nodes.values(), key=lambda f: -f._sequence_nr())]
        seen["grads"] = [None if t.grad is None else t.grad.detach().reshape(-1).tolist() for t in leaves.values()]
        return out

    torch.Tensor.backward = spy
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(render(scenario), "<scenario>", "exec"), {"torch": torch, "math": math})
    except Exception:
        pass
    finally:
        torch.Tensor.backward = original
        torch.set_grad_enabled(True)
    return seen if "graph" in seen else None


def _flat(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("ex", EXERCISES, ids=[e.id for e in EXERCISES])
def test_the_walk_is_the_learners_own_backward_pass(ex):
    for seed in SEEDS:
        v = bank.variant(ex, seed)
        w = first_backward_walk(v.scenario)
        torch_side = first_backward_in_torch(v.scenario)
        if w is None:
            # no backward pass to walk: the program raises before one completes, or it has none at all
            assert torch_side is None or torch_side["graph"] == [], (ex.id, seed)
            continue
        assert w.checked, (ex.id, seed, w.problems)
        assert torch_side is not None, (ex.id, seed)
        chain = [name for node in w.nodes for name in node.grad_fn.split(" <- ")]
        assert chain == torch_side["graph"], (ex.id, seed)
        ours = sorted(_flat(leaf.grad) for leaf in w.leaves)
        theirs = sorted(g for g in torch_side["grads"] if g is not None)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):            # float32 in the learner's program, exact in the walk
            assert a == pytest.approx(b, rel=1e-5, abs=1e-6), (ex.id, seed)


def test_most_predict_exercises_have_a_walk():
    """(Each exercise without one was shown above to complete no backward call in torch either.)"""
    walked = [e for e in EXERCISES if any(first_backward_walk(bank.variant(e, s).scenario) for s in SEEDS)]
    assert len(walked) >= 35, len(walked)


def test_the_walks_of_the_bank_cover_vectors_names_and_weights():
    """Not only scalars: the case study's vectors and named results, a backward with weights."""
    by_id = bank.by_id(EXERCISES)
    case = first_backward_walk(bank.variant(by_id["case-study-one-epoch"], 0).scenario)
    assert [n.name for n in case.nodes][:1] == ["loss"] and "y_predicted" in [n.name for n in case.nodes]
    assert isinstance(case.nodes[1].value, list) and {e.shape for n in case.nodes for e in n.edges} >= {
        "reduce", "elementwise", "broadcast"}
    weighted = first_backward_walk(bank.variant(by_id["vector-gradient-argument-weights"], 0).scenario)
    assert weighted.weights is not None and weighted.checked


def test_the_quiz_shows_the_walk_after_the_last_attempt_never_before(run_cli, tmp_path, monkeypatch):
    """``walk`` at the prompt costs nothing and gives nothing away; the final feedback (here a wrong last
    answer) and a skip carry the learner's own backward pass, node by node."""
    import json

    monkeypatch.setenv("TUTOR_DATA", str(tmp_path / "data"))
    r = run_cli("quiz", "--exercise", "backward-through-intermediate", "--json", "--seed", "3",
                input="walk\n1\n2\n3\n4\n")
    evs = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    before = [e for e in evs if e["event"] == "help"]
    assert before and "Backward0" not in json.dumps(before)
    feedback = [e for e in evs if e["event"] == "feedback"]
    assert len(feedback) >= 2 and not feedback[-1]["correct"] and feedback[-1]["attempts_left"] == 0
    assert all("walk" not in f for f in feedback[:-1])
    walk = feedback[-1]["walk"]
    assert any("[AddBackward0]" in line for line in walk) and sum("Backward0]" in line for line in walk) == 4
    assert "✗" not in "\n".join(walk)
    skipped = run_cli("quiz", "--exercise", "case-study-one-epoch", "--json", "--seed", "3", input="skip\n")
    (event,) = [json.loads(x) for x in skipped.stdout.splitlines() if '"skipped"' in x]
    assert any("[MeanBackward0]" in line for line in event["walk"])


def test_walk_at_the_prompt_of_a_program_without_a_backward_pass_promises_nothing(run_cli, tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("TUTOR_DATA", str(tmp_path / "data"))
    ex = next(e for e in EXERCISES if first_backward_walk(bank.variant(e, 0).scenario) is None
              and first_backward_in_torch(bank.variant(e, 0).scenario) is None)
    r = run_cli("quiz", "--exercise", ex.id, "--json", "--seed", "0", input="walk\nskip\n")
    evs = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    said = [e["text"] for e in evs if e["event"] == "help"]
    skipped = [e for e in evs if e["event"] == "skipped"]
    assert said and skipped and "walk" not in skipped[0]
    other = run_cli("quiz", "--exercise", "accumulate-three-backward", "--json", "--seed", "0", input="walk\nquit\n")
    promised = [json.loads(x)["text"] for x in other.stdout.splitlines() if '"help"' in x]
    assert promised and promised != said         # a walk is promised only where there is one
