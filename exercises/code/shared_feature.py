"""Train w on a feature computed once from a tracked tensor.

p = p0 requires grad; the feature z = p ** 2 is computed once, before
training. Each step fits w * z to the targets ts with the mean squared error
mean((w * z - t_i) ** 2) and updates w (only w) by gradient descent with
learning rate `lr`. Start from w = w0, run `steps` steps, return the final w.
Run it: the second step raises.
"""
import torch


def train(p0: float, ts: list, w0: float, lr: float, steps: int) -> float:
    p = torch.tensor(float(p0), requires_grad=True)
    t = torch.tensor([float(v) for v in ts])
    w = torch.tensor(float(w0), requires_grad=True)
    z = p ** 2
    for step in range(steps):
        if w.grad is not None:
            w.grad.zero_()
        loss = ((w * z - t) ** 2).mean()
        # TODO: this backward() also walks back through z, which every step shares
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
    return w.item()
