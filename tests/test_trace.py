"""tutor trace on the course's case study and on its classic mistakes."""
import json
from fractions import Fraction
from pathlib import Path

import pytest

COURSE = '''import torch
torch.manual_seed(21)
x = torch.randint(1,5,(1,20), dtype=torch.float)
y = torch.randint(1,5,(1,20), dtype=torch.float)
a = torch.tensor(1,requires_grad=True,dtype=torch.float)
b = torch.tensor(2,requires_grad=True,dtype=torch.float)
epochs = 51
lr = 0.01
for epoch in range(1,epochs):
    y_predicted = a * x + b
    loss = ((y - y_predicted) ** 2).mean()
    if (a.grad and b.grad) is not None:
        a.grad.zero_()
        b.grad.zero_()
    loss.backward()
    with torch.no_grad():
        a -= lr * a.grad
        b -= lr * b.grad
    print(f"epoch: {epoch}, loss: {loss}")
print(f"a: {a.grad}, b: {b.grad}")
'''
NO_ZERO = COURSE.replace("    if (a.grad and b.grad) is not None:\n        a.grad.zero_()\n        b.grad.zero_()\n", "")
ZERO_AFTER_BACKWARD = '''import torch
w = torch.tensor(3.0, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.1)
for step in range(5):
    loss = (w - 1) ** 2
    loss.backward()
    opt.zero_grad()
    opt.step()
'''
DELIBERATE = '''import torch
w = torch.tensor(3.0, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.1)
data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
for i in range(0, len(data), 4):
    for xi in data[i:i + 4]:
        loss = (w * xi - 1) ** 2 / 4
        loss.backward()
    opt.step()
    opt.zero_grad()
'''


def exact_course_trajectory():
    import torch

    torch.manual_seed(21)
    xs = [Fraction(v) for v in torch.randint(1, 5, (1, 20), dtype=torch.float).reshape(-1).tolist()]
    ys = [Fraction(v) for v in torch.randint(1, 5, (1, 20), dtype=torch.float).reshape(-1).tolist()]
    a, b, lr, n = Fraction(1), Fraction(2), Fraction(1, 100), len(xs)
    for _epoch in range(50):
        da = sum(-2 * x * (y - (a * x + b)) for x, y in zip(xs, ys)) / n
        db = sum(-2 * (y - (a * x + b)) for x, y in zip(xs, ys)) / n
        a, b = a - lr * da, b - lr * db
    return float(a), float(b)


def trace(run_cli, tmp_path, source, *args):
    script = tmp_path / "train.py"
    script.write_text(source)
    r = run_cli("trace", str(script), "--json", *args)
    assert r.exit_code in (0, 1), r.output
    result = json.loads(r.stdout)
    mistakes = [f for f in result["findings"] if f["id"] != "accumulation.deliberate"]
    assert r.exit_code == (1 if mistakes or result.get("stopped") else 0), r.output    # 1: a mistake, or stopped
    return result


def test_course_loop_has_no_mistake_and_follows_exact_gradient_descent(run_cli, tmp_path):
    result = trace(run_cli, tmp_path, COURSE)
    assert result["backward_calls"] == 50
    assert result["findings"] == []
    a, b = exact_course_trajectory()
    assert result["parameters"]["a"] == pytest.approx(a, rel=1e-5)
    assert result["parameters"]["b"] == pytest.approx(b, rel=1e-5)
    assert result["parameters"]["a"] == pytest.approx(0.183169, abs=1e-6)       # reference notes, item 9


def test_course_loop_without_zeroing_accumulates_from_step_2(run_cli, tmp_path):
    result = trace(run_cli, tmp_path, NO_ZERO)
    found = [f for f in result["findings"] if f["id"] == "accumulation.no-zero"]
    assert {f["tensor"] for f in found} == {"a", "b"}
    assert all(f["step"] == 2 for f in found)
    from tutor.features.grading.trace import short

    for f in found:                                  # the message quotes what .grad still held
        assert f["held"] and short(f["held"]) in f["message"]
    assert result["parameters"]["a"] == pytest.approx(0.564524, abs=1e-5)       # reference notes' simulator


def test_zeroing_between_backward_and_step_is_found(run_cli, tmp_path):
    result = trace(run_cli, tmp_path, ZERO_AFTER_BACKWARD)
    assert [f["id"] for f in result["findings"]] == ["zeroing.after-backward"]
    assert result["parameters"]["w"] == 3.0                                      # it never moved


