"""Fit y = a*x + b by gradient descent and return the intercept.

xs and ys are the data (lists of numbers). Start from a = 1, b = 2, run
`epochs` epochs of gradient descent with learning rate `lr` on the mean
squared error, and return the fitted intercept b.
"""
import torch


def fit(xs: list, ys: list, lr: float, epochs: int) -> float:
    x = torch.tensor([float(v) for v in xs])
    y = torch.tensor([float(v) for v in ys])
    a = torch.tensor(1.0, requires_grad=True)
    b = torch.tensor(2.0, requires_grad=True)
    for epoch in range(epochs):
        y_predicted = a * x + b
        loss = ((y - y_predicted) ** 2).mean()
        if a.grad is not None:
            a.grad.zero_()
            b.grad.zero_()
        loss.backward()
        with torch.no_grad():
            a -= lr * a.grad
            b -= lr * b.grad
    return b.item()
