"""Descend on f(x) = x**4 / 4 - 2*x, then report the slope where you stopped.

Start from x0 and take `steps` steps of gradient descent with learning rate
`lr`. Return f'(x) at the FINAL x, computed by autograd.
"""
import torch


def final_slope(x0: float, lr: float, steps: int) -> float:
    x = torch.tensor(float(x0), requires_grad=True)
    for step in range(steps):
        if x.grad is not None:
            x.grad.zero_()
        y = x ** 4 / 4 - 2 * x
        y.backward()
        with torch.no_grad():
            x -= lr * x.grad
    x.grad.zero_()
    y = x ** 4 / 4 - 2 * x
    y.backward()
    return x.grad.item()
