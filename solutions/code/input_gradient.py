"""How sensitive is a loss to each input?

x holds `values`; w = `scale` is a fixed weight. For
loss = mean((w * x_i - 1) ** 2), return the gradient of the loss with
respect to the inputs, x.grad, as a list of floats.
Run it: x.grad is None after backward().
"""
import torch


def input_grad(values: list, scale: float) -> list:
    x = torch.tensor([float(v) for v in values], requires_grad=True)
    w = torch.tensor(float(scale))
    loss = ((w * x - 1) ** 2).mean()
    loss.backward()
    return x.grad.tolist()
