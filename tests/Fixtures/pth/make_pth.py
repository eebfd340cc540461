#!/usr/bin/python3
"""Builds the fixtures for Axon's PyTorch .pth reader (src/Axon/IO/PyTorchPth*.cs).

Run with Debian's interpreter and PyTorch 1.13 (no pip needed):

    /usr/bin/python3 tests/Fixtures/pth/make_pth.py

It writes, next to this script:

  state_dict.pth            torch.save(sd) of a small model's state dict (conv: Conv2d(1, 2, 3), bn: BatchNorm2d(2) with
                            running statistics and num_batches_tracked (int64), fc: Linear(8, 3)) plus extra entries under
                            "extra.": a float64 tensor, a transposed (non-contiguous) tensor, two tensors that are views at
                            different offsets into one storage, a 0-d tensor, and half, bfloat16, int32, uint8 and bool tensors.
  state_dict.safetensors    the same tensors, contiguous, as the reference values (half and bfloat16 widened to float32,
                            the integer and bool ones to int64: what Axon loads them as).
  densenet_old_keys.pth     a DenseNet-layer-like state dict under torchvision's old key style ("layer.norm.1.weight"
                            rather than "layer.norm1.weight"), for the key-renaming hook; its values are those of
                            densenet_old_keys.safetensors, which holds them under the new names.
  whole_model.pth           torch.save(model) of a whole nn.Module (a class defined here): refused, it needs the class.
  malicious.pth             a valid torch.save zip whose data.pkl maps "fc.weight" to a tensor and "payload" to
                            os.system("touch /tmp/axon_pth_marker_do_not_create"): refused, nothing runs.
  truncated.pth             the first half of state_dict.pth.
  storage_too_small.pth     {"w": tensor} whose pickled size was rewritten from [2, 3] to [4, 3] while its storage
                            still holds 6 floats.
  legacy.pth                the pre-1.6 (non-zip) format: torch.save(..., _use_new_zipfile_serialization=False).

The weights come from closed formulas rather than an RNG, so the files are reproducible.
"""

import io
import json
import os
import pickle
import struct
import zipfile

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = "/tmp/axon_pth_marker_do_not_create"

ST_DTYPES = {torch.float32: ("F32", "f"), torch.float64: ("F64", "d"), torch.int64: ("I64", "q")}


def save_safetensors(path, tensors):
    """Writes {name: tensor} (float32, float64 or int64) in the safetensors format, buffer in key order."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        dtype, code = ST_DTYPES[t.dtype]
        values = t.reshape(-1).tolist()
        raw = struct.pack("<%d%s" % (len(values), code), *values)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def formula(shape, scale=0.1, shift=0.0, dtype=torch.float32):
    n = 1
    for s in shape:
        n *= s
    return (torch.sin(torch.arange(n, dtype=torch.float64) * 0.7 + shift) * scale).to(dtype).reshape(shape)


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.fc = nn.Linear(8, 3)


def small_state_dict():
    m = Small()
    with torch.no_grad():
        for i, (name, p) in enumerate(m.named_parameters()):
            p.copy_(formula(p.shape, shift=i))
        m.bn.running_mean.copy_(torch.tensor([0.25, -0.5]))
        m.bn.running_var.copy_(torch.tensor([1.5, 0.75]))
        m.bn.num_batches_tracked.fill_(7)
    sd = m.state_dict()
    base = formula([10], scale=1.0, shift=3.0)
    sd["extra.float64"] = formula([2, 3], scale=2.0, dtype=torch.float64)
    sd["extra.transposed"] = formula([3, 4], shift=1.0).t()          # shape [4, 3], stride (1, 4)
    sd["extra.shared_a"] = base[2:5]                                 # storage offset 2
    sd["extra.shared_b"] = base[4:10].view(2, 3)[:, 1:]              # offset 5, shape [2, 2], stride (3, 1)
    sd["extra.scalar"] = torch.tensor(-2.5)
    sd["extra.half"] = torch.tensor([0.5, -1.25, 65504.0], dtype=torch.float16)
    sd["extra.bfloat16"] = torch.tensor([1.0, -3.0, 0.0078125], dtype=torch.bfloat16)
    sd["extra.int32"] = torch.tensor([[-7, 0], [2147483647, -2147483648]], dtype=torch.int32)
    sd["extra.uint8"] = torch.tensor([0, 255, 17], dtype=torch.uint8)
    sd["extra.bool"] = torch.tensor([True, False, True])
    return m, sd


def reference(sd):
    ref = {}
    for k, v in sd.items():
        if v.dtype in (torch.float16, torch.bfloat16):
            v = v.float()
        elif v.dtype in (torch.int32, torch.uint8, torch.bool):
            v = v.long()
        ref[k] = v.contiguous()
    return ref


def rewrite_zip(src_bytes, replace):
    """A copy of a torch.save zip with some records' bytes replaced ({name suffix: new bytes}), stored like torch's."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src_bytes)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            for suffix, new in replace.items():
                if info.filename.endswith(suffix):
                    data = new(data)
            zout.writestr(info.filename, data)
    return out.getvalue()


