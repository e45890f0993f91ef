"""Minimise f(x) = x**2 - 4*x with torch.optim.SGD.

x0 is a whole number (a Python int). Start from x = x0, take `steps`
optimizer steps with learning rate `lr` and return the final value of x.
Run it: creating x already fails.
"""
import torch


def minimise(x0: int, lr: float, steps: int) -> float:
    # TODO: x0 is an int such as 5: which dtype does this tensor get, and can it have gradients?
    x = torch.tensor(x0, requires_grad=True)
    opt = torch.optim.SGD([x], lr=lr)
    for step in range(steps):
        opt.zero_grad()
        y = x ** 2 - 4 * x
        y.backward()
        opt.step()
    return x.item()
