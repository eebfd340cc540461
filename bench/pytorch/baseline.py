#!/usr/bin/python3
"""PyTorch baseline for the Axon end-to-end harness (bench/Axon.Bench.EndToEnd).

Same workloads, same arguments, same models (architectures and parameter counts), same definitions and the
same JSON fields, one workload per process. Run it as bench/compare.sh does: Debian's python3-torch with
libopenblas0-pthread installed, OPENBLAS_NUM_THREADS/OMP_NUM_THREADS = --threads and
GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824.
The definitions of the workloads are at the top of bench/Axon.Bench.EndToEnd/Program.cs.

    /usr/bin/python3 bench/pytorch/baseline.py train --model lecture-cnn --batch 64 --steps 200 --threads 2
"""
import gc
import gzip
import json
import math
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

LR, MOMENTUM = 0.01, 0.9
MEAN, STD = 0.2860, 0.3530  # Axon.Data.FashionMnist.TrainMean / TrainStd
DATA_DIR = "/usr/share/datasets/fashion-mnist"


def make_model(name):
    """The models of Axon.Models.ModelZoo, layer for layer (PyTorch's default initialisation, as Axon's)."""
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    if name == "lecture-cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 5), nn.ReLU(), nn.MaxPool2d(3),
            nn.Conv2d(32, 64, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    if name == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
            nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))
    if name == "vgg-small":  # Axon.Models.SmallVgg: features, global average pooling, classifier, flattened
        layers, cin = [], 1
        for w in (32, 64, 128):
            layers += [nn.Conv2d(cin, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
                       nn.Conv2d(w, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2)]
            cin = w
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(cin, 10))
    if name == "resnet-small":
        return ResNet([2, 2, 2], [32, 64, 128])
    if name == "resnet18":
        return ResNet([2, 2, 2, 2], [64, 128, 256, 512])
    if name == "densenet121-small":
        return DenseNet(12, [6, 12, 24, 16], 24, 4)
    raise SystemExit(f"unknown model {name!r}")


class BasicBlock(nn.Module):
    """Axon.Models.BasicBlock, written as torchvision's (in-place ReLUs and residual add): conv3x3-BN-ReLU-conv3x3-BN
    plus the shortcut (identity, or a 1x1 convolution with batch norm when the stride or width changes), then ReLU."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        out += x if self.downsample is None else self.downsample(x)
        return F.relu(out, inplace=True)


class ResNet(nn.Module):
    """Axon.Models.ResNet: a 3x3 stem (no max pooling) with batch norm and ReLU, stages of basic blocks (the first
    block of every stage after the first halves the resolution), global average pooling, Linear. PyTorch's default
    initialisation, as Axon's ResNet (it does not apply torchvision's)."""

    def __init__(self, blocks, widths, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, widths[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        cin = widths[0]
        for s, (n, w) in enumerate(zip(blocks, widths)):
            stage = []
            for b in range(n):
                stage.append(BasicBlock(cin, w, 2 if b == 0 and s > 0 else 1))
                cin = w
            setattr(self, f"layer{s + 1}", nn.Sequential(*stage))
        self.stages = len(blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)), inplace=True)
        for s in range(self.stages):
            x = getattr(self, f"layer{s + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))

    def layers(self):
        """The profile's layer list, as the harness's Layers(): conv1, bn1, a ReLU, every block, avgpool, Flatten, fc."""
        blocks = [blk for s in range(self.stages) for blk in getattr(self, f"layer{s + 1}")]
        return [self.conv1, self.bn1, nn.ReLU(), *blocks, self.avgpool, nn.Flatten(), self.fc]


class DenseLayer(nn.Module):
    """Axon.Models.Vision.DenseLayer (torchvision's _DenseLayer): BN-ReLU-conv1x1 to bn_size*growth, BN-ReLU-conv3x3."""

    def __init__(self, cin, growth, bn_size):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, bn_size * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

    def forward(self, x):
        return self.conv2(F.relu(self.norm2(self.conv1(F.relu(self.norm1(x), inplace=True))), inplace=True))


class DenseBlock(nn.Module):
    """Each layer reads the concatenation of the block's input and all earlier outputs; returns the concatenation of all."""

    def __init__(self, n, cin, growth, bn_size):
        super().__init__()
        self.layers = nn.ModuleList(DenseLayer(cin + i * growth, growth, bn_size) for i in range(n))

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(layer(x if len(features) == 1 else torch.cat(features, 1)))
        return torch.cat(features, 1)


class DenseNet(nn.Module):
    """Axon.Models.Vision.DenseNet with smallInput (DenseNet121Small): a 3x3 stride-1 stem without pooling, dense
    blocks with transitions (BN, ReLU, 1x1 halving the channels, 2x2 average pooling), norm5; ReLU, global average
    pooling, Linear. Initialised as torchvision (and Axon): convolutions He-normal, batch norms 1/0, classifier bias 0."""

    def __init__(self, growth, block_config, init_features, bn_size, num_classes=10):
        super().__init__()
        feats = [nn.Conv2d(1, init_features, 3, padding=1, bias=False), nn.BatchNorm2d(init_features), nn.ReLU()]
        c = init_features
        for i, n in enumerate(block_config):
            feats.append(DenseBlock(n, c, growth, bn_size))
            c += n * growth
            if i != len(block_config) - 1:
                feats.append(nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c // 2, 1, bias=False), nn.AvgPool2d(2, 2)))
                c //= 2
        feats.append(nn.BatchNorm2d(c))
        self.features = nn.Sequential(*feats)
        self.classifier = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(F.relu(self.features(x), inplace=True), 1), 1))

    def layers(self):
        """The profile's layer list, as the harness's Layers(): the features, a ReLU, the pooling, Flatten, classifier."""
        return [*self.features, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), self.classifier]


