"""Gradient descent on f(w) = (2*w - 3)**2 from a small start.

The start is scaled down: w begins at w0 / 10. Run `steps` steps of gradient
descent with learning rate `lr` and return the final value of w.
Run it: the update fails at the first step.
"""
import torch


def descend(w0: float, lr: float, steps: int) -> float:
    # TODO: is w still a leaf after this multiplication?
    w = torch.tensor(float(w0), requires_grad=True) * 0.1
    for step in range(steps):
        if w.grad is not None:
            w.grad.zero_()
        loss = (2 * w - 3) ** 2
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
    return w.item()
