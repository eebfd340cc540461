#!/usr/bin/python3
"""Builds PyTorch's outputs and input gradients for the layers of the landmark CNNs, for Axon's LocalResponseNorm,
AdaptiveMaxPool2d, AdaptiveAvgPool2d, MaxPool2d(ceil_mode) and Conv2d padding modes
(tests/Axon.Tests/Nn/VisionLayerTests.cs).

Run once with Debian's interpreter and PyTorch (no pip, no safetensors package needed):

    /usr/bin/python3 tests/Fixtures/make_vision_layer_fixture.py

It writes vision_layers.safetensors next to this script, all float64. For each case {case}:

  {case}.input        [N, C, H, W]
  {case}.weight       (conv cases) the weight [O, C, kh, kw]; {case}.bias its bias [O]
  {case}.upstream     the output gradient fed to backward, a fixed random tensor of the output's shape
  {case}.output       the layer's output
  {case}.grad_input   the input gradient seeded with upstream

__metadata__ holds "torch" (the version) and, per case, "case.{case}" = JSON {"layer": ..., and its arguments}.
Every case draws from its own seed. The pooling geometries are AlexNet's (55 -> 27 -> 13 -> 6, 3x3 stride 2) and
GoogLeNet's (ceil-mode 3x3 stride 2 from 56 -> 28 -> 14 -> 7, and 2x2 stride 2 on 14 and 7).
"""

import json
import os
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_safetensors_fixture import save_safetensors  # noqa: E402  (the minimal safetensors writer)

CASES = [
    ("lrn_alexnet", (2, 7, 3, 4), {"layer": "lrn", "size": 5, "alpha": 1e-4, "beta": 0.75, "k": 2.0}),
    ("lrn_strong", (2, 6, 2, 3), {"layer": "lrn", "size": 3, "alpha": 0.5, "beta": 0.6, "k": 1.0}),
    ("lrn_even", (1, 5, 2, 2), {"layer": "lrn", "size": 4, "alpha": 0.3, "beta": 0.75, "k": 1.5}),
    ("lrn_size1", (1, 3, 2, 2), {"layer": "lrn", "size": 1, "alpha": 0.2, "beta": 0.5, "k": 1.0}),
    ("lrn_wide", (1, 3, 2, 2), {"layer": "lrn", "size": 7, "alpha": 0.4, "beta": 0.75, "k": 1.0}),
    ("amax_7x5_to_3x2", (2, 3, 7, 5), {"layer": "adaptive_max", "output_size": [3, 2]}),
    ("amax_10_to_6", (1, 2, 10, 10), {"layer": "adaptive_max", "output_size": [6, 6]}),
    ("amax_8_to_4", (1, 2, 8, 8), {"layer": "adaptive_max", "output_size": [4, 4]}),
    ("amax_5_to_7", (1, 2, 5, 5), {"layer": "adaptive_max", "output_size": [7, 7]}),
    ("aavg_13_to_6", (1, 2, 13, 13), {"layer": "adaptive_avg", "output_size": [6, 6]}),
    ("aavg_7x5_to_3x2", (2, 3, 7, 5), {"layer": "adaptive_avg", "output_size": [3, 2]}),
    ("aavg_5_to_7", (1, 2, 5, 5), {"layer": "adaptive_avg", "output_size": [7, 7]}),
    ("maxpool_alexnet_55", (1, 1, 55, 55), {"layer": "max_pool", "kernel": 3, "stride": 2, "ceil_mode": False}),
    ("maxpool_alexnet_27", (1, 1, 27, 27), {"layer": "max_pool", "kernel": 3, "stride": 2, "ceil_mode": False}),
    ("maxpool_alexnet_13", (1, 1, 13, 13), {"layer": "max_pool", "kernel": 3, "stride": 2, "ceil_mode": False}),
    ("maxpool_ceil_56", (1, 1, 56, 56), {"layer": "max_pool", "kernel": 3, "stride": 2, "ceil_mode": True}),
    ("maxpool_ceil_28", (1, 1, 28, 28), {"layer": "max_pool", "kernel": 3, "stride": 2, "ceil_mode": True}),
    ("maxpool_ceil_14", (1, 1, 14, 14), {"layer": "max_pool", "kernel": 3, "stride": 2, "ceil_mode": True}),
    ("maxpool_ceil_k2_14", (1, 1, 14, 14), {"layer": "max_pool", "kernel": 2, "stride": 2, "ceil_mode": True}),
    ("maxpool_ceil_k2_7", (1, 1, 7, 7), {"layer": "max_pool", "kernel": 2, "stride": 2, "ceil_mode": True}),
    ("maxpool_ceil_s1_pad1", (1, 1, 7, 7), {"layer": "max_pool", "kernel": 3, "stride": 1, "padding": 1, "ceil_mode": True}),
    ("conv_zeros", (2, 2, 5, 6), {"layer": "conv", "out": 3, "kernel": 3, "stride": 1, "padding": [1, 2], "mode": "zeros"}),
    ("conv_reflect", (2, 2, 5, 6), {"layer": "conv", "out": 3, "kernel": 3, "stride": 1, "padding": [1, 2], "mode": "reflect"}),
    ("conv_replicate", (2, 2, 5, 6), {"layer": "conv", "out": 3, "kernel": 3, "stride": 2, "padding": [2, 1], "mode": "replicate"}),
    ("conv_circular", (2, 2, 5, 6), {"layer": "conv", "out": 3, "kernel": 3, "stride": 1, "padding": [2, 3], "mode": "circular"}),
    ("conv_reflect_big", (1, 1, 4, 4), {"layer": "conv", "out": 2, "kernel": 5, "stride": 1, "padding": [3, 3], "mode": "reflect"}),
]


def build(spec, channels):
    kind = spec["layer"]
    if kind == "lrn":
        return nn.LocalResponseNorm(spec["size"], alpha=spec["alpha"], beta=spec["beta"], k=spec["k"])
    if kind == "adaptive_max":
        return nn.AdaptiveMaxPool2d(tuple(spec["output_size"]))
    if kind == "adaptive_avg":
        return nn.AdaptiveAvgPool2d(tuple(spec["output_size"]))
    if kind == "max_pool":
        return nn.MaxPool2d(spec["kernel"], stride=spec["stride"], padding=spec.get("padding", 0), ceil_mode=spec["ceil_mode"])
    return nn.Conv2d(channels, spec["out"], spec["kernel"], stride=spec["stride"], padding=tuple(spec["padding"]), padding_mode=spec["mode"])


def main():
    tensors = {}
    metadata = {"torch": torch.__version__}
    for seed, (name, shape, spec) in enumerate(CASES, start=1):
        torch.manual_seed(seed)
        g = torch.Generator().manual_seed(seed)
        layer = build(spec, shape[1]).double()
        x = torch.randn(*shape, generator=g, dtype=torch.float64, requires_grad=True)
        y = layer(x)
        upstream = torch.randn(*y.shape, generator=g, dtype=torch.float64)
        y.backward(upstream)
        metadata["case." + name] = json.dumps(spec, sort_keys=True)
        out = {"input": x.detach(), "upstream": upstream, "output": y.detach(), "grad_input": x.grad}
        if spec["layer"] == "conv":
            out["weight"] = layer.weight.detach()
            out["bias"] = layer.bias.detach()
        for k, v in out.items():
            tensors["%s.%s" % (name, k)] = v.contiguous()
    path = os.path.join(HERE, "vision_layers.safetensors")
    save_safetensors(path, tensors, metadata)
    print(path, os.path.getsize(path), "bytes,", len(CASES), "cases")


if __name__ == "__main__":
    main()