def model_layers(model):
    """The model as a flat list of layers applied in order (the harness's Layers())."""
    return list(model) if isinstance(model, nn.Sequential) else model.layers()


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def blas_library():
    """The BLAS shared object this process mapped (Debian's torch links libblas.so.3, which alternatives points at)."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.split()[-1]}
    return sorted(os.path.realpath(lib) for lib in libs)


def gc_counts():
    return [s["collections"] for s in gc.get_stats()]


def gc_since(start):
    return [b - a for a, b in zip(start, gc_counts())]


def percentile(values, p):
    """Nearest rank, as the harness's Stats.Percentile."""
    s = sorted(values)
    rank = math.ceil(p / 100 * len(s))
    return s[min(max(rank - 1, 0), len(s) - 1)]


def warm_up(opts, step, min_steps=20, seconds=1.0):
    n = int(opts.get("warmup", min_steps))
    secs = float(opts.get("warmup-seconds", seconds))
    t0 = time.perf_counter()
    i = 0
    while i < n or time.perf_counter() - t0 < secs:
        step()
        i += 1


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    _, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert dtype == 0x08, path
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.from_numpy(np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape).copy())


def load(directory, train):
    prefix = "train" if train else "t10k"
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz")).long()
    return images, labels  # bytes, normalised per batch like Axon's FashionMnist.GetBatch


def batches(images, labels, batch, generator=None):
    """One epoch: shuffled when a generator is given, the last partial batch kept, pixels normalised per batch."""
    n = labels.shape[0]
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    for start in range(0, n, batch):
        idx = order[start:start + batch]
        x = images[idx].unsqueeze(1).float().div_(255).sub_(MEAN).div_(STD)
        yield x, labels[idx]


