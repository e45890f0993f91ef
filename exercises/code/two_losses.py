"""Fit y = w*x with a prior that pulls w towards c.

Each step computes fit = mean((y - w*x) ** 2) and prior = (w - c) ** 2,
calls backward() on each (w.grad must be the gradient of fit + prior),
then updates w by gradient descent with learning rate `lr`.
Start from w = w0, run `steps` steps and return the final w.
"""
import torch


def train(xs: list, ys: list, c: float, w0: float, lr: float, steps: int) -> float:
    x = torch.tensor([float(v) for v in xs])
    y = torch.tensor([float(v) for v in ys])
    w = torch.tensor(float(w0), requires_grad=True)
    for step in range(steps):
        if w.grad is not None:
            w.grad.zero_()
        fit = ((y - w * x) ** 2).mean()
        fit.backward()
        # TODO: is this zeroing in its place?
        w.grad.zero_()
        prior = (w - c) ** 2
        prior.backward()
        with torch.no_grad():
            w -= lr * w.grad
    return w.item()
