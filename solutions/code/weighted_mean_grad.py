"""The gradient of a weighted mean, through backward(gradient=...).

x holds `values` and v holds `weights`. With y = x ** 3, return the gradient
of loss = mean(v_i * y_i) with respect to x, as a list of floats, without
building the loss: call y.backward with a gradient argument.
"""
import torch


def weighted_mean_grad(values: list, weights: list) -> list:
    x = torch.tensor([float(u) for u in values], requires_grad=True)
    v = torch.tensor([float(u) for u in weights])
    y = x ** 3
    y.backward(gradient=v / len(v))
    return x.grad.tolist()
