#!/usr/bin/python3
"""PyTorch twins of Axon's generative and Siamese models (src/Axon.Models/Generative, src/Axon.Models/Siamese), trained
with the recipes of `axon train --model NAME`, for bench/generative/compare.sh.

Same layers and sizes, same initialisation (DCGAN/InfoGAN: N(0, 0.02) weights, batch-norm scales N(1, 0.02), biases 0;
the others PyTorch's defaults, which Axon's layers copy), same losses and reductions, same optimisers and the same
algorithm per batch. Fashion-MNIST as floats in [0, 1], [N, 1, 28, 28]; shuffled each epoch; the last partial batch
kept. Only the training pass of each epoch is timed (the loop over its batches, batch gathering included), not reading
the data set nor the evaluation.

    /usr/bin/python3 bench/generative/twins.py dcgan --epochs 5 --out runs/compare/torch-dcgan

Writes OUT/summary.json ({"tool": "pytorch", "model", "epochs", "images_per_epoch", "seconds_per_epoch", "metrics",
"torch", "threads", ...}) and, for vae, gan, dcgan and infogan, OUT/samples.safetensors: "images" F32 [10000, 1, 28, 28]
in [0, 1] (InfoGAN: 1,000 per category in category order, with "categories" I64 [10000]).
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

MODELS = ("vae", "autoencoder", "denoising-ae", "gan", "dcgan", "infogan", "siamese")


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", choices=MODELS)
    ap.add_argument("--epochs", type=int, required=True)
    ap.add_argument("--out", required=True, help="folder for summary.json (and samples.safetensors)")
    ap.add_argument("--limit", type=int, default=0, help="use the first N training images and N/6 test images (quick checks)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args(argv)
    if a.epochs < 1:
        ap.error(f"--epochs must be at least 1, got {a.epochs}")
    if a.limit < 0 or 0 < a.limit < 6:
        ap.error(f"--limit must be 0 (all) or at least 6, got {a.limit}")
    if a.threads < 1:
        ap.error(f"--threads must be at least 1, got {a.threads}")
    return a


ARGS = parse_args(sys.argv[1:])
# Before torch loads: PyTorch's own OpenMP threads run the parallel ops; OpenBLAS stays single-threaded on the caller,
# as bench/compare.py runs the baseline (both at 2 threads fight over the 2 cores and slow PyTorch down).
os.environ.setdefault("OMP_NUM_THREADS", str(ARGS.threads))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.dont_write_bytecode = True  # no __pycache__ beside the scripts in the working tree

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from models import InfoGan, Vae, autoencoder, bce_ones, bce_zeros, contrastive_loss, dcgan, mlp_gan, negative_elbo, siamese  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

RECIPES = {  # batch size, learning rate, Adam betas
    "vae": (128, 1e-3, (0.9, 0.999)),
    "autoencoder": (128, 1e-3, (0.9, 0.999)),
    "denoising-ae": (128, 1e-3, (0.9, 0.999)),
    "gan": (64, 2e-4, (0.5, 0.999)),
    "dcgan": (64, 2e-4, (0.5, 0.999)),
    "infogan": (64, 2e-4, (0.5, 0.999)),
    "siamese": (128, 1e-3, (0.9, 0.999)),
}
SAMPLES = 10_000
NOISE_SIGMA = 0.5  # denoising-ae's Gaussian corruption
# Train on classes 0-5; 5-way episodes of test images: the held-out 6-9 in every episode plus one seen class (a distractor).
SIAMESE_PAIRS, SIAMESE_TRAIN_CLASSES, SIAMESE_TEST_CLASSES = 30_000, (0, 1, 2, 3, 4, 5), (6, 7, 8, 9)
FEWSHOT_WAYS, FEWSHOT_QUERIES, FEWSHOT_EPISODES = 5, 15, 1000


# ---------------------------------------------------------------- data

def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    _, dtype, ndim = struct.unpack(">HBB", data[:4])
    if dtype != 0x08:
        sys.exit(f"twins.py: {path} is not an unsigned-byte IDX file (type 0x{dtype:02x})")
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load(directory, train, limit):
    prefix = "train" if train else "t10k"
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"))
    if limit:
        images, labels = images[:limit], labels[:limit]
    x = torch.from_numpy(images.astype(np.float32) / 255).unsqueeze(1).contiguous()
    return x, torch.from_numpy(labels.astype(np.int64))


def batches(n, batch, generator):
    """One epoch's index batches: a fresh permutation, the last partial batch kept."""
    order = torch.randperm(n, generator=generator)
    return [order[s:s + batch] for s in range(0, n, batch)]


