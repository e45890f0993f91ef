"""How much does training reduce the loss?

Fit y = w*x (data xs, ys) from w = w0 with `epochs` epochs of gradient
descent of learning rate `lr` on the mean squared error. Measure the loss
before training and after it, both without tracking, and return
drop = before - after.
Run it: the training loop fails.
"""
import torch


def loss_drop(xs: list, ys: list, w0: float, lr: float, epochs: int) -> float:
    x = torch.tensor([float(v) for v in xs])
    y = torch.tensor([float(v) for v in ys])
    w = torch.tensor(float(w0), requires_grad=True)
    torch.set_grad_enabled(False)
    before = ((y - w * x) ** 2).mean()
    # TODO: the training below needs gradients
    for epoch in range(epochs):
        if w.grad is not None:
            w.grad.zero_()
        loss = ((y - w * x) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
    with torch.no_grad():
        after = ((y - w * x) ** 2).mean()
    drop = before - after
    return drop.item()
