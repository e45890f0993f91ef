"""The gradient of the mean squared error, one data point at a time.

For y = w*x at w = w0, compute the gradient of L = mean((w*x_i - y_i) ** 2)
with one backward() call per data point (each point's loss divided by n),
and return dL/dw.
"""
import torch


def total_grad(xs: list, ys: list, w0: float) -> float:
    w = torch.tensor(float(w0), requires_grad=True)
    n = len(xs)
    for xi, yi in zip(xs, ys):
        loss_i = (w * xi - yi) ** 2 / n
        loss_i.backward()
    return w.grad.item()
