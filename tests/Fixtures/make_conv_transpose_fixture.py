#!/usr/bin/python3
"""Builds PyTorch's transposed convolutions, with input, weight and bias gradients, for Axon's ConvTranspose2d
(tests/Axon.Tests/Nn/ConvTransposeTests.cs).

Run once with Debian's interpreter and PyTorch (no pip, no safetensors package needed):

    apt-get install -y python3-torch
    /usr/bin/python3 tests/Fixtures/make_conv_transpose_fixture.py

It writes conv_transpose.safetensors next to this script, all float64. For each case {case}:

  {case}.input        [N, Cin, H, W]
  {case}.weight       [Cin, Cout / groups, kh, kw] (PyTorch's layout)
  {case}.bias         [Cout] (absent without bias)
  {case}.upstream     the output gradient fed to backward, a fixed random tensor of the output's shape
  {case}.output       F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)
  {case}.grad_input, {case}.grad_weight, {case}.grad_bias   the gradients seeded with upstream

__metadata__ holds "torch" (the version) and, for each case, "case.{case}" = JSON {"stride": [h, w], "padding": [h, w],
"output_padding": [h, w], "groups": int, "dilation": [h, w]}. Every case draws its tensors from its own seed.
"""

import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_safetensors_fixture import save_safetensors  # noqa: E402  (the minimal safetensors writer)

# name, (N, Cin, H, W), Cout, (kh, kw), stride, padding, output_padding, groups, dilation, bias
CASES = [
    ("plain", (2, 3, 5, 4), 2, (3, 3), (1, 1), (0, 0), (0, 0), 1, (1, 1), True),
    ("stride2_odd", (1, 3, 7, 5), 5, (3, 2), (2, 2), (0, 0), (0, 0), 1, (1, 1), True),
    ("stride2_padding_outpad", (2, 4, 5, 6), 3, (3, 3), (2, 3), (1, 1), (1, 2), 1, (1, 1), True),
    ("groups", (2, 6, 4, 5), 9, (2, 3), (1, 2), (0, 1), (0, 1), 3, (1, 1), True),
    ("dilation", (1, 2, 6, 3), 3, (3, 2), (2, 1), (2, 0), (1, 0), 1, (2, 3), False),
    ("outpad_below_dilation", (2, 2, 4, 5), 3, (3, 3), (1, 2), (1, 0), (1, 2), 1, (2, 3), True),
    ("unit_kernel_stride3", (3, 5, 3, 4), 1, (1, 1), (3, 3), (0, 0), (2, 1), 1, (1, 1), True),
    ("dcgan_7_to_14", (2, 8, 7, 7), 4, (4, 4), (2, 2), (1, 1), (0, 0), 1, (1, 1), False),
    ("dcgan_14_to_28", (2, 4, 14, 14), 1, (4, 4), (2, 2), (1, 1), (0, 0), 1, (1, 1), True),
]


def make_case(seed, shape, cout, kernel, stride, padding, output_padding, groups, dilation, bias):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(shape[1], cout // groups, *kernel, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(cout, generator=g, dtype=torch.float64, requires_grad=True) if bias else None
    y = F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)
    upstream = torch.randn(*y.shape, generator=g, dtype=torch.float64)
    y.backward(upstream)
    out = {"input": x.detach(), "weight": w.detach(), "upstream": upstream, "output": y.detach(),
           "grad_input": x.grad, "grad_weight": w.grad}
    if bias:
        out["bias"] = b.detach()
        out["grad_bias"] = b.grad
    return out


def main():
    tensors = {}
    metadata = {"torch": torch.__version__}
    for seed, (name, shape, cout, kernel, stride, padding, output_padding, groups, dilation, bias) in enumerate(CASES, start=1):
        metadata["case." + name] = json.dumps({"stride": list(stride), "padding": list(padding), "output_padding": list(output_padding),
                                               "groups": groups, "dilation": list(dilation)}, sort_keys=True)
        for k, v in make_case(seed, shape, cout, kernel, stride, padding, output_padding, groups, dilation, bias).items():
            tensors["%s.%s" % (name, k)] = v.contiguous()
    path = os.path.join(HERE, "conv_transpose.safetensors")
    save_safetensors(path, tensors, metadata)
    print(path, os.path.getsize(path), "bytes,", len(CASES), "cases")


if __name__ == "__main__":
    main()
