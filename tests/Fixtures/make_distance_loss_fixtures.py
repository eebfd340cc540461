#!/usr/bin/python3
"""Builds PyTorch's distances and distance losses, values and input gradients, for Axon's
(tests/Axon.Tests/Nn/DistanceLossTests.cs).

Run once with Debian's interpreter and PyTorch (no pip, no safetensors package needed):

    apt-get install -y python3-torch
    /usr/bin/python3 tests/Fixtures/make_distance_loss_fixtures.py

It writes distance_losses.safetensors next to this script, all float64. For each case {case}:

  {case}.in.{name}     the op's tensor arguments, in the order of the "inputs" list of the case's config
  {case}.output        the op's result
  {case}.upstream      the output gradient fed to backward, a fixed random tensor of the output's shape
  {case}.grad.{name}   the gradient of each argument named in the "grads" list

__metadata__ holds "torch" (the version) and, for each case, "case.{case}" = JSON {"op": ..., "inputs": [...],
"grads": [...], "args": {...}} with the op's other arguments under PyTorch's names. Shapes are random with odd sizes.
Each case draws from its own seed.

References that are not one PyTorch call:
  gaussian_kl  torch.distributions.kl_divergence(Normal(mu, exp(logvar / 2)), Normal(0, 1)).sum(-1), then reduced
               (Axon's Functional.GaussianKlStandardNormal: per-sample KL summed over the latent dimension).
  contrastive  Hadsell et al. 2006, halved, y = 1 similar: 0.5 (y d^2 + (1 - y) max(0, margin - d)^2) with
               d = F.pairwise_distance(x1, x2, 2, eps) (Axon's Functional.ContrastiveLoss).
"""

import json
import warnings
import os
import sys

import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_safetensors_fixture import save_safetensors  # noqa: E402  (the minimal safetensors writer)

D = torch.float64


def reduce(x, reduction):
    return x.mean() if reduction == "mean" else x.sum() if reduction == "sum" else x


def gaussian_kl(mu, logvar, reduction):
    per_sample = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(-1)
    return reduce(per_sample, reduction)


def contrastive(x1, x2, y, margin, eps, reduction):
    d = F.pairwise_distance(x1, x2, 2.0, eps)
    return reduce(0.5 * (y * d ** 2 + (1 - y) * torch.clamp(margin - d, min=0) ** 2), reduction)


def op_call(op, t, a):
    if op == "kl_div":
        return F.kl_div(t["input"], t["target"], reduction=a["reduction"], log_target=a["log_target"])
    if op == "gaussian_kl":
        return gaussian_kl(t["mu"], t["logvar"], a["reduction"])
    if op == "gaussian_nll":
        return F.gaussian_nll_loss(t["input"], t["target"], t["var"], full=a["full"], eps=a["eps"], reduction=a["reduction"])
    if op == "cosine_similarity":
        return F.cosine_similarity(t["x1"], t["x2"], dim=a["dim"], eps=a["eps"])
    if op == "pairwise_distance":
        return F.pairwise_distance(t["x1"], t["x2"], p=a["p"], eps=a["eps"], keepdim=a["keepdim"])
    if op == "triplet_margin":
        return F.triplet_margin_loss(t["anchor"], t["positive"], t["negative"], margin=a["margin"], p=a["p"], eps=a["eps"], swap=a["swap"], reduction=a["reduction"])
    if op == "contrastive":
        return contrastive(t["x1"], t["x2"], t["target"], a["margin"], a["eps"], a["reduction"])
    if op == "cosine_embedding":
        return F.cosine_embedding_loss(t["x1"], t["x2"], t["target"], margin=a["margin"], reduction=a["reduction"])
    if op == "margin_ranking":
        return F.margin_ranking_loss(t["input1"], t["input2"], t["target"], margin=a["margin"], reduction=a["reduction"])
    raise ValueError(op)


def randn(g, *shape):
    return torch.randn(tuple(shape), generator=g, dtype=D)


def signs(g, *shape):
    return torch.randint(0, 2, shape, generator=g).to(D) * 2 - 1


CASES = []


def case(name, op, make, grads, **args):
    CASES.append((name, op, make, grads, args))


REDUCTIONS = ["none", "mean", "sum"]

# KL divergence: log-probability inputs, probability (or log-probability) targets; shapes [5, 7] and [3, 1, 9].
for r in REDUCTIONS + ["batchmean"]:
    for log_target in (False, True):
        def make(g, log_target=log_target):
            x = F.log_softmax(randn(g, 5, 7), -1)
            t = F.softmax(randn(g, 5, 7), -1)
            return {"input": x, "target": t.log() if log_target else t}
        case("kl_div.%s.%s" % (r, "log" if log_target else "prob"), "kl_div", make, ["input", "target"], reduction=r, log_target=log_target)


