"""The gradient of a mean squared error, built point by point.

The model is y = w * x**2. At w = w0, return dL/dw for the mean squared
error L = mean((w * x_i**2 - y_i) ** 2) over the data xs, ys.
Run it: backward() cannot be called on the loss.
"""
import torch


def mse_grad(xs: list, ys: list, w0: float) -> float:
    w = torch.tensor(float(w0), requires_grad=True)
    total = torch.tensor(0.0)
    for xi, yi in zip(xs, ys):
        total = total + (w * xi ** 2 - yi) ** 2
    loss = total / len(xs)
    loss.backward()
    return w.grad.item()