def train(opts, r):
    name, b, steps = opts.get("model", "lecture-cnn"), int(opts.get("batch", 64)), int(opts.get("steps", 200))
    torch.manual_seed(int(opts.get("seed", 0)))
    model = make_model(name)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x = torch.randn(b, 1, 28, 28)
    y = torch.randint(0, 10, (b,))
    last = [0.0]

    def step():
        opt.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        last[0] = loss.item()

    warm_up(opts, step)
    min_seconds = float(opts.get("min-seconds", 0))
    g = gc_counts()
    done, t0 = 0, time.perf_counter()
    while done < steps or time.perf_counter() - t0 < min_seconds:
        step()
        done += 1
    secs = time.perf_counter() - t0
    steps = done
    r.update(model=name, batch=b, steps=steps, params=sum(p.numel() for p in model.parameters()), seconds=secs,
             img_per_s=steps * b / secs, gc_during=gc_since(g), final_loss=last[0])


def infer_latency(opts, r):
    name, iters = opts.get("model", "lecture-cnn"), int(opts.get("iters", 2000))
    torch.manual_seed(int(opts.get("seed", 0)))
    model = make_model(name).eval()
    x = torch.randn(1, 1, 28, 28)
    with torch.no_grad():
        warm_up(opts, lambda: model(x))
        g = gc_counts()
        us = []
        for _ in range(iters):
            t0 = time.perf_counter()
            model(x)
            us.append((time.perf_counter() - t0) * 1e6)
    r.update(model=name, batch=1, iters=iters, median_us=percentile(us, 50), p99_us=percentile(us, 99),
             mean_us=sum(us) / len(us), gc_during=gc_since(g))


def infer_batch(opts, r):
    name, b, iters = opts.get("model", "lecture-cnn"), int(opts.get("batch", 256)), int(opts.get("iters", 50))
    torch.manual_seed(int(opts.get("seed", 0)))
    model = make_model(name).eval()
    x = torch.randn(b, 1, 28, 28)
    with torch.no_grad():
        warm_up(opts, lambda: model(x))
        g = gc_counts()
        t0 = time.perf_counter()
        for _ in range(iters):
            model(x)
        secs = time.perf_counter() - t0
    r.update(model=name, batch=b, iters=iters, img_per_s=iters * b / secs, gc_during=gc_since(g))


def epoch(opts, r):
    name, b, warmup = opts.get("model", "lecture-cnn"), int(opts.get("batch", 64)), int(opts.get("warmup", 20))
    images, labels = load(opts.get("data-dir", DATA_DIR), True)
    r["peak_rss_after_load_mib"] = peak_rss_mib()
    seed = int(opts.get("seed", 0))
    torch.manual_seed(seed)
    model = make_model(name)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    shuffle = torch.Generator().manual_seed(seed + 1)
    model.train()
    step, loss_sum, g, warm_secs = 0, 0.0, gc_counts(), 0.0
    t0 = time.perf_counter()
    for x, y in batches(images, labels, b, shuffle):
        opt.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss_sum += loss.item()
        step += 1
        if step == warmup:
            g, warm_secs = gc_counts(), time.perf_counter() - t0
    secs = time.perf_counter() - t0
    n = labels.shape[0]
    r.update(model=name, batch=b, steps=step, seconds=secs, img_per_s=n / secs,
             steady_img_per_s=(n - warmup * b) / (secs - warm_secs), mean_loss=loss_sum / step, gc_during=gc_since(g))


