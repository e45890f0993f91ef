"""Train a 2-vector w with an update helper.

Minimise loss = mean(c_i * (w_i - t_i) ** 2) with c = [1, 4] and
t = [2, -1], starting from w = `start`, with `steps` steps of gradient
descent of learning rate `lr`. Return the final w as a list of floats.
Run it: the helper fails at the first update.
"""
import torch


# TODO: autograd must not record this update
def sgd_update(params, lr):
    for p in params:
        p -= lr * p.grad


def train(start: list, lr: float, steps: int) -> list:
    t = torch.tensor([2.0, -1.0])
    c = torch.tensor([1.0, 4.0])
    w = torch.tensor([float(v) for v in start], requires_grad=True)
    for step in range(steps):
        if w.grad is not None:
            w.grad.zero_()
        loss = (c * (w - t) ** 2).mean()
        loss.backward()
        sgd_update([w], lr)
    return w.tolist()
