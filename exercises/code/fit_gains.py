"""Fit one gain per input: w_i * x_i should match t_i.

xs and ts are the inputs and targets (lists of numbers). Start from gains
w = [1, 1, 1], run `steps` steps of gradient descent with learning rate `lr`
on the mean squared error mean((w_i * x_i - t_i) ** 2), and return the
final gains as a list of floats.
Run it: backward() refuses the loss.
"""
import torch


def fit_gains(xs: list, ts: list, lr: float, steps: int) -> list:
    x = torch.tensor([float(v) for v in xs])
    t = torch.tensor([float(v) for v in ts])
    w = torch.ones(len(xs), requires_grad=True)
    for step in range(steps):
        if w.grad is not None:
            w.grad.zero_()
        # TODO: how many numbers does this loss hold, and how many can backward() start from?
        loss = (w * x - t) ** 2
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
    return w.tolist()