def profile(opts, r):
    """A training step cut at every layer, as the harness's profile workload (see Program.cs)."""
    name, b, steps = opts.get("model", "lecture-cnn"), int(opts.get("batch", 64)), int(opts.get("steps", 50))
    torch.manual_seed(int(opts.get("seed", 0)))
    model = make_model(name)
    model.train()
    layers = model_layers(model)
    names = [f"{i} {type(m).__name__}" for i, m in enumerate(layers)]
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x = torch.randn(b, 1, 28, 28)
    y = torch.randint(0, 10, (b,))
    phases, timing = {}, [False]

    def add(key, t0):
        if timing[0]:
            phases[key] = phases.get(key, 0.0) + (time.perf_counter() - t0) * 1e3

    def step():
        t = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        add("zero_grad", t)
        inputs, outputs, h = [], [], x
        for i, layer in enumerate(layers):
            inp = h.detach().requires_grad_() if h.requires_grad else h
            t = time.perf_counter()
            h = layer(inp)
            add("fwd " + names[i], t)
            inputs.append(inp)
            outputs.append(h)
        last = h.detach().requires_grad_()
        t = time.perf_counter()
        loss = F.cross_entropy(last, y)
        add("loss fwd", t)
        t = time.perf_counter()
        loss.backward()
        add("loss bwd", t)
        grad = last.grad
        for i in reversed(range(len(layers))):
            if not outputs[i].requires_grad:
                break
            t = time.perf_counter()
            outputs[i].backward(grad)
            add("bwd " + names[i], t)
            if inputs[i].requires_grad:
                grad = inputs[i].grad
        t = time.perf_counter()
        opt.step()
        add("optimizer", t)

    warm_up(opts, step)
    timing[0] = True
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    total = (time.perf_counter() - t0) * 1e3 / steps
    r.update(model=name, batch=b, steps=steps, step_ms=total, phases_ms={k: v / steps for k, v in phases.items()})


def accuracy(model, images, labels):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in batches(images, labels, 1000):
            correct += (model(x).argmax(1) == y).sum().item()
    return correct / labels.shape[0]


def time_to_accuracy(opts, r):
    name, b = opts.get("model", "lecture-cnn"), int(opts.get("batch", 64))
    eval_every, max_epochs = int(opts.get("eval-every", 469)), int(opts.get("max-epochs", 10))
    target = float(opts.get("target", 0.90))
    directory = opts.get("data-dir", DATA_DIR)
    images, labels = load(directory, True)
    test_images, test_labels = load(directory, False)
    seed = int(opts.get("seed", 0))
    torch.manual_seed(seed)
    model = make_model(name)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    shuffle = torch.Generator().manual_seed(seed + 1)
    evals, step, acc, reached = [], 0, 0.0, False
    t0 = time.perf_counter()
    for _ in range(max_epochs):
        if reached:
            break
        model.train()
        for x, y in batches(images, labels, b, shuffle):
            opt.zero_grad(set_to_none=False)
            F.cross_entropy(model(x), y).backward()
            opt.step()
            step += 1
            if step % eval_every != 0:
                continue
            acc = accuracy(model, test_images, test_labels)
            model.train()
            evals.append([step, time.perf_counter() - t0, acc])
            if acc >= target:
                reached = True
                break
    secs = time.perf_counter() - t0
    r.update(model=name, batch=b, target=target, reached=reached, seconds=secs, steps=step,
             epochs=step * b / labels.shape[0], accuracy=acc, evals=evals)


def gemm(opts, r):
    n = int(opts.get("size", 256))
    gen = torch.Generator().manual_seed(42)
    a = torch.rand(n, n, generator=gen) - 0.5
    b = torch.rand(n, n, generator=gen) - 0.5
    c = torch.empty(n, n)
    call = lambda: torch.mm(a, b, out=c)  # noqa: E731
    warm_up(opts, call, min_steps=3, seconds=0.3)
    times = []
    t_start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - t_start < 1.0:
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    flops = 2.0 * n ** 3
    r.update(size=n, calls=len(times), gflops=flops / percentile(times, 50) / 1e9, best_gflops=flops / min(times) / 1e9)


class RowClassifier(nn.Module):
    """An image read as 28 rows of 28: an LSTM or GRU (batch-first), its last step's output to Linear(hidden, 10)."""

    def __init__(self, cell, hidden):
        super().__init__()
        self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell](28, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 10)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])


