"""Train y = w*x with two micro-batches per step.

The data xs, ys come in two micro-batches: the first two points and the last
two. Each step computes the mean squared error of each micro-batch, calls
backward() on each (so that w.grad is the gradient of loss1 + loss2), then
takes one torch.optim.SGD step with learning rate `lr`. Start from w = w0,
run `steps` steps and return the final w.
"""
import torch


def train(xs: list, ys: list, w0: float, lr: float, steps: int) -> float:
    x = torch.tensor([float(v) for v in xs])
    y = torch.tensor([float(v) for v in ys])
    x1, y1, x2, y2 = x[:2], y[:2], x[2:], y[2:]
    w = torch.tensor(float(w0), requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr)
    for step in range(steps):
        # TODO: the two backward() calls below must add up, but not with the previous steps
        loss1 = ((y1 - w * x1) ** 2).mean()
        loss1.backward()
        loss2 = ((y2 - w * x2) ** 2).mean()
        loss2.backward()
        opt.step()
    return w.item()
