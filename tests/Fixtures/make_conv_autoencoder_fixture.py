#!/usr/bin/python3
"""Builds PyTorch's convolutional autoencoder for Axon's ConvAutoencoder (tests/Axon.Models.Tests/ConvAutoencoderTests.cs):
its state dict, its forward output and the parameter gradients of a summed BCE-with-logits reconstruction loss.

Run once with Debian's interpreter and PyTorch (no pip, no safetensors package needed):

    apt-get install -y python3-torch
    /usr/bin/python3 tests/Fixtures/make_conv_autoencoder_fixture.py

It writes conv_autoencoder.safetensors next to this script, all float64, for ConvAutoencoder(code_size=5, width=3):

  state.{key}     the state dict (encoder.0.weight, ..., decoder.6.bias), PyTorch's default initialisation from seed 0
  input           [2, 1, 28, 28] pixels in [0, 1] (seed 1), also the reconstruction's target
  code            the encoder's output [2, 5]
  output          the decoder's logits [2, 1, 28, 28]
  loss            F.binary_cross_entropy_with_logits(output, input, reduction="sum"), a scalar
  grad.{key}      the gradient of that loss for each parameter

__metadata__ holds "torch" (the version) and "repr" (str(model), the repr Axon's ToString mirrors).
"""

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_safetensors_fixture import save_safetensors  # noqa: E402  (the minimal safetensors writer)

CODE, WIDTH = 5, 3


class ConvAutoencoder(nn.Module):
    """Same layers and keys as Axon.Models.Generative.ConvAutoencoder."""

    def __init__(self, code_size, width):
        super().__init__()
        self.code_size, self.width = code_size, width
        w2 = 2 * width
        self.encoder = nn.Sequential(
            nn.Conv2d(1, width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(width, w2, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(w2 * 7 * 7, code_size))
        self.decoder = nn.Sequential(
            nn.Linear(code_size, w2 * 7 * 7), nn.ReLU(),
            nn.Unflatten(1, (w2, 7, 7)),
            nn.ConvTranspose2d(w2, width, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 3, stride=2, padding=1, output_padding=1))

    def extra_repr(self):
        return "code_size=%d, width=%d" % (self.code_size, self.width)

    def forward(self, x):
        return self.decoder(self.encoder(x))


def main():
    torch.manual_seed(0)
    model = ConvAutoencoder(CODE, WIDTH).double()
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 1, 28, 28, generator=g, dtype=torch.float64)
    code = model.encoder(x)
    out = model.decoder(code)
    assert out.shape == x.shape
    loss = F.binary_cross_entropy_with_logits(out, x, reduction="sum")
    loss.backward()
    tensors = {"input": x, "code": code.detach(), "output": out.detach(), "loss": loss.detach()}
    for k, v in model.state_dict().items():
        tensors["state." + k] = v
    for k, p in model.named_parameters():
        tensors["grad." + k] = p.grad
    metadata = {"torch": torch.__version__, "repr": str(model)}
    path = os.path.join(HERE, "conv_autoencoder.safetensors")
    save_safetensors(path, {k: v.contiguous() for k, v in tensors.items()}, metadata)
    print(path, os.path.getsize(path), "bytes,", len(tensors), "tensors")
    print(str(model))


if __name__ == "__main__":
    main()
