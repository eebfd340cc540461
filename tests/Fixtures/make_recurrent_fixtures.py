#!/usr/bin/python3
"""Builds PyTorch's outputs, final states and gradients of its recurrent layers and cells for Axon's RNN, LSTM, GRU,
RNNCell, LSTMCell and GRUCell (tests/Axon.Tests/Nn/RecurrentFixtureTests.cs).

Run once with Debian's interpreter and PyTorch (no pip, no safetensors package needed):

    apt-get install -y python3-torch
    /usr/bin/python3 tests/Fixtures/make_recurrent_fixtures.py

It writes recurrent.safetensors next to this script. Every case runs for each mode (rnn_tanh, rnn_relu, lstm, gru) in
float32 and in float64 (PyTorch computing in that dtype), and is named {mode}_{config}_{f32|f64}, config one of

  bidir2_h0     2 layers, bidirectional, time-major [T, B, I], from a given initial state h0 (and c0)
  timemajor     1 layer, time-major, from a given h0 (and c0)
  batchfirst    the same layer, parameters, input (transposed) and state as timemajor, with batch_first=True
  padded        2 layers, bidirectional, time-major, from a given h0 (and c0), a padded batch of lengths [5, 7, 2]
                (unsorted): pack_padded_sequence(enforce_sorted=False) -> layer -> pad_packed_sequence
  nobias        bias=False, 1 layer, bidirectional, from a zero state
  cell_state    the cell (RNNCell, LSTMCell, GRUCell), one step of a batch from a given h0 (and c0)
  cell_nostate  the cell, one step from a zero state

T = 7, B = 3, input size 5, hidden size 4 (6 for timemajor/batchfirst). For each case {case}:

  {case}.param.{key}       the state dict, under PyTorch's keys (weight_ih_l0, bias_hh_l1_reverse, weight_ih, ...)
  {case}.input             the input ([T, B, I], [B, T, I] batch-first, [B, I] for the cells)
  {case}.h0, {case}.c0     the initial state ([L·D, B, H], cells [B, H]); absent when the case starts from zeros
  {case}.lengths           the lengths (int64; padded only)
  {case}.output            the output (zero at padded steps); the cells' next h
  {case}.h_n, {case}.c_n   the final state (layers); the cells' next c as c_n (LSTMCell only; cells have no h_n)
  {case}.r_output, {case}.r_h, {case}.r_c
                           fixed random weights of the loss
                           sum(output * r_output) + sum(h_n * r_h) + sum(c_n * r_c)  (the terms that exist)
  {case}.grad.input, {case}.grad.h0, {case}.grad.c0, {case}.grad.param.{key}
                           the gradients of that loss

__metadata__ holds "torch" (the version) and, for each case, "case.{case}" = JSON {"mode", "dtype", "cell",
"input_size", "hidden_size", "num_layers", "bias", "batch_first", "bidirectional", "lengths" (or null), "state"
(whether h0/c0 are given), "keys" ([[key, shape], ...] in the order of PyTorch's state_dict())}. Every case draws
its tensors from its own seed (in float64, then cast), so adding a case leaves the others unchanged.
"""

import json
import math
import os
import sys

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_safetensors_fixture import save_safetensors  # noqa: E402  (the minimal safetensors writer)

T, B, I, H = 7, 3, 5, 4
MODES = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
DTYPES = {"f32": torch.float32, "f64": torch.float64}
LENGTHS = [5, 7, 2]

# config -> (cell, num_layers, hidden, bias, batch_first, bidirectional, lengths, state)
CONFIGS = {
    "bidir2_h0": (False, 2, H, True, False, True, None, True),
    "timemajor": (False, 1, 6, True, False, False, None, True),
    "batchfirst": (False, 1, 6, True, True, False, None, True),
    "padded": (False, 2, H, True, False, True, LENGTHS, True),
    "nobias": (False, 1, H, False, False, True, None, False),
    "cell_state": (True, 1, H, True, False, False, None, True),
    "cell_nostate": (True, 1, H, True, False, False, None, False),
}


def make_module(mode, cell, num_layers, hidden, bias, batch_first, bidirectional, dtype):
    if cell:
        if mode.startswith("rnn"):
            m = nn.RNNCell(I, hidden, bias=bias, nonlinearity=mode[4:])
        else:
            m = {"lstm": nn.LSTMCell, "gru": nn.GRUCell}[mode](I, hidden, bias=bias)
    else:
        kw = dict(num_layers=num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional)
        if mode.startswith("rnn"):
            m = nn.RNN(I, hidden, nonlinearity=mode[4:], **kw)
        else:
            m = {"lstm": nn.LSTM, "gru": nn.GRU}[mode](I, hidden, **kw)
    return m.to(dtype)


