"""Minimise f(x) = x**2 * (x - 3) with torch.optim.SGD.

Start from x0, take `steps` optimizer steps with learning rate `lr`, using
the exact derivative of f, and return the final value of x.
"""
import torch


def minimise(x0: float, lr: float, steps: int) -> float:
    x = torch.tensor(float(x0), requires_grad=True)
    opt = torch.optim.SGD([x], lr=lr)
    for step in range(steps):
        opt.zero_grad()
        y = x ** 2 * (x - 3)
        y.backward()
        opt.step()
    return x.item()
