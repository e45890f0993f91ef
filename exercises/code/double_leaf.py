"""A gradient in double precision.

x holds `values` as float64 numbers and requires grad. For
loss = mean(x_i ** 3 - 3 * x_i), return x.grad as a list of floats.
Run it: x.grad is None after backward().
"""
import torch


def grad_float64(values: list) -> list:
    # TODO: is the float64 tensor the leaf you created?
    x = torch.tensor([float(v) for v in values], requires_grad=True).double()
    loss = (x ** 3 - 3 * x).mean()
    loss.backward()
    return x.grad.tolist()
