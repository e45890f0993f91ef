"""Fit the slope of y = w*x by gradient descent.

xs and ys are the data (lists of numbers). Start from w = w0 and run `steps`
steps of gradient descent with learning rate `lr` on the mean squared error
mean((y - w*x)**2). Return the final value of w.
Run it: loss.backward() refuses to run.
"""
import torch


def fit_slope(xs: list, ys: list, w0: float, lr: float, steps: int) -> float:
    x = torch.tensor([float(v) for v in xs])
    y = torch.tensor([float(v) for v in ys])
    # TODO: autograd only follows tensors that ask for it; which one must it follow here?
    w = torch.tensor(float(w0))
    for step in range(steps):
        if w.grad is not None:
            w.grad.zero_()
        y_predicted = w * x
        loss = ((y - y_predicted) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
    return w.item()
