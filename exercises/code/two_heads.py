"""Two losses share one intermediate tensor.

x holds `values` (and requires grad); h = x ** 2, l1 = h.sum() and
l2 = (h ** 2).mean(). Call backward() on l1 and then on l2, so that x.grad
is the gradient of l1 + l2, and return x.grad as a list of floats.
Run it: the second backward() raises.
"""
import torch


def shared_grad(values: list) -> list:
    x = torch.tensor([float(v) for v in values], requires_grad=True)
    h = x ** 2
    l1 = h.sum()
    l2 = (h ** 2).mean()
    # TODO: torch's error says retain_graph=True, but on which of the two calls?
    l1.backward()
    l2.backward(retain_graph=True)
    return x.grad.tolist()
