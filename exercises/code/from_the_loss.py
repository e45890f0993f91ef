"""Fit y = w*x + b to a single point (x0, y0).

Start from w = 0 and b = 0 and run `steps` steps of gradient descent with
learning rate `lr` on the squared error (w*x0 + b - y0) ** 2.
Return the final value of w.
"""
import torch


def fit_point(x0: float, y0: float, lr: float, steps: int) -> float:
    x = torch.tensor(float(x0))
    y = torch.tensor(float(y0))
    w = torch.tensor(0.0, requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)
    for step in range(steps):
        if w.grad is not None:
            w.grad.zero_()
            b.grad.zero_()
        pred = w * x + b
        loss = (pred - y) ** 2
        # TODO: which tensor should backward() start from?
        pred.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return w.item()
