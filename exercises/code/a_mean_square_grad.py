"""The gradient of a mean squared value.

Return x.grad for loss = mean(x_i ** 2), where x holds `values`
(as a list of floats). The code below calls backward() on a vector and
raises: RuntimeError: grad can be implicitly created only for scalar outputs.
"""
import torch


def mean_square_grad(values: list) -> list:
    x = torch.tensor([float(v) for v in values], requires_grad=True)
    y = x ** 2
    # TODO: y is a vector; reduce it to one number (the mean) before calling backward()
    y.backward()
    return x.grad.tolist()