# ---------------------------------------------------------------- training

def adam(params, lr, betas):
    return torch.optim.Adam(params, lr=lr, betas=betas)


def count_parameters(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


def run_epochs(a, n, batch, step, begin=None):
    """The timed training passes: per epoch (begin(epoch), then) step(index batch) → loss over a fresh permutation.
    Returns the seconds and the mean loss per image of each epoch."""
    shuffle = torch.Generator().manual_seed(a.seed + 1)
    seconds, losses = [], []
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        if begin is not None:
            begin(epoch)
        total = 0.0
        for idx in batches(n, batch, shuffle):
            total += step(idx) * len(idx)
        seconds.append(time.perf_counter() - t0)
        losses.append(total / n)
        print(f"  {a.model} epoch {epoch + 1}/{a.epochs}: {seconds[-1]:.2f} s, loss {losses[-1]:.4f}", file=sys.stderr, flush=True)
    return seconds, losses


def in_chunks(fn, x, size=1000):
    return torch.cat([fn(c) for c in x.split(size)])


def train_vae(a, train, test, batch, lr, betas):
    x, tx = train[0], test[0]
    model = Vae()
    opt = adam(model.parameters(), lr, betas)
    noise = torch.Generator().manual_seed(a.seed + 2)

    def step(idx):
        xb = x[idx]
        loss = negative_elbo(*model(xb, noise), xb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    seconds, losses = run_epochs(a, len(x), batch, step)
    model.eval()
    with torch.no_grad():
        test_noise = torch.Generator().manual_seed(a.seed + 3)
        total = sum(negative_elbo(*model(c, test_noise), c).item() * len(c) for c in tx.split(1000))
        z = torch.randn(SAMPLES, model.latent, generator=torch.Generator().manual_seed(a.seed + 4))
        samples = in_chunks(lambda c: torch.sigmoid(model.decode(c)), z).reshape(SAMPLES, 1, 28, 28)
    return {"images_per_epoch": len(x), "seconds": seconds, "train_loss": losses, "parameters": count_parameters(model),
            "metrics": {"neg_elbo": total / len(tx)}, "samples": samples}


def corrupt(x, g):
    """Gaussian noise σ = 0.5, clamped back to [0, 1]; the target stays the clean image."""
    return (x + NOISE_SIGMA * torch.randn(x.shape, generator=g)).clamp_(0, 1)


def train_autoencoder(a, train, test, batch, lr, betas):
    denoise = a.model == "denoising-ae"
    x, tx = train[0], test[0]
    model = autoencoder()
    opt = adam(model.parameters(), lr, betas)
    noise = torch.Generator().manual_seed(a.seed + 2)

    def step(idx):
        xb = x[idx]
        n = len(idx)
        logits = model(corrupt(xb, noise) if denoise else xb)
        loss = F.binary_cross_entropy_with_logits(logits, xb.reshape(n, -1), reduction="sum") / n
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    seconds, losses = run_epochs(a, len(x), batch, step)
    model.eval()
    with torch.no_grad():
        n = len(tx)
        clean = tx.reshape(n, -1)
        fed = corrupt(tx, torch.Generator().manual_seed(a.seed + 3)).reshape(n, -1) if denoise else clean
        logits = in_chunks(model, fed)
        squared = (torch.sigmoid(logits) - clean).square().sum().item() / n
        if denoise:
            metrics = {"squared_error": squared, "noisy_squared_error": (fed - clean).square().sum().item() / n}
        else:
            metrics = {"bce": F.binary_cross_entropy_with_logits(logits, clean, reduction="sum").item() / n, "squared_error": squared}
    return {"images_per_epoch": len(x), "seconds": seconds, "train_loss": losses, "parameters": count_parameters(model),
            "metrics": metrics}


def train_gan(a, train, test, batch, lr, betas):
    """GanTask with k = 1: one discriminator step on BCE(D(x), 1) + BCE(D(G(z)), 0), then one generator step on the
    non-saturating BCE(D(G(z')), 1) with fresh codes; two Adam optimisers. Real images scaled to [−1, 1]."""
    x = train[0]
    latent = 64
    g, d = mlp_gan(latent, 256) if a.model == "gan" else dcgan(latent, 32)
    opt_g, opt_d = adam(g.parameters(), lr, betas), adam(d.parameters(), lr, betas)
    noise = torch.Generator().manual_seed(a.seed + 2)
    g.train()
    d.train()

    def step(idx):
        real = x[idx] * 2 - 1
        n = len(idx)
        with torch.no_grad():  # the generated batch is a constant in D's step (Axon detaches it)
            fake = g(torch.randn(n, latent, generator=noise))
        d_loss = bce_ones(d(real)) + bce_zeros(d(fake))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        g_loss = bce_ones(d(g(torch.randn(n, latent, generator=noise))))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        return d_loss.item()

    seconds, losses = run_epochs(a, len(x), batch, step)
    g.eval()
    with torch.no_grad():
        z = torch.randn(SAMPLES, latent, generator=torch.Generator().manual_seed(a.seed + 4))
        samples = in_chunks(lambda c: (g(c) + 1) / 2, z).reshape(SAMPLES, 1, 28, 28)
    return {"images_per_epoch": len(x), "seconds": seconds, "train_loss": losses, "parameters": count_parameters(g, d),
            "metrics": {}, "samples": samples}


def train_infogan(a, train, test, batch, lr, betas):
    """InfoGanTask with k = 1: the discriminator step updates the trunk and D's head; the generator step updates the
    generator and Q's head (not the trunk) on BCE(D(G(z, c)), 1) + 1 · CE(Q_cat, c) + 0.1 · ½ Σ (μ − c_cont)² / N."""
    x = train[0]
    model = InfoGan()
    cats_n = model.categories
    opt_d = adam(list(model.trunk.parameters()) + list(model.d_head.parameters()), lr, betas)
    opt_g = adam(list(model.generator.parameters()) + list(model.q_head.parameters()), lr, betas)
    noise = torch.Generator().manual_seed(a.seed + 2)
    model.train()

    def step(idx):
        real = x[idx] * 2 - 1
        n = len(idx)
        with torch.no_grad():
            fake = model.generator(model.inputs(n, noise)[0])
        d_loss = bce_ones(model.d_head(model.trunk(real))) + bce_zeros(model.d_head(model.trunk(fake)))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        z, cats, cont = model.inputs(n, noise)
        h = model.trunk(model.generator(z))
        codes = model.q_head(h)
        mi_cat = F.cross_entropy(codes[:, :cats_n], cats)
        mi_cont = (codes[:, cats_n:] - cont).square().sum() * (0.5 / n)
        g_loss = bce_ones(model.d_head(h)) + 1.0 * mi_cat + 0.1 * mi_cont
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        return d_loss.item()

    seconds, losses = run_epochs(a, len(x), batch, step)
    model.eval()
    per = SAMPLES // cats_n
    categories = torch.arange(cats_n).repeat_interleave(per)
    with torch.no_grad():
        z = model.inputs(SAMPLES, torch.Generator().manual_seed(a.seed + 4), categories)[0]
        samples = in_chunks(lambda c: (model.generator(c) + 1) / 2, z).reshape(SAMPLES, 1, 28, 28)
    return {"images_per_epoch": len(x), "seconds": seconds, "train_loss": losses, "parameters": count_parameters(model),
            "metrics": {}, "samples": samples, "categories": categories}


def class_members(labels, classes):
    y = labels.numpy()
    return {c: np.flatnonzero(y == c) for c in classes}


def draw_pairs(members, classes, count, rng):
    """SiamesePairs: a class uniformly; even pairs same-class, odd pairs another class uniformly; images uniformly."""
    k = len(classes)
    ia = rng.integers(k, size=count)
    ib = ia.copy()
    odd = np.arange(count) % 2 == 1
    other = rng.integers(k - 1, size=int(odd.sum()))
    ib[odd] = other + (other >= ia[odd])
    picks = []
    for which in (ia, ib):
        out = np.empty(count, dtype=np.int64)
        for j, c in enumerate(classes):
            mask = which == j
            out[mask] = members[c][rng.integers(len(members[c]), size=int(mask.sum()))]
        picks.append(out)
    return torch.from_numpy(picks[0]), torch.from_numpy(picks[1]), torch.from_numpy((~odd).astype(np.float32))


def few_shot(emb, members, always, others, ways, shots, queries, episodes, rng):
    """FewShot.Evaluate: N-way K-shot episodes (the classes `always` in each, the rest drawn from `others`), nearest
    prototype (mean support embedding) in Euclidean distance."""
    right, per_episode = 0, []
    truth = np.repeat(np.arange(ways), queries)
    for _ in range(episodes):
        chosen = list(always) + [others[k] for k in rng.permutation(len(others))[:ways - len(always)]]
        support, query = [], []
        for c in chosen:
            pick = members[c][rng.permutation(len(members[c]))]
            support.extend(pick[:shots])
            query.extend(pick[shots:shots + queries])
        centres = emb[support].reshape(ways, shots, -1).mean(1)
        dist = ((emb[query][:, None, :] - centres[None]) ** 2).sum(-1)
        r = int((dist.argmin(1) == truth).sum())
        right += r
        per_episode.append(r / len(query))
    acc = np.array(per_episode)
    return right / (episodes * ways * queries), float(acc.std(ddof=1) / np.sqrt(episodes)) if episodes > 1 else 0.0


def train_siamese(a, train, test, batch, lr, betas):
    x, y = train
    tx, ty = test
    model = siamese(64)
    opt = adam(model.parameters(), lr, betas)
    members = class_members(y, SIAMESE_TRAIN_CLASSES)
    count = min(SIAMESE_PAIRS, a.limit) if a.limit else SIAMESE_PAIRS  # --limit: as many pairs as images
    epoch_pairs = {}

    def begin(epoch):  # fresh pairs each epoch, seeded by (seed, epoch)
        epoch_pairs["p"] = draw_pairs(members, SIAMESE_TRAIN_CLASSES, count, np.random.default_rng([a.seed, epoch]))

    def step(idx):
        first, second, same = epoch_pairs["p"]
        n = len(idx)
        e = model(torch.cat([x[first[idx]], x[second[idx]]]))
        loss = contrastive_loss(e[:n], e[n:], same[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    seconds, losses = run_epochs(a, count, batch, step, begin)
    model.eval()
    test_members = class_members(ty, range(10))
    with torch.no_grad():
        emb = in_chunks(model, tx).double().numpy()
    metrics, details = {}, {}
    smallest = min(len(m) for m in test_members.values())
    for shots in (1, 5):
        queries = min(FEWSHOT_QUERIES, smallest - shots)  # fewer only with --limit
        if queries < 1:
            print(f"  siamese: skipping {shots}-shot evaluation, a test class has only {smallest} images", file=sys.stderr)
            continue
        acc, se = few_shot(emb, test_members, list(SIAMESE_TEST_CLASSES), list(SIAMESE_TRAIN_CLASSES), FEWSHOT_WAYS, shots, queries, FEWSHOT_EPISODES,
                           np.random.default_rng([a.seed, 1000 + shots]))
        metrics[f"fewshot_5way_{shots}shot"] = acc
        details[f"fewshot_5way_{shots}shot"] = {"standard_error": se, "queries_per_class": queries, "episodes": FEWSHOT_EPISODES}
    # The samples of an epoch are its pairs (each pair is two images through the encoder), as Axon's trainer counts them.
    return {"images_per_epoch": count, "pairs_per_epoch": count, "seconds": seconds, "train_loss": losses,
            "parameters": count_parameters(model), "metrics": metrics, "details": details}


TRAINERS = {"vae": train_vae, "autoencoder": train_autoencoder, "denoising-ae": train_autoencoder, "gan": train_gan,
            "dcgan": train_gan, "infogan": train_infogan, "siamese": train_siamese}


def blas_library():
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.split()[-1]}
    return sorted(os.path.realpath(lib) for lib in libs)


def main():
    a = ARGS
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    train = load(a.data_dir, True, a.limit)
    test = load(a.data_dir, False, a.limit // 6)
    os.makedirs(a.out, exist_ok=True)
    batch, lr, betas = RECIPES[a.model]
    result = TRAINERS[a.model](a, train, test, batch, lr, betas)
    summary = {
        "tool": "pytorch", "model": a.model, "epochs": a.epochs, "images_per_epoch": result["images_per_epoch"],
        "seconds_per_epoch": result["seconds"], "metrics": result["metrics"], "torch": torch.__version__,
        "threads": a.threads, "batch": batch, "lr": lr, "betas": list(betas), "seed": a.seed, "limit": a.limit,
        "train_loss": result["train_loss"], "parameters": result["parameters"], "blas": blas_library(),
    }
    for extra in ("details", "pairs_per_epoch"):
        if extra in result:
            summary[extra] = result[extra]
    if "samples" in result:
        tensors = {"images": result["samples"]}
        if "categories" in result:
            tensors["categories"] = result["categories"]
        write_safetensors(os.path.join(a.out, "samples.safetensors"), tensors, {"tool": "pytorch", "model": a.model})
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    secs = ", ".join(f"{s:.1f}" for s in result["seconds"])
    print(f"{a.model}: {result['images_per_epoch']:,} images/epoch, seconds per epoch [{secs}], metrics {json.dumps(result['metrics'])}")


if __name__ == "__main__":
    main()
