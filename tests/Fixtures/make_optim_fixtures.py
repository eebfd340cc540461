#!/usr/bin/python3
"""Builds the golden optimiser trajectories for Axon's optimisers (tests/Axon.Tests/Optim/GoldenTrajectoryTests.cs).

Run once with Debian's interpreter and PyTorch (no pip, no safetensors package needed):

    apt-get install -y python3-torch
    /usr/bin/python3 tests/Fixtures/make_optim_fixtures.py

It writes optim_trajectories.safetensors next to this script (float64 throughout, targets int64):

  init.{name}            the initial parameters of a Sequential(Linear(5, 6), Tanh, Linear(6, 3)) in float64, under
                         the state-dict names 0.weight, 0.bias, 2.weight, 2.bias; they come from a closed formula
                         (weight(name)[i] = 0.5 sin(0.37 i + 1 + k), k the parameter's index) that the C# test
                         recomputes and checks against these tensors.
  batch.{t}.x, batch.{t}.y
                         the fixed mini-batch of step t = 1..10: x [8, 5] float64 and y [8] int64 class labels.
  {config}.{t}.{name}    each parameter after step t of the configuration; for torch_asgd also {config}.{t}.ax.{name},
                         PyTorch's running average "ax".

__metadata__ holds "torch" (the version), "steps", and for each configuration "config.{config}" = JSON
{"optimizer": <OptimizerFactory name>, "options": {<torch keyword arguments>}, "groups": [{"params": [names],
<per-group options>}, ...] or null}. A step is: zero_grad, loss = cross_entropy(model(x_t), y_t) (mean), backward,
step. The optimisers run their default single-tensor (for-loop) implementations, as in PyTorch 1.13.
"""

import json
import math
import os
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_safetensors_fixture import save_safetensors  # noqa: E402  (the minimal safetensors writer)

STEPS = 10
BATCH = 8

# name -> (OptimizerFactory name, torch keyword arguments, per-group options or None)
CONFIGS = {
    "sgd": ("sgd", {"lr": 0.1}, None),
    "sgd_momentum": ("sgd", {"lr": 0.1, "momentum": 0.9}, None),
    "sgd_dampening": ("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}, None),
    "sgd_nesterov": ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, None),
    "sgd_weight_decay": ("sgd", {"lr": 0.1, "weight_decay": 0.05}, None),
    "sgd_groups": ("sgd", {"lr": 0.1, "momentum": 0.9},
                   [{"params": ["0.weight", "0.bias"], "lr": 0.03, "weight_decay": 0.02}, {"params": ["2.weight", "2.bias"]}]),
    "adagrad": ("adagrad", {"lr": 0.1}, None),
    "adagrad_lr_decay": ("adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.01, "initial_accumulator_value": 0.1, "eps": 1e-8}, None),
    "rmsprop": ("rmsprop", {"lr": 0.01}, None),
    "rmsprop_centered": ("rmsprop", {"lr": 0.01, "centered": True, "weight_decay": 0.01}, None),
    "rmsprop_momentum": ("rmsprop", {"lr": 0.01, "momentum": 0.9, "alpha": 0.9}, None),
    "rmsprop_centered_momentum": ("rmsprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "eps": 1e-6}, None),
    "adam": ("adam", {"lr": 0.01, "betas": [0.8, 0.99], "weight_decay": 0.01}, None),
    "adam_amsgrad": ("adam", {"lr": 0.01, "amsgrad": True}, None),
    "adam_maximize": ("adam", {"lr": 0.01, "maximize": True, "weight_decay": 0.01}, None),
    "adam_groups": ("adam", {"lr": 0.01},
                    [{"params": ["0.weight", "0.bias"], "lr": 0.002, "weight_decay": 0.1}, {"params": ["2.weight", "2.bias"], "weight_decay": 0.001}]),
    "adamw": ("adamw", {"lr": 0.01, "weight_decay": 0.1}, None),
    "adamw_amsgrad": ("adamw", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True, "betas": [0.85, 0.995]}, None),
    "adadelta": ("adadelta", {"lr": 1.0, "rho": 0.9, "weight_decay": 0.01}, None),
    "torch_asgd": ("torch-asgd", {"lr": 0.05, "lambd": 0.01, "alpha": 0.75, "t0": 3, "weight_decay": 0.001}, None),
}

TORCH_CLASSES = {
    "sgd": torch.optim.SGD,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "adadelta": torch.optim.Adadelta,
    "torch-asgd": torch.optim.ASGD,
}


def fixed(n, phase, scale):
    return [scale * math.sin(0.37 * i + phase) for i in range(n)]


def make_model():
    """Linear(5, 6), Tanh, Linear(6, 3) in float64 with the closed-formula weights."""
    model = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            p.copy_(torch.tensor(fixed(p.numel(), 1.0 + k, 0.5), dtype=torch.float64).reshape(p.shape))
    return model


def batch(t):
    x = torch.tensor([2.0 * math.sin(0.53 * i + 0.25 + 0.7 * t) for i in range(BATCH * 5)], dtype=torch.float64).reshape(BATCH, 5)
    y = torch.tensor([(7 * t + 5 * j + j * j) % 3 for j in range(BATCH)], dtype=torch.int64)
    return x, y


def run(factory_name, options, groups):
    model = make_model()
    named = dict(model.named_parameters())
    kwargs = dict(options)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if groups is None:
        params = model.parameters()
    else:
        params = [dict({k: v for k, v in g.items() if k != "params"}, params=[named[n] for n in g["params"]]) for g in groups]
    opt = TORCH_CLASSES[factory_name](params, **kwargs)
    out = {}
    for t in range(1, STEPS + 1):
        x, y = batch(t)
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        for name, p in model.named_parameters():
            out["%d.%s" % (t, name)] = p.detach().clone()
            if factory_name == "torch-asgd":
                out["%d.ax.%s" % (t, name)] = opt.state[p]["ax"].detach().clone()
    return out


def main():
    tensors = {}
    metadata = {"torch": torch.__version__, "steps": str(STEPS)}
    for name, p in make_model().named_parameters():
        tensors["init." + name] = p.detach().clone()
    for t in range(1, STEPS + 1):
        x, y = batch(t)
        tensors["batch.%d.x" % t] = x
        tensors["batch.%d.y" % t] = y
    for config, (factory_name, options, groups) in CONFIGS.items():
        metadata["config." + config] = json.dumps({"optimizer": factory_name, "options": options, "groups": groups}, sort_keys=True)
        for k, v in run(factory_name, options, groups).items():
            tensors["%s.%s" % (config, k)] = v
    path = os.path.join(HERE, "optim_trajectories.safetensors")
    save_safetensors(path, tensors, metadata)
    print(path, os.path.getsize(path), "bytes,", len(CONFIGS), "configurations")


if __name__ == "__main__":
    main()