def make_kl_zeros(g):
    t = F.softmax(randn(g, 3, 1, 9), -1)
    t[0, 0, 2] = 0.0
    t[2, 0, 5:] = 0.0  # 0 log 0 = 0
    return {"input": F.log_softmax(randn(g, 3, 1, 9), -1), "target": t}


for r in ("sum", "batchmean"):
    case("kl_div.zero_targets." + r, "kl_div", make_kl_zeros, ["input"], reduction=r, log_target=False)

# The VAE's closed form, against torch.distributions.
for r in REDUCTIONS:
    case("gaussian_kl." + r, "gaussian_kl", lambda g: {"mu": randn(g, 5, 3), "logvar": randn(g, 5, 3)}, ["mu", "logvar"], reduction=r)
case("gaussian_kl.vector", "gaussian_kl", lambda g: {"mu": randn(g, 7), "logvar": randn(g, 7)}, ["mu", "logvar"], reduction="sum")


def make_nll(var_shape, small=False):
    def make(g):
        x, t = randn(g, 5, 3), randn(g, 5, 3)
        v = torch.rand(*var_shape, generator=g, dtype=D) + 0.05
        if small:  # clamped at eps, and the clamp is not differentiated
            v.view(-1)[0] = 0.0
            v.view(-1)[2] = 1e-9
        return {"input": x, "target": t, "var": v}
    return make


for r in REDUCTIONS:
    for full in (False, True):
        case("gaussian_nll.%s.%s" % (r, "full" if full else "plain"), "gaussian_nll", make_nll((5, 3)), ["input", "target", "var"], full=full, eps=1e-6, reduction=r)
case("gaussian_nll.var_without_last_dim", "gaussian_nll", make_nll((5,)), ["input", "target", "var"], full=False, eps=1e-6, reduction="mean")
case("gaussian_nll.var_last_dim_1", "gaussian_nll", make_nll((5, 1)), ["input", "target", "var"], full=True, eps=1e-6, reduction="sum")
case("gaussian_nll.clamped", "gaussian_nll", make_nll((5, 3), small=True), ["input", "target", "var"], full=False, eps=1e-3, reduction="none")

# Cosine similarity: dims, broadcasting, and rows whose norms are under eps (clamped, not differentiated).
case("cosine_similarity.dim1", "cosine_similarity", lambda g: {"x1": randn(g, 5, 7), "x2": randn(g, 5, 7)}, ["x1", "x2"], dim=1, eps=1e-8)
case("cosine_similarity.dim0_vector", "cosine_similarity", lambda g: {"x1": randn(g, 7), "x2": randn(g, 7)}, ["x1", "x2"], dim=0, eps=1e-8)
case("cosine_similarity.dim_neg1_3d", "cosine_similarity", lambda g: {"x1": randn(g, 3, 5, 9), "x2": randn(g, 3, 5, 9)}, ["x1", "x2"], dim=-1, eps=1e-8)
case("cosine_similarity.dim1_3d", "cosine_similarity", lambda g: {"x1": randn(g, 3, 5, 9), "x2": randn(g, 3, 5, 9)}, ["x1", "x2"], dim=1, eps=1e-8)
case("cosine_similarity.broadcast", "cosine_similarity", lambda g: {"x1": randn(g, 3, 1, 5), "x2": randn(g, 7, 5)}, ["x1", "x2"], dim=2, eps=1e-8)


def make_tiny_rows(g):
    x1, x2 = randn(g, 5, 3), randn(g, 5, 3)
    x1[1] *= 1e-3   # norm under eps = 0.01
    x2[3] *= 1e-3
    x1[4] *= 1e-3
    x2[4] *= 1e-3
    return {"x1": x1, "x2": x2}


case("cosine_similarity.tiny_rows", "cosine_similarity", make_tiny_rows, ["x1", "x2"], dim=1, eps=1e-2)

# Pairwise distance: p, eps, keepdim, broadcasting.
for p in (2.0, 1.0, 3.0, 1.5):
    case("pairwise_distance.p%s" % p, "pairwise_distance", lambda g: {"x1": randn(g, 5, 7), "x2": randn(g, 5, 7)}, ["x1", "x2"], p=p, eps=1e-6, keepdim=False)
case("pairwise_distance.keepdim_3d", "pairwise_distance", lambda g: {"x1": randn(g, 3, 5, 9), "x2": randn(g, 3, 5, 9)}, ["x1", "x2"], p=2.0, eps=1e-6, keepdim=True)
case("pairwise_distance.broadcast", "pairwise_distance", lambda g: {"x1": randn(g, 5, 7), "x2": randn(g, 7)}, ["x1", "x2"], p=2.0, eps=0.1, keepdim=False)
case("pairwise_distance.vector", "pairwise_distance", lambda g: {"x1": randn(g, 9), "x2": randn(g, 9)}, ["x1", "x2"], p=2.0, eps=1e-6, keepdim=False)


