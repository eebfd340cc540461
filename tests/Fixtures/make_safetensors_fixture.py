#!/usr/bin/python3
"""Builds the PyTorch reference fixtures for Axon's safetensors reader.

Run with Debian's interpreter and PyTorch (no pip, no safetensors package needed):

    apt-get install -y python3-torch
    /usr/bin/python3 tests/Fixtures/make_safetensors_fixture.py

It writes, next to this script:

  mlp_8_16_4.safetensors     the state dict of an 8-16-4 MLP (Linear, ReLU, Linear) with fixed weights, under
                             PyTorch's keys layers.0.weight, layers.0.bias, layers.2.weight, layers.2.bias
                             (the keys of Axon.Models.Mlp([8, 16, 4])), with __metadata__ {"format": "pt"}.
  mlp_8_16_4_io.safetensors  "input" [5, 8] float32 and "logits" [5, 4] float32 = model(input), computed by PyTorch,
                             with __metadata__ {"torch": <version>}.
  lecture_cnn.safetensors, lecture_cnn_io.safetensors
                             the same for the lectures' CNN (Axon.Models.LectureCnn: features.0 Conv2d(1, 32, 5),
                             ReLU, MaxPool2d(3), features.3 Conv2d(32, 64, 5), ReLU, MaxPool2d(2), classifier.0
                             Linear(256, 256), ReLU, classifier.2 Linear(256, 10)) on a [3, 1, 28, 28] input.
  resnet_tiny.safetensors, resnet_tiny_io.safetensors
                             a ResNet of basic blocks with torchvision's keys (Axon.Models.ResNet([1, 1], [8, 16])),
                             in eval mode with fixed batch-norm running statistics, on a [2, 1, 28, 28] input.

PyTorch 1.13 (Debian 12) has no safetensors package, so the format is written by hand with struct and json, the way
the reference implementation lays it out: an 8-byte little-endian header length N; N bytes of compact JSON with
"__metadata__" first and the tensors in buffer order, padded with spaces to a multiple of 8; then the data buffer,
tensors sorted by decreasing dtype alignment and then by name, little-endian, row-major. The weights come from a
closed formula rather than an RNG, so the files do not depend on PyTorch's generator and are reproducible.
"""

import json
import math
import os
import struct

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))

# safetensors dtype name, struct code, element size, and alignment rank (the reference's enum order).
DTYPES = {
    torch.float32: ("F32", "f", 4, 1),
    torch.float64: ("F64", "d", 8, 2),
    torch.int64: ("I64", "q", 8, 3),
}


def save_safetensors(path, tensors, metadata=None):
    """Writes a dict name -> tensor in the safetensors format (the reference implementation's layout)."""
    items = sorted(tensors.items(), key=lambda kv: (-DTYPES[kv[1].dtype][3], kv[0].encode("utf-8")))
    header = {}
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    chunks = []
    offset = 0
    for name, t in items:
        dtype, code, size, _ = DTYPES[t.dtype]
        values = t.detach().contiguous().reshape(-1).tolist()
        data = struct.pack("<%d%s" % (len(values), code), *values)
        assert len(data) == t.numel() * size
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


class Mlp(nn.Module):
    """Same structure and keys as Axon.Models.Mlp([8, 16, 4]): layers = Sequential(Linear, ReLU, Linear)."""

    def __init__(self, sizes):
        super().__init__()
        mods = []
        for i in range(len(sizes) - 1):
            mods.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes):
                mods.append(nn.ReLU())
        self.layers = nn.Sequential(*mods)

    def forward(self, x):
        return self.layers(x)


class LectureCnn(nn.Module):
    """The lectures' MNIST network with Axon.Models.LectureCnn's keys."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 5), nn.ReLU(), nn.MaxPool2d(3), nn.Conv2d(32, 64, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class BasicBlock(nn.Module):
    """torchvision's basic block: conv1, bn1, conv2, bn2 and a 1x1 projection 'downsample' when the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    """Axon.Models.ResNet(blocks, widths): 3x3 stem, stages layer1.., global average pooling, fc."""

    def __init__(self, blocks, widths, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        cin = widths[0]
        for s, (b, w) in enumerate(zip(blocks, widths)):
            stage = []
            for i in range(b):
                stage.append(BasicBlock(cin, w, 2 if i == 0 and s > 0 else 1))
                cin = w
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*stage))
        self.stages = len(blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        for s in range(self.stages):
            x = getattr(self, "layer%d" % (s + 1))(x)
        return self.fc(self.avgpool(x).flatten(1))


def fill_fixed(model):
    """Deterministic weights scaled by 1/sqrt(fan-in), and batch-norm statistics away from the identity."""
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            fan_in = math.prod(p.shape[1:]) if p.dim() > 1 else 4
            p.copy_(fixed(tuple(p.shape), phase=1.0 + k, scale=1.5 / math.sqrt(fan_in)))
        for k, (name, b) in enumerate(model.named_buffers()):
            if name.endswith("running_mean"):
                b.copy_(fixed(tuple(b.shape), phase=3.0 + k, scale=0.1))
            elif name.endswith("running_var"):
                b.copy_(1.0 + fixed(tuple(b.shape), phase=5.0 + k, scale=0.5).abs())
            elif name.endswith("num_batches_tracked"):
                b.fill_(7)


def save_model_fixture(stem, model, x):
    model.eval()
    with torch.no_grad():
        logits = model(x)
    save_safetensors(os.path.join(HERE, stem + ".safetensors"), model.state_dict(), {"format": "pt"})
    save_safetensors(os.path.join(HERE, stem + "_io.safetensors"), {"input": x, "logits": logits}, {"torch": torch.__version__})
    print(stem, "logits[0] =", logits[0].tolist())


def fixed(shape, phase, scale):
    n = math.prod(shape)
    return torch.tensor([scale * math.sin(0.37 * i + phase) for i in range(n)], dtype=torch.float32).reshape(shape)


def main():
    model = Mlp([8, 16, 4])
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            p.copy_(fixed(tuple(p.shape), phase=1.0 + k, scale=0.5))
    x = fixed((5, 8), phase=0.25, scale=2.0)
    with torch.no_grad():
        logits = model(x)

    state = model.state_dict()
    assert list(state.keys()) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    save_safetensors(os.path.join(HERE, "mlp_8_16_4.safetensors"), state, {"format": "pt"})
    save_safetensors(os.path.join(HERE, "mlp_8_16_4_io.safetensors"), {"input": x, "logits": logits}, {"torch": torch.__version__})
    print("logits[0] =", logits[0].tolist())

    cnn = LectureCnn()
    fill_fixed(cnn)
    save_model_fixture("lecture_cnn", cnn, fixed((3, 1, 28, 28), phase=0.5, scale=1.0))

    resnet = ResNet([1, 1], [8, 16])
    fill_fixed(resnet)
    save_model_fixture("resnet_tiny", resnet, fixed((2, 1, 28, 28), phase=0.75, scale=1.0))


if __name__ == "__main__":
    main()
