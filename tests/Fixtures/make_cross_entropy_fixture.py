#!/usr/bin/python3
"""Builds PyTorch's cross-entropy losses and logit gradients for Axon's CrossEntropy (tests/Axon.Tests/Nn/LossTests.cs).

Run once with Debian's interpreter and PyTorch (no pip, no safetensors package needed):

    apt-get install -y python3-torch
    /usr/bin/python3 tests/Fixtures/make_cross_entropy_fixture.py

It writes cross_entropy.safetensors next to this script, float64 throughout (class-index targets int64). For each case
{case} (named {target}_n{N}_c{C}_{w|nw}_ls{eps*100}_{reduction}):

  {case}.input     the logits [N, C]
  {case}.target    class indices [N] (int64) or class probabilities [N, C]
  {case}.weight    the class weights [C] (weighted cases only)
  {case}.upstream  the output gradient fed to backward: 1 for mean and sum, a fixed random [N] for none
  {case}.loss      F.cross_entropy(input, target, weight, reduction=..., label_smoothing=eps)
  {case}.grad      the gradient of the loss wrt the logits, seeded with upstream

__metadata__ holds "torch" (the version) and, for each case, "case.{case}" = JSON {"target": "index" | "prob",
"weighted": bool, "label_smoothing": eps, "reduction": "mean" | "sum" | "none"}. Every case draws its tensors from its
own seed, so adding a case leaves the others unchanged. Class weights are kept well apart from 1 and from each other, so
that dividing by N rather than by the sum of the targets' weights shows.
"""

import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_safetensors_fixture import save_safetensors  # noqa: E402  (the minimal safetensors writer)

SIZES = [(5, 4), (7, 3)]
SMOOTHINGS = [0.0, 0.1, 0.3]
REDUCTIONS = ["mean", "sum", "none"]


def make_case(seed, kind, n, c, weighted, eps, reduction):
    g = torch.Generator().manual_seed(seed)
    x = (2.0 * torch.randn(n, c, generator=g, dtype=torch.float64)).requires_grad_()
    if kind == "index":
        target = torch.randint(0, c, (n,), generator=g, dtype=torch.int64)
    else:
        target = torch.softmax(torch.randn(n, c, generator=g, dtype=torch.float64), dim=1)
    weight = 0.25 + 2.0 * torch.rand(c, generator=g, dtype=torch.float64) if weighted else None
    loss = F.cross_entropy(x, target, weight=weight, reduction=reduction, label_smoothing=eps)
    upstream = torch.randn(n, generator=g, dtype=torch.float64) if reduction == "none" else torch.ones((), dtype=torch.float64)
    loss.backward(upstream)
    out = {"input": x.detach(), "target": target, "upstream": upstream, "loss": loss.detach(), "grad": x.grad.detach()}
    if weighted:
        out["weight"] = weight
    return out


def main():
    tensors = {}
    metadata = {"torch": torch.__version__}
    seed = 0
    for kind in ["index", "prob"]:
        for n, c in SIZES:
            for weighted in [False, True]:
                for eps in SMOOTHINGS:
                    for reduction in REDUCTIONS:
                        seed += 1
                        case = "%s_n%d_c%d_%s_ls%02d_%s" % (kind, n, c, "w" if weighted else "nw", round(eps * 100), reduction)
                        metadata["case." + case] = json.dumps(
                            {"target": kind, "weighted": weighted, "label_smoothing": eps, "reduction": reduction}, sort_keys=True)
                        for k, v in make_case(seed, kind, n, c, weighted, eps, reduction).items():
                            tensors["%s.%s" % (case, k)] = v
    path = os.path.join(HERE, "cross_entropy.safetensors")
    save_safetensors(path, tensors, metadata)
    print(path, os.path.getsize(path), "bytes,", sum(k.startswith("case.") for k in metadata), "cases")


if __name__ == "__main__":
    main()