class CharModel(nn.Module):
    """The character-level language model's step: Embedding(80, 64), a 2-layer LSTM of 256, Linear(256, 80)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(80, 64)
        self.lstm = nn.LSTM(64, 256, num_layers=2, batch_first=True)
        self.fc = nn.Linear(256, 80)

    def forward(self, tokens):
        return self.fc(self.lstm(self.embed(tokens))[0]).reshape(-1, 80)


def timed_training(opts, r, model, x, y, items_per_step):
    """SGD steps until both --steps steps and --min-seconds have passed after the warm-up (as the harness)."""
    min_steps, min_seconds = int(opts.get("steps", 20)), float(opts.get("min-seconds", 1.0))
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    last = [0.0]

    def step():
        opt.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        last[0] = loss.item()

    warm_up(opts, step, min_steps=5)
    g = gc_counts()
    steps, t0 = 0, time.perf_counter()
    while steps < min_steps or time.perf_counter() - t0 < min_seconds:
        step()
        steps += 1
    secs = time.perf_counter() - t0
    r.update(batch=x.shape[0], steps=steps, params=sum(p.numel() for p in model.parameters()), seconds=secs,
             img_per_s=steps * items_per_step / secs, gc_during=gc_since(g), final_loss=last[0])


def rnn_train(opts, r):
    cell, b, hidden = opts.get("cell", "lstm"), int(opts.get("batch", 64)), int(opts.get("hidden", 128))
    torch.manual_seed(int(opts.get("seed", 0)))
    model = RowClassifier(cell, hidden)
    timed_training(opts, r, model, torch.randn(b, 28, 28), torch.randint(0, 10, (b,)), b)
    r.update(model=cell + "-rows", hidden=hidden)


def charlm_train(opts, r):
    b, seq = int(opts.get("batch", 64)), int(opts.get("seq", 100))
    torch.manual_seed(int(opts.get("seed", 0)))
    model = CharModel()
    timed_training(opts, r, model, torch.randint(0, 80, (b, seq)), torch.randint(0, 80, (b * seq,)), b * seq)
    r.update(model="char-lstm", seq=seq, batch=b)


def rnn_latency(opts, r):
    cell, iters, hidden = opts.get("cell", "lstm"), int(opts.get("iters", 2000)), int(opts.get("hidden", 128))
    torch.manual_seed(int(opts.get("seed", 0)))
    model = RowClassifier(cell, hidden).eval()
    x = torch.randn(1, 28, 28)
    with torch.no_grad():
        warm_up(opts, lambda: model(x))
        g = gc_counts()
        us = []
        for _ in range(iters):
            t0 = time.perf_counter()
            model(x)
            us.append((time.perf_counter() - t0) * 1e6)
    r.update(model=cell + "-rows", batch=1, iters=iters, median_us=percentile(us, 50), p99_us=percentile(us, 99),
             mean_us=sum(us) / len(us), gc_during=gc_since(g))


WORKLOADS = {"train": train, "infer-latency": infer_latency, "infer-batch": infer_batch, "epoch": epoch,
             "time-to-accuracy": time_to_accuracy, "gemm": gemm, "profile": profile,
             "rnn-train": rnn_train, "rnn-latency": rnn_latency, "charlm-train": charlm_train}


def main(argv):
    if not argv or argv[0] not in WORKLOADS:
        raise SystemExit(f"usage: baseline.py <{'|'.join(WORKLOADS)}> [--key value ...]")
    workload, rest = argv[0], argv[1:]
    if len(rest) % 2 or any(not k.startswith("--") for k in rest[::2]):
        raise SystemExit("expected --key value pairs")
    opts = {k[2:]: v for k, v in zip(rest[::2], rest[1::2])}
    threads = int(opts.get("threads", 2))
    torch.set_num_threads(threads)
    r = {"impl": "pytorch", "workload": workload, "threads": threads}
    WORKLOADS[workload](opts, r)
    r["peak_rss_mib"] = peak_rss_mib()
    r["gc_total"] = gc_counts()
    r["torch"] = torch.__version__
    r["torch_threads"] = torch.get_num_threads()
    r["blas"] = blas_library()
    print(json.dumps(r))


if __name__ == "__main__":
    main(sys.argv[1:])
