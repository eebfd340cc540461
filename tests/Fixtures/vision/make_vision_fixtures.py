#!/usr/bin/python3
"""Fixtures for Axon's torchvision-compatible models that CI can check without torchvision
(tests/Axon.Models.Tests/VisionFixtureTests.cs).

    /usr/bin/python3 tests/Fixtures/vision/make_vision_fixtures.py

It writes, next to this script:

  keys_{model}.txt        for every full-size model of Axon.Models.Vision.VisionZoo: one line per state-dict entry of
                          torchvision 0.14's model, in its order, "key<TAB>d0,d1,..." (an empty shape for scalars).
                          alexnet-original, which torchvision lacks, comes from bench/vision/parity.py's nn build.
  small_models.safetensors
                          small configurations buildable by torchvision's own classes and by Axon's, in eval mode, each
                          with random batch-norm statistics: for each case {case}, its state dict under
                          "{case}.state.{key}", "{case}.input" and "{case}.output" (float32). __metadata__ holds "torch",
                          "torchvision" and, per case, "case.{case}" = a JSON description of the configuration.

Cases: densenet_tiny (DenseNet(growth_rate=4, block_config=(1, 1), num_init_features=8, num_classes=5) on 3x32x32),
basic_block (BasicBlock(8, 16, stride 2) with its 1x1 projection), bottleneck (Bottleneck(16, 8, stride 2,
base_width=32): inner width 4, 32 out, with projection), bottleneck_identity (Bottleneck(32, 8), the identity
shortcut), vgg_features_bn (make_layers([4, "M", 8, 8, "M"], batch_norm=True)), vgg_features (the same without batch
norm) and inception (Inception(8, 4, 4, 6, 2, 3, 3)).
"""

import importlib
import json
import os
import sys

import torch
import torchvision
from torch import nn
import torchvision.models.densenet as densenet  # noqa: E402
googlenet_module = importlib.import_module("torchvision.models.googlenet")  # the package re-exports the builder under that name
import torchvision.models.resnet as resnet  # noqa: E402
import torchvision.models.vgg as vgg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "bench", "vision"))
from make_safetensors_fixture import save_safetensors  # noqa: E402
import parity  # noqa: E402  (the full-size builders and the batch-norm randomisation)

SEED = 7


def small_cases():
    def conv1x1(i, o, s):
        return nn.Sequential(nn.Conv2d(i, o, 1, stride=s, bias=False), nn.BatchNorm2d(o))

    return [
        ("densenet_tiny", lambda: densenet.DenseNet(growth_rate=4, block_config=(1, 1), num_init_features=8, bn_size=4, num_classes=5), (2, 3, 32, 32),
         {"growth_rate": 4, "block_config": [1, 1], "num_init_features": 8, "bn_size": 4, "num_classes": 5}),
        ("basic_block", lambda: resnet.BasicBlock(8, 16, stride=2, downsample=conv1x1(8, 16, 2)), (2, 8, 9, 9),
         {"in": 8, "planes": 16, "stride": 2}),
        ("bottleneck", lambda: resnet.Bottleneck(16, 8, stride=2, downsample=conv1x1(16, 32, 2), base_width=32), (2, 16, 7, 7),
         {"in": 16, "planes": 8, "stride": 2, "width_per_group": 32}),
        ("bottleneck_identity", lambda: resnet.Bottleneck(32, 8), (2, 32, 5, 5),
         {"in": 32, "planes": 8, "stride": 1, "width_per_group": 64}),
        ("vgg_features_bn", lambda: vgg.make_layers([4, "M", 8, 8, "M"], batch_norm=True), (2, 3, 12, 12),
         {"cfg": [4, -1, 8, 8, -1], "batch_norm": True}),
        ("vgg_features", lambda: vgg.make_layers([4, "M", 8, 8, "M"], batch_norm=False), (2, 3, 12, 12),
         {"cfg": [4, -1, 8, 8, -1], "batch_norm": False}),
        ("inception", lambda: googlenet_module.Inception(8, 4, 4, 6, 2, 3, 3), (2, 8, 7, 7),
         {"in": 8, "ch1x1": 4, "ch3x3red": 4, "ch3x3": 6, "ch5x5red": 2, "ch5x5": 3, "pool_proj": 3}),
    ]


def main():
    for name, build in parity.MODELS.items():
        torch.manual_seed(0)
        state = build().state_dict()
        with open(os.path.join(HERE, "keys_%s.txt" % name), "w") as f:
            for k, v in state.items():
                f.write("%s\t%s\n" % (k, ",".join(str(d) for d in v.shape)))
        print(name, len(state), "keys", flush=True)

    tensors, metadata = {}, {"torch": torch.__version__, "torchvision": torchvision.__version__}
    for i, (name, build, shape, desc) in enumerate(small_cases()):
        torch.manual_seed(SEED + i)
        model = build()
        parity.randomise_batch_norms(model, torch.Generator().manual_seed(SEED + 100 + i))
        model.eval()
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(SEED + 200 + i))
        with torch.no_grad():
            y = model(x)
        for k, v in model.state_dict().items():
            tensors["%s.state.%s" % (name, k)] = v.contiguous()
        tensors[name + ".input"] = x
        tensors[name + ".output"] = y.contiguous()
        metadata["case." + name] = json.dumps(desc, sort_keys=True)
    path = os.path.join(HERE, "small_models.safetensors")
    save_safetensors(path, tensors, metadata)
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
