"""A minimal safetensors writer and reader (the safetensors package is not in Debian's python3-torch): an 8-byte
little-endian header length, a JSON header mapping each key to its dtype, shape and byte range, then the raw
little-endian data, each tensor's bytes in key order."""
import json
import struct

import numpy as np

DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.int64): "I64", np.dtype(np.int32): "I32",
          np.dtype(np.uint8): "U8"}
NUMPY = {v: k for k, v in DTYPES.items()}


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: torch tensor or numpy array} to path; metadata is a {str: str} map (the "__metadata__" entry)."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        a = t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)
        if a.dtype not in DTYPES:
            raise ValueError(f"write_safetensors({path}): {name} has dtype {a.dtype}, not one of {sorted(DTYPES.values())}")
        raw = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": DTYPES[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    """({name: numpy array}, metadata) of a file written as above (any writer following the format)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    out = {}
    for name, h in header.items():
        start, end = h["data_offsets"]
        dtype = NUMPY[h["dtype"]].newbyteorder("<")
        out[name] = np.frombuffer(data, dtype=dtype, count=(end - start) // dtype.itemsize, offset=8 + n + start).reshape(h["shape"])
    return out, metadata
