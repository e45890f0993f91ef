"""The course's linear regression, run for exactly `epochs` epochs.

xs and ys are the data (lists of numbers). Start from a = 1, b = 2 and run
`epochs` epochs (no more, no fewer) of the course's loop: mean squared
error, zeroing, backward(), update under no_grad with learning rate `lr`.
Return the final value of a.
"""
import torch


def fit(xs: list, ys: list, lr: float, epochs: int) -> float:
    x = torch.tensor([float(v) for v in xs])
    y = torch.tensor([float(v) for v in ys])
    a = torch.tensor(1.0, requires_grad=True)
    b = torch.tensor(2.0, requires_grad=True)
    # TODO: how many epochs does this loop run?
    for epoch in range(1, epochs):
        y_predicted = a * x + b
        loss = ((y - y_predicted) ** 2).mean()
        if (a.grad and b.grad) is not None:
            a.grad.zero_()
            b.grad.zero_()
        loss.backward()
        with torch.no_grad():
            a -= lr * a.grad
            b -= lr * b.grad
    return a.item()
