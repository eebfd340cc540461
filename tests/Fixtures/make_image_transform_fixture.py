#!/usr/bin/python3
"""Builds torchvision 0.14's tensor image transforms on fixed inputs, for Axon's Resize, CenterCrop, the crop and
resize of RandomResizedCrop and the four adjustments of ColorJitter (tests/Axon.Tests/Data/ImageTransformsTests.cs).

Run once with Debian's interpreter, PyTorch and torchvision (no pip, no safetensors package needed):

    apt-get install -y python3-torch python3-torchvision
    /usr/bin/python3 tests/Fixtures/make_image_transform_fixture.py

It writes image_transforms.safetensors next to this script. Inputs, float32 (the dtype images have):

  input.rgb     [3, 37, 53]  uniform in [0, 1], with a few exact 0s, 1s and grey pixels (r = g = b) mixed in
  input.grey    [1, 20, 15]  uniform in [0, 1]
  input.batch   [2, 3, 9, 11] uniform in [0, 1]

and for each case {case} the tensor "{case}.output": float32, except the resampling ops (resize, resized_crop),
computed in float64 from the float32 inputs. __metadata__ holds "torch", "torchvision" and, for each case,
"case.{case}" = JSON {"op": ..., "input": ..., plus the op's arguments}:

  resize         {"size": [n] | [h, w], "antialias": bool}  F.resize (bilinear)
  center_crop    {"size": [h, w]}                           F.center_crop (zero padding when larger)
  resized_crop   {"top", "left", "height", "width", "size": [h, w], "antialias"}  F.resized_crop (bilinear)
  brightness / contrast / saturation / hue  {"factor"}      F.adjust_*
  jitter         {"order": [4 ints], "brightness", "contrast", "saturation", "hue"}  the adjustments in that order,
                 as ColorJitter.forward applies them once its parameters are drawn
"""

import json
import os
import sys

import torch
import torchvision
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_safetensors_fixture import save_safetensors  # noqa: E402  (the minimal safetensors writer)


def inputs():
    g = torch.Generator().manual_seed(16)
    rgb = torch.rand(3, 37, 53, generator=g)
    rgb[:, 0, :5] = 0.0          # black
    rgb[:, 1, :5] = 1.0          # white
    rgb[:, 2, :5] = rgb[0, 2, :5]  # grey: the hue and saturation of r = g = b
    rgb[0, 3, :5] = 1.0          # saturated channels: the clamps of the blends
    grey = torch.rand(1, 20, 15, generator=g)
    batch = torch.rand(2, 3, 9, 11, generator=g)
    return {"rgb": rgb, "grey": grey, "batch": batch}


JITTER = {0: F.adjust_brightness, 1: F.adjust_contrast, 2: F.adjust_saturation, 3: F.adjust_hue}

CASES = [
    ("resize_short_down", "rgb", "resize", {"size": [16], "antialias": True}),
    ("resize_short_down_plain", "rgb", "resize", {"size": [16], "antialias": False}),
    ("resize_hw_mixed", "rgb", "resize", {"size": [24, 70], "antialias": True}),
    ("resize_hw_up", "rgb", "resize", {"size": [45, 60], "antialias": True}),
    ("resize_hw_far_down", "rgb", "resize", {"size": [5, 7], "antialias": True}),
    ("resize_hw_far_down_plain", "rgb", "resize", {"size": [5, 7], "antialias": False}),
    ("resize_grey_short_up", "grey", "resize", {"size": [33], "antialias": True}),
    ("resize_batch", "batch", "resize", {"size": [4, 6], "antialias": True}),
    ("center_crop_inside", "rgb", "center_crop", {"size": [20, 30]}),
    ("center_crop_half_even", "rgb", "center_crop", {"size": [32, 50]}),
    ("center_crop_padded", "rgb", "center_crop", {"size": [41, 60]}),
    ("center_crop_mixed", "grey", "center_crop", {"size": [25, 10]}),
    ("resized_crop", "rgb", "resized_crop", {"top": 3, "left": 5, "height": 20, "width": 30, "size": [16, 16], "antialias": True}),
    ("resized_crop_up", "rgb", "resized_crop", {"top": 10, "left": 0, "height": 7, "width": 9, "size": [12, 20], "antialias": True}),
    ("brightness", "rgb", "brightness", {"factor": 1.3}),
    ("brightness_grey", "grey", "brightness", {"factor": 0.4}),
    ("contrast", "rgb", "contrast", {"factor": 0.6}),
    ("contrast_up", "rgb", "contrast", {"factor": 1.8}),
    ("contrast_grey", "grey", "contrast", {"factor": 1.5}),
    ("contrast_batch", "batch", "contrast", {"factor": 0.3}),
    ("saturation", "rgb", "saturation", {"factor": 1.7}),
    ("saturation_down", "rgb", "saturation", {"factor": 0.2}),
    ("hue", "rgb", "hue", {"factor": 0.23}),
    ("hue_negative", "rgb", "hue", {"factor": -0.4}),
    ("hue_half", "batch", "hue", {"factor": 0.5}),
    ("jitter", "rgb", "jitter", {"order": [2, 0, 3, 1], "brightness": 0.8, "contrast": 1.25, "saturation": 0.5, "hue": -0.1}),
    ("jitter_other_order", "rgb", "jitter", {"order": [3, 1, 0, 2], "brightness": 1.1, "contrast": 0.7, "saturation": 1.4, "hue": 0.05}),
]


def run(op, x, a):
    if op == "resize":
        return F.resize(x, a["size"], InterpolationMode.BILINEAR, antialias=a["antialias"])
    if op == "center_crop":
        return F.center_crop(x, a["size"])
    if op == "resized_crop":
        return F.resized_crop(x, a["top"], a["left"], a["height"], a["width"], a["size"], InterpolationMode.BILINEAR, antialias=a["antialias"])
    if op == "brightness":
        return F.adjust_brightness(x, a["factor"])
    if op == "contrast":
        return F.adjust_contrast(x, a["factor"])
    if op == "saturation":
        return F.adjust_saturation(x, a["factor"])
    if op == "hue":
        return F.adjust_hue(x, a["factor"])
    if op == "jitter":
        factors = [a["brightness"], a["contrast"], a["saturation"], a["hue"]]
        for k in a["order"]:
            x = JITTER[k](x, factors[k])
        return x
    raise ValueError(op)


def main():
    xs = inputs()
    tensors = {"input." + k: v.contiguous() for k, v in xs.items()}
    metadata = {"torch": torch.__version__, "torchvision": torchvision.__version__}
    for name, source, op, args in CASES:
        metadata["case." + name] = json.dumps(dict(args, op=op, input=source), sort_keys=True)
        x = xs[source].clone()
        if op in ("resize", "resized_crop"):
            # PyTorch resamples float32 with float32 weights and sums (2e-6 from the exact result on these inputs); the
            # float64 result of the same float32 pixels is the reference that Axon's double sums are held to.
            x = x.double()
        tensors[name + ".output"] = run(op, x, args).contiguous()
    path = os.path.join(HERE, "image_transforms.safetensors")
    save_safetensors(path, tensors, metadata)
    print(path, os.path.getsize(path), "bytes,", len(CASES), "cases")


if __name__ == "__main__":
    main()
