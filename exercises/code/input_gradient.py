"""How sensitive is a loss to each input?

x holds `values`; w = `scale` is a fixed weight. For
loss = mean((w * x_i - 1) ** 2), return the gradient of the loss with
respect to the inputs, x.grad, as a list of floats.
Run it: x.grad is None after backward().
"""
import torch


def input_grad(values: list, scale: float) -> list:
    # TODO: the gradient is wanted with respect to x, not w: which tensor must require it?
    x = torch.tensor([float(v) for v in values])
    w = torch.tensor(float(scale), requires_grad=True)
    loss = ((w * x - 1) ** 2).mean()
    loss.backward()
    return x.grad.tolist()