def make_case(seed, mode, config, dtype):
    cell, num_layers, hidden, bias, batch_first, bidirectional, lengths, state = CONFIGS[config]
    lstm = mode == "lstm"
    # timemajor and batchfirst share the seed, so they hold the same parameters, input and state.
    g = torch.Generator().manual_seed(seed)

    def draw(*shape, scale=1.0):
        return (scale * torch.randn(*shape, generator=g, dtype=torch.float64)).to(dtype)

    m = make_module(mode, cell, num_layers, hidden, bias, batch_first, bidirectional, dtype)
    bound = 1 / math.sqrt(hidden)
    with torch.no_grad():
        for _, p in m.named_parameters():
            p.copy_((2 * bound * torch.rand(p.shape, generator=g, dtype=torch.float64) - bound).to(dtype))
    layers = 1 if cell else num_layers * (2 if bidirectional else 1)
    state_shape = (B, hidden) if cell else (layers, B, hidden)
    x = draw(B, I) if cell else draw(T, B, I)
    h0 = draw(*state_shape, scale=0.5)
    c0 = draw(*state_shape, scale=0.5)
    if cell:
        out_shape = (B, hidden)
    else:
        out_shape = (T, B, hidden * (2 if bidirectional else 1))
    r_output = draw(*out_shape)
    r_h = draw(*state_shape)
    r_c = draw(*state_shape)
    if batch_first:
        x = x.transpose(0, 1).contiguous()
        r_output = r_output.transpose(0, 1).contiguous()
    x.requires_grad_()
    h0.requires_grad_()
    c0.requires_grad_()

    if cell:
        hx = ((h0, c0) if lstm else h0) if state else None
        result = m(x, hx)
        output, h_n, c_n = (result[0], None, result[1]) if lstm else (result, None, None)
        loss = (output * r_output).sum()
        if lstm:
            loss = loss + (c_n * r_c).sum()
    else:
        hx = ((h0, c0) if lstm else h0) if state else None
        if lengths is not None:
            packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
            packed_out, hn = m(packed, hx)
            output, out_lengths = pad_packed_sequence(packed_out, batch_first=batch_first, total_length=T)
            assert out_lengths.tolist() == lengths
        else:
            output, hn = m(x, hx)
        h_n, c_n = hn if lstm else (hn, None)
        loss = (output * r_output).sum() + (h_n * r_h).sum()
        if lstm:
            loss = loss + (c_n * r_c).sum()
    loss.backward()

    out = {"input": x.detach(), "output": output.detach(), "r_output": r_output, "grad.input": x.grad.detach()}
    if h_n is not None:
        out["h_n"] = h_n.detach()
        out["r_h"] = r_h
    if c_n is not None:
        out["c_n"] = c_n.detach()
        out["r_c"] = r_c
    if state:
        out["h0"] = h0.detach()
        out["grad.h0"] = h0.grad.detach()
        if lstm:
            out["c0"] = c0.detach()
            out["grad.c0"] = c0.grad.detach()
    if lengths is not None:
        out["lengths"] = torch.tensor(lengths, dtype=torch.int64)
    for key, p in m.named_parameters():
        out["grad.param." + key] = p.grad.detach()
    keys = []
    for key, t in m.state_dict().items():
        out["param." + key] = t.detach()
        keys.append([key, list(t.shape)])
    meta = {"mode": mode, "dtype": "float32" if dtype == torch.float32 else "float64", "cell": cell, "input_size": I,
            "hidden_size": hidden, "num_layers": num_layers, "bias": bias, "batch_first": batch_first,
            "bidirectional": bidirectional, "lengths": lengths, "state": state, "keys": keys}
    return out, meta


def main():
    tensors = {}
    metadata = {"torch": torch.__version__}
    seed = 0
    for mode in MODES:
        for config in CONFIGS:
            if config != "batchfirst":
                seed += 1
            for suffix, dtype in DTYPES.items():
                case = "%s_%s_%s" % (mode, config, suffix)
                values, meta = make_case(seed, mode, config, dtype)
                metadata["case." + case] = json.dumps(meta, sort_keys=True)
                for k, v in values.items():
                    tensors["%s.%s" % (case, k)] = v
    path = os.path.join(HERE, "recurrent.safetensors")
    save_safetensors(path, tensors, metadata)
    print(path, os.path.getsize(path), "bytes,", sum(k.startswith("case.") for k in metadata), "cases")


if __name__ == "__main__":
    main()
