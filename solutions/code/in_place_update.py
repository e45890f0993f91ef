"""Gradient descent on f(x) = (x - 3)**2 + x.

Start from x0 and take `steps` steps of gradient descent with learning rate
`lr`; return the final value of x.
Run it: the first step works, the second one fails.
"""
import torch


def descend(x0: float, lr: float, steps: int) -> float:
    x = torch.tensor(float(x0), requires_grad=True)
    for step in range(steps):
        if x.grad is not None:
            x.grad.zero_()
        y = (x - 3) ** 2 + x
        y.backward()
        with torch.no_grad():
            x -= lr * x.grad
    return x.item()
