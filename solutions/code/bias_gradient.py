"""The gradient of the mean squared error with respect to the bias.

xs and ys are the data (lists of numbers). For the line y = a*x + b at
a = a0, b = b0, return dL/db where L = mean((y - (a*x + b)) ** 2).
Run it: b.grad is None.
"""
import torch


def bias_grad(xs: list, ys: list, a0: float, b0: float) -> float:
    x = torch.tensor([float(v) for v in xs])
    y = torch.tensor([float(v) for v in ys])
    a = torch.tensor(float(a0), requires_grad=True)
    b = torch.tensor(float(b0), requires_grad=True)
    y_predicted = a * x + b
    loss = ((y - y_predicted) ** 2).mean()
    loss.backward()
    return b.grad.item()
