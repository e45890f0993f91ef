"""Minimise f(x) = (x - 3)**2 with torch.optim.SGD.

Return the value of x after `steps` optimizer steps with learning rate `lr`,
starting from x0. Each step should move x towards 3 by lr * f'(x).
Run it: x does not move at all.
"""
import torch


def train(x0: float, lr: float, steps: int) -> float:
    x = torch.tensor(float(x0), requires_grad=True)
    opt = torch.optim.SGD([x], lr=lr)
    for step in range(steps):
        opt.zero_grad()
        y = (x - 3) ** 2
        y.backward()
        opt.step()
    return x.item()