def make_triplet(*shape):
    return lambda g: {"anchor": randn(g, *shape), "positive": randn(g, *shape), "negative": randn(g, *shape)}


for r in REDUCTIONS:
    for swap in (False, True):
        case("triplet_margin.%s.%s" % (r, "swap" if swap else "noswap"), "triplet_margin", make_triplet(9, 5), ["anchor", "positive", "negative"], margin=1.0, p=2.0, eps=1e-6, swap=swap, reduction=r)
case("triplet_margin.p1_margin2", "triplet_margin", make_triplet(7, 3), ["anchor", "positive", "negative"], margin=2.0, p=1.0, eps=1e-6, swap=False, reduction="mean")
case("triplet_margin.p3_vector", "triplet_margin", make_triplet(7), ["anchor", "positive", "negative"], margin=3.0, p=3.0, eps=1e-6, swap=True, reduction="none")


def make_pair(labels, *shape):
    def make(g):
        x1, x2 = randn(g, *shape), randn(g, *shape)
        y = torch.randint(0, 2, shape[:-1], generator=g).to(D) if labels == "01" else signs(g, *shape[:-1])
        return {"x1": x1, "x2": x2, "target": y}
    return make


for r in REDUCTIONS:
    # Margin 3 puts some dissimilar pairs (distances about 2 to 5 for 7-d normals) inside the margin and some outside.
    case("contrastive." + r, "contrastive", make_pair("01", 11, 7), ["x1", "x2"], margin=3.0, eps=1e-6, reduction=r)
    case("cosine_embedding." + r, "cosine_embedding", make_pair("pm", 11, 7), ["x1", "x2"], margin=0.0, reduction=r)
case("contrastive.vector", "contrastive", lambda g: {"x1": randn(g, 5), "x2": randn(g, 5), "target": torch.tensor(0.0, dtype=D)}, ["x1", "x2"], margin=4.0, eps=1e-6, reduction="mean")
case("cosine_embedding.margin", "cosine_embedding", make_pair("pm", 9, 5), ["x1", "x2"], margin=-0.3, reduction="mean")
case("cosine_embedding.vector", "cosine_embedding", lambda g: {"x1": randn(g, 5), "x2": randn(g, 5), "target": torch.tensor(-1.0, dtype=D)}, ["x1", "x2"], margin=-0.5, reduction="sum")

for r in REDUCTIONS:
    case("margin_ranking." + r, "margin_ranking", lambda g: {"input1": randn(g, 9), "input2": randn(g, 9), "target": signs(g, 9)}, ["input1", "input2"], margin=0.5, reduction=r)


def make_ties(g):
    x1 = randn(g, 7)
    x2 = randn(g, 7)
    x2[::2] = x1[::2]  # at the hinge: clamp_min's gradient flows there
    return {"input1": x1, "input2": x2, "target": signs(g, 7)}


case("margin_ranking.ties", "margin_ranking", make_ties, ["input1", "input2"], margin=0.0, reduction="sum")
case("margin_ranking.2d", "margin_ranking", lambda g: {"input1": randn(g, 3, 5), "input2": randn(g, 3, 5), "target": signs(g, 3, 5)}, ["input1", "input2"], margin=0.0, reduction="mean")


def main():
    warnings.simplefilter("ignore")  # kl_div's note that 'mean' is not 'batchmean': both are cases here
    tensors = {}
    metadata = {"torch": torch.__version__}
    for seed, (name, op, make, grads, args) in enumerate(CASES, start=1):
        g = torch.Generator().manual_seed(1000 + seed)
        inputs = make(g)
        leaves = {k: v.clone().requires_grad_(k in grads) for k, v in inputs.items()}
        out = op_call(op, leaves, args)
        upstream = randn(g, *out.shape)
        out.backward(upstream)
        metadata["case." + name] = json.dumps({"op": op, "inputs": list(inputs), "grads": grads, "args": args}, sort_keys=True)
        for k, v in inputs.items():
            tensors["%s.in.%s" % (name, k)] = v
        tensors[name + ".output"] = out.detach()
        tensors[name + ".upstream"] = upstream
        for k in grads:
            grad = leaves[k].grad
            assert grad is not None and torch.isfinite(grad).all(), (name, k)
            tensors["%s.grad.%s" % (name, k)] = grad
    path = os.path.join(HERE, "distance_losses.safetensors")
    save_safetensors(path, tensors, metadata)
    print(path, os.path.getsize(path), "bytes,", len(CASES), "cases")


if __name__ == "__main__":
    main()
