"""Gradient descent on f(x, y) = (x - 1)**2 + 2*(y + 1)**2 + x*y.

Start from (x0, y0), take `steps` steps of gradient descent with learning
rate `lr` on both variables, and return the final value of y.
Run it and print f at each step: it should decrease.
"""
import torch


def descend_2d(x0: float, y0: float, lr: float, steps: int) -> float:
    x = torch.tensor(float(x0), requires_grad=True)
    y = torch.tensor(float(y0), requires_grad=True)
    for step in range(steps):
        if x.grad is not None:
            x.grad.zero_()
            y.grad.zero_()
        f = (x - 1) ** 2 + 2 * (y + 1) ** 2 + x * y
        f.backward()
        with torch.no_grad():
            # TODO: which way does the gradient point, and which way should the step go?
            x += lr * x.grad
            y += lr * y.grad
    return y.item()