def test_deliberate_accumulation_is_not_a_mistake(run_cli, tmp_path):
    result = trace(run_cli, tmp_path, DELIBERATE)
    assert [f["id"] for f in result["findings"]] == ["accumulation.deliberate"]
    assert result["backward_calls"] == 8


def test_plot_draws_both_loss_curves(run_cli, tmp_path):
    plot = tmp_path / "loss.svg"
    result = trace(run_cli, tmp_path, NO_ZERO, "--plot", str(plot))
    svg = plot.read_text()
    assert "<svg" in svg and svg.count('id="line2d_') >= 2             # two curves (matplotlib's lines)
    from tutor.foundation.i18n import _

    for text in (_("your loop"), _("with zeroing before backward"), _("backward call"), _("loss")):
        assert text.replace("'", "&#39;") in svg or text in svg          # text kept as text, none clipped away
    a, b = exact_course_trajectory()
    assert result["corrected_parameters"]["a"] == pytest.approx(a, rel=1e-5)


def test_trace_runs_sandboxed(run_cli, tmp_path):
    root = Path(__file__).resolve().parents[1]
    result = trace(run_cli, tmp_path, f"import torch\nopen({str(root / 'solutions' / 'README.md')!r}).read()\n")
    assert "FileNotFoundError" in result["stopped"]


LOOP = "import torch\nw = torch.tensor([1.0, -2.0], requires_grad=True)\n{setup}for step in range(5):\n" \
       "    loss = ((w - 3) ** 2).sum()\n{body}"
OTHER_WAYS = {
    # every way of zeroing, of calling backward and of updating the learner might write
    "module-zero-grad-between": ("import torch\nmodel = torch.nn.Linear(1, 1)\n"
                                 "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
                                 "x, y = torch.tensor([[1.0], [2.0]]), torch.tensor([[2.0], [4.0]])\n"
                                 "for step in range(5):\n    loss = ((model(x) - y) ** 2).mean()\n"
                                 "    loss.backward()\n    model.zero_grad()\n    opt.step()\n",
                                 "zeroing.after-backward", "model.weight"),
    "grad-data-zero-between": (LOOP.format(setup="", body="    loss.backward()\n    w.grad.data.zero_()\n"
                                           "    with torch.no_grad():\n        w -= 0.1 * w.grad\n"),
                               "zeroing.after-backward", "w"),
    "grad-times-zero-between": (LOOP.format(setup="opt = torch.optim.SGD([w], lr=0.1)\n",
                                            body="    loss.backward()\n    w.grad *= 0\n    opt.step()\n"),
                                "zeroing.after-backward", "w"),
    "grad-none-between": (LOOP.format(setup="opt = torch.optim.SGD([w], lr=0.1)\n",
                                      body="    loss.backward()\n    w.grad = None\n    opt.step()\n"),
                          "zeroing.after-backward", "w"),
    "autograd-backward-no-zero": (LOOP.format(setup="opt = torch.optim.SGD([w], lr=0.1)\n",
                                              body="    torch.autograd.backward(loss)\n    opt.step()\n"),
                                  "accumulation.no-zero", "w"),
    "data-update-no-zero": (LOOP.format(setup="", body="    loss.backward()\n    w.data -= 0.1 * w.grad\n"),
                            "accumulation.no-zero", "w"),
}


@pytest.mark.parametrize("name", sorted(OTHER_WAYS))
def test_every_way_of_writing_the_mistake_is_found(run_cli, tmp_path, name):
    source, finding, tensor = OTHER_WAYS[name]
    result = trace(run_cli, tmp_path, source)
    assert [(f["id"], f["tensor"]) for f in result["findings"]][:1] == [(finding, tensor)], result["findings"]


def test_plot_needs_a_known_format_and_says_how_to_get_matplotlib(tmp_path, monkeypatch):
    import builtins

    from tutor.features.grading.trace import plot_losses
    from tutor.foundation.errors import TutorError

    with pytest.raises(TutorError) as bad:
        plot_losses({"a": [1.0, 0.5]}, "t", tmp_path / "loss.jpg")
    assert bad.value.code == "trace.plot-format"
    real = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(TutorError) as missing:
        plot_losses({"a": [1.0, 0.5]}, "t", tmp_path / "loss.svg")
    assert missing.value.code == "trace.no-matplotlib" and "[plot]" in str(missing.value)
