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


if __name__ == "__main__":
    main()
