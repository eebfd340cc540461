#!/usr/bin/python3
"""Builds PyTorch's F.interpolate (nn.Upsample) in nearest and bilinear modes, with input gradients, for Axon's
Tensor.Interpolate and Upsample (tests/Axon.Tests/Nn/UpsampleTests.cs).

Run once with Debian's interpreter and PyTorch (no pip, no safetensors package needed):

    apt-get install -y python3-torch
    /usr/bin/python3 tests/Fixtures/make_upsample_fixture.py

It writes upsample.safetensors next to this script, all float64. For each case {case}:

  {case}.input        [N, C, H, W]
  {case}.upstream     the output gradient fed to backward, a fixed random tensor of the output's shape
  {case}.output       F.interpolate(input, size, scale_factor, mode, align_corners)
  {case}.grad_input   the input gradient seeded with upstream

__metadata__ holds "torch" (the version) and, for each case, "case.{case}" = JSON {"size": [h, w] | null,
"scale_factor": [h, w] | null, "mode": str, "align_corners": bool | null}. Every case draws from its own seed.
"""

import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_safetensors_fixture import save_safetensors  # noqa: E402  (the minimal safetensors writer)

# name, (N, C, H, W), size, scale_factor, mode, align_corners
CASES = [
    ("nearest_scale2", (2, 3, 4, 5), None, (2.0, 2.0), "nearest", None),
    ("nearest_scale_noninteger", (1, 2, 5, 7), None, (1.5, 2.7), "nearest", None),
    ("nearest_size_odd", (2, 1, 3, 4), (7, 9), None, "nearest", None),
    ("nearest_downsize", (1, 3, 9, 8), (4, 5), None, "nearest", None),
    ("bilinear_scale2", (2, 2, 4, 5), None, (2.0, 2.0), "bilinear", False),
    ("bilinear_scale2_align", (2, 2, 4, 5), None, (2.0, 2.0), "bilinear", True),
    ("bilinear_scale_noninteger", (1, 3, 5, 6), None, (1.7, 2.5), "bilinear", False),
    ("bilinear_scale_noninteger_align", (1, 3, 5, 6), None, (1.7, 2.5), "bilinear", True),
    ("bilinear_size_odd", (2, 1, 3, 5), (7, 11), None, "bilinear", False),
    ("bilinear_size_odd_align", (2, 1, 3, 5), (7, 11), None, "bilinear", True),
    ("bilinear_downsize", (1, 2, 9, 7), (4, 3), None, "bilinear", False),
    ("bilinear_to_one_align", (1, 2, 4, 3), (1, 5), None, "bilinear", True),
]


def make_case(seed, shape, size, scale_factor, mode, align_corners):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=g, dtype=torch.float64, requires_grad=True)
    y = F.interpolate(x, size=size, scale_factor=scale_factor, mode=mode, align_corners=align_corners)
    upstream = torch.randn(*y.shape, generator=g, dtype=torch.float64)
    y.backward(upstream)
    return {"input": x.detach(), "upstream": upstream, "output": y.detach(), "grad_input": x.grad}


def main():
    tensors = {}
    metadata = {"torch": torch.__version__}
    for seed, (name, shape, size, scale_factor, mode, align_corners) in enumerate(CASES, start=1):
        metadata["case." + name] = json.dumps({"size": list(size) if size else None, "scale_factor": list(scale_factor) if scale_factor else None,
                                               "mode": mode, "align_corners": align_corners}, sort_keys=True)
        for k, v in make_case(seed, shape, size, scale_factor, mode, align_corners).items():
            tensors["%s.%s" % (name, k)] = v.contiguous()
    path = os.path.join(HERE, "upsample.safetensors")
    save_safetensors(path, tensors, metadata)
    print(path, os.path.getsize(path), "bytes,", len(CASES), "cases")


if __name__ == "__main__":
    main()
