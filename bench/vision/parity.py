#!/usr/bin/python3
"""torchvision's landmark CNNs, randomly initialised, for Axon's parity test (tests/Axon.Models.Tests/VisionParityTests.cs).

    /usr/bin/python3 bench/vision/parity.py OUT_DIR [model ...]

For every model (all of them by default) it writes into OUT_DIR:

  {model}.pth            the state dict, torch.save (PyTorch's zip of a pickle)
  {model}.safetensors    the same tensors as safetensors, written by bench/generative/safetensors_io.py (Debian has no
                         safetensors package)
  {model}_io.safetensors "input" [2, 3, S, S] float32 (S = 224, 227 for alexnet-original) and "logits" [2, 1000],
                         the eval-mode output computed here

Each model is built after torch.manual_seed(SEED) by torchvision 0.14's builder (alexnet-original, which torchvision
lacks, from nn layers with the same keys as Axon's AlexNetOriginal). Batch norms are then given random affine
parameters and running statistics (seeded: weight U(0.25, 0.75), bias N(0, 0.1²), mean N(0, 0.1²), variance
U(0.5, 1.5)), so that the comparison would catch a swapped weight/bias or mean/variance, which torchvision's
initialisation (1, 0, 0, 1) would hide; the weights below 1 also keep the deep residual stacks' logits under 1 (with
torchvision's own initialisation ResNet-34's reach 100), so that 1e-4 is a float32-meaningful bound. The weights are not committed: run this
into /tmp and point AXON_VISION_PARITY_DIR there.
"""

import os
import sys

import torch
import torchvision
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "generative"))
from safetensors_io import write_safetensors  # noqa: E402

SEED = 20240607


def alexnet_original(num_classes=1000):
    """Krizhevsky et al. (2012) on one device, with torchvision AlexNet's key layout (features.N, avgpool, classifier.N)."""
    m = nn.Module()
    m.features = nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
    m.avgpool = nn.AdaptiveAvgPool2d(6)
    m.classifier = nn.Sequential(nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, num_classes))
    m.forward = lambda x: m.classifier(torch.flatten(m.avgpool(m.features(x)), 1))
    return m


M = torchvision.models
MODELS = {
    "alexnet": lambda: M.alexnet(),
    "alexnet-original": alexnet_original,
    "vgg11": lambda: M.vgg11(), "vgg11_bn": lambda: M.vgg11_bn(),
    "vgg13": lambda: M.vgg13(), "vgg13_bn": lambda: M.vgg13_bn(),
    "vgg16": lambda: M.vgg16(), "vgg16_bn": lambda: M.vgg16_bn(),
    "vgg19": lambda: M.vgg19(), "vgg19_bn": lambda: M.vgg19_bn(),
    "googlenet": lambda: M.googlenet(aux_logits=True, init_weights=True),
    "resnet18": lambda: M.resnet18(), "resnet34": lambda: M.resnet34(), "resnet50": lambda: M.resnet50(),
    "densenet121": lambda: M.densenet121(),
}


def randomise_batch_norms(model, g):
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm2d):
            n = mod.num_features
            with torch.no_grad():
                mod.weight.copy_(torch.rand(n, generator=g) * 0.5 + 0.25)
                mod.bias.copy_(torch.randn(n, generator=g) * 0.1)
                mod.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
                mod.running_var.copy_(torch.rand(n, generator=g) + 0.5)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    for name in names:
        torch.manual_seed(SEED)
        model = MODELS[name]()
        randomise_batch_norms(model, torch.Generator().manual_seed(SEED + 1))
        model.eval()
        size = 227 if name == "alexnet-original" else 224
        x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(SEED + 2))
        with torch.no_grad():
            logits = model(x)
        state = model.state_dict()
        torch.save(state, os.path.join(out, name + ".pth"))
        write_safetensors(os.path.join(out, name + ".safetensors"), {k: v.contiguous() for k, v in state.items()}, {"format": "pt", "torch": torch.__version__})
        write_safetensors(os.path.join(out, name + "_io.safetensors"), {"input": x, "logits": logits}, {"torch": torch.__version__, "torchvision": torchvision.__version__})
        print(name, tuple(logits.shape), "max |logit| %.4g" % logits.abs().max().item(), flush=True)


if __name__ == "__main__":
    main()
