"""The gradient of the loss with respect to an intermediate tensor.

x holds `values` (and requires grad); h = scale * x is computed from it and
loss = mean((h_i - 1) ** 2). Return the gradient of the loss with respect
to h, one number per element, as a list of floats.
"""
import torch


def hidden_grad(values: list, scale: float) -> list:
    x = torch.tensor([float(v) for v in values], requires_grad=True)
    h = scale * x
    h.retain_grad()
    loss = ((h - 1) ** 2).mean()
    loss.backward()
    return h.grad.tolist()
