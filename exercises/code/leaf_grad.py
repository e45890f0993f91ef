"""Find the square root of c by gradient descent.

Minimise loss = (w**2 - c) ** 2 starting from w = w0, with `steps` steps of
learning rate `lr`, and return the final value of w.
Run it: the update fails at the first step.
"""
import torch


def square_root(c: float, w0: float, lr: float, steps: int) -> float:
    w = torch.tensor(float(w0), requires_grad=True)
    for step in range(steps):
        if w.grad is not None:
            w.grad.zero_()
        loss = (w ** 2 - c) ** 2
        loss.backward()
        with torch.no_grad():
            # TODO: where does loss.backward() store the gradient with respect to w?
            w -= lr * loss.grad
    return w.item()