def torch_save_bytes(obj, name):
    buf = io.BytesIO()
    torch.save(obj, buf)
    # torch names the archive after the file; a buffer gets "archive", rename to look like a file save.
    return rewrite_zip_names(buf.getvalue(), name)


def rewrite_zip_names(src_bytes, name):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src_bytes)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(name + info.filename[info.filename.index("/"):], zin.read(info.filename))
    return out.getvalue()


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


class Payload:
    def __reduce__(self):
        return (os.system, ("touch " + MARKER,))


def main():
    torch.manual_seed(0)
    m, sd = small_state_dict()
    torch.save(sd, os.path.join(HERE, "state_dict.pth"))
    save_safetensors(os.path.join(HERE, "state_dict.safetensors"), reference(sd))

    # torchvision's DenseNet used "norm.1"/"conv.1" before PyTorch 0.4 allowed the dots to go; new names: norm1, conv1.
    layer = nn.Sequential()
    new = {}
    with torch.no_grad():
        for i, (k, shape) in enumerate([("norm1.weight", [4]), ("norm1.bias", [4]), ("norm1.running_mean", [4]),
                                        ("norm1.running_var", [4]), ("conv1.weight", [2, 4, 1, 1]),
                                        ("norm2.weight", [2]), ("norm2.bias", [2]), ("norm2.running_mean", [2]),
                                        ("norm2.running_var", [2]), ("conv2.weight", [3, 2, 3, 3])]):
            v = formula(shape, shift=10.0 + i)
            if k.endswith("running_var"):
                v = v.abs() + 0.5
            new["denselayer1." + k] = v
        new["denselayer1.norm1.num_batches_tracked"] = torch.tensor(3)
        new["denselayer1.norm2.num_batches_tracked"] = torch.tensor(4)
    old = {k.replace("norm1", "norm.1").replace("norm2", "norm.2").replace("conv1", "conv.1").replace("conv2", "conv.2"): v
           for k, v in new.items()}
    torch.save(old, os.path.join(HERE, "densenet_old_keys.pth"))
    save_safetensors(os.path.join(HERE, "densenet_old_keys.safetensors"), new)

    torch.save(m, os.path.join(HERE, "whole_model.pth"))

    # A valid torch.save archive whose pickle asks for os.system between two entries (pickling only records the call).
    write("malicious.pth", torch_save_bytes({"fc.weight": sd["fc.weight"], "payload": Payload()}, "malicious"))

    full = open(os.path.join(HERE, "state_dict.pth"), "rb").read()
    write("truncated.pth", full[: len(full) // 2])

    small = torch_save_bytes({"w": formula([2, 3])}, "storage_too_small")
    def grow(pkl):
        old_size = b"K\x02K\x03\x86"
        assert pkl.count(old_size) == 1, "the size tuple of w must occur once"
        return pkl.replace(old_size, b"K\x04K\x03\x86")
    write("storage_too_small.pth", rewrite_zip(small, {"/data.pkl": grow}))

    torch.save({"w": formula([2])}, os.path.join(HERE, "legacy.pth"), _use_new_zipfile_serialization=False)


if __name__ == "__main__":
    main()
    assert not os.path.exists(MARKER)
