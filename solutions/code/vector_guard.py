"""Calibrate three channels: one gain per channel and a shared offset.

The model is out_i = w_i * x_i + b. Start from w = [1, 1, 1] and b = 0, and
run `epochs` epochs of gradient descent with learning rate `lr` on the mean
squared error mean((w_i * x_i + b - t_i) ** 2). Return the final gains w as
a list of floats.
Run it: the first epoch runs, the second one fails.
"""
import torch


def calibrate(xs: list, ts: list, lr: float, epochs: int) -> list:
    x = torch.tensor([float(v) for v in xs])
    t = torch.tensor([float(v) for v in ts])
    w = torch.ones(len(xs), requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)
    for epoch in range(epochs):
        if w.grad is not None:
            w.grad.zero_()
            b.grad.zero_()
        loss = ((w * x + b - t) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return w.tolist()
