#!/usr/bin/python3
"""Builds PyTorch's embedding lookups and weight gradients for Axon's Embedding (tests/Axon.Tests/Nn/EmbeddingTests.cs).

Run once with Debian's interpreter and PyTorch (no pip, no safetensors package needed):

    apt-get install -y python3-torch
    /usr/bin/python3 tests/Fixtures/make_embedding_fixture.py

It writes embedding.safetensors next to this script, float32 tables and int64 indices. For each case {case}:

  {case}.weight        the table [10, 4] before the call
  {case}.indices       a 2-D index tensor [3, 5] with repeated rows (the padding row among them where there is one)
  {case}.upstream      the output gradient fed to backward, a fixed random [3, 5, 4]
  {case}.output        torch.nn.functional.embedding(indices, weight, padding_idx, max_norm, norm_type)
  {case}.grad          the gradient of the table, seeded with upstream
  {case}.weight_after  the table after the call (with max_norm, the looked-up rows over the norm rescaled in place)

__metadata__ holds "torch" (the version) and, for each case, "case.{case}" = JSON {"padding_idx": int | null,
"max_norm": float | null, "norm_type": float}. Every case draws its tensors from its own seed. The tables are drawn
N(0, 2^2) so that some looked-up rows exceed max_norm and others do not.
"""

import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_safetensors_fixture import save_safetensors  # noqa: E402  (the minimal safetensors writer)

# name, padding_idx, max_norm, norm_type
CASES = [
    ("plain", None, None, 2.0),
    ("padding_idx", 3, None, 2.0),
    ("padding_idx_negative", -2, None, 2.0),
    ("max_norm", None, 2.5, 2.0),
    ("max_norm_p1_padding", 0, 3.0, 1.0),
]


def make_case(seed, padding_idx, max_norm, norm_type):
    g = torch.Generator().manual_seed(seed)
    weight = 2.0 * torch.randn(10, 4, generator=g, dtype=torch.float32)
    if padding_idx is not None:
        weight[padding_idx] = 0.0  # as nn.Embedding initialises its padding row
    indices = torch.randint(0, 10, (3, 5), generator=g, dtype=torch.int64)
    indices[0, 1] = indices[2, 3]  # a repeat for sure
    if padding_idx is not None:
        indices[1, 2] = padding_idx % 10
        indices[2, 4] = padding_idx % 10
    upstream = torch.randn(3, 5, 4, generator=g, dtype=torch.float32)
    before = weight.clone()
    w = weight.clone().requires_grad_()
    out = F.embedding(indices, w, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type)
    out.backward(upstream)
    return {"weight": before, "indices": indices, "upstream": upstream, "output": out.detach(),
            "grad": w.grad.detach(), "weight_after": w.detach().clone()}


def main():
    tensors = {}
    metadata = {"torch": torch.__version__}
    for seed, (name, padding_idx, max_norm, norm_type) in enumerate(CASES, start=1):
        metadata["case." + name] = json.dumps({"padding_idx": padding_idx, "max_norm": max_norm, "norm_type": norm_type}, sort_keys=True)
        for k, v in make_case(seed, padding_idx, max_norm, norm_type).items():
            tensors["%s.%s" % (name, k)] = v
    path = os.path.join(HERE, "embedding.safetensors")
    save_safetensors(path, tensors, metadata)
    print(path, os.path.getsize(path), "bytes,", len(CASES), "cases")


if __name__ == "__main__":
    main()
