#!/usr/bin/python3
"""Writes the 1000 ImageNet-1k class names, in index order, to src/Axon.Imaging/Resources/imagenet_classes.txt (one
per line, UTF-8), which Axon.Imaging embeds as ImageNetClasses.Names.

The list is torchvision's (_IMAGENET_CATEGORIES, the names its pretrained weights' metadata carries), so index i here
is logit i of torchvision's classifiers. Run with Debian's interpreter and python3-torchvision:

    /usr/bin/python3 tools/make_imagenet_classes.py
"""

import os

from torchvision.models._meta import _IMAGENET_CATEGORIES as NAMES

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "src", "Axon.Imaging", "Resources", "imagenet_classes.txt")


def main():
    assert len(NAMES) == 1000 and len(set(NAMES)) == 1000, "expected 1000 distinct names"
    assert all(n == n.strip() and "\n" not in n for n in NAMES)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(NAMES) + "\n")
    print(os.path.normpath(OUT), len(NAMES), "names")


if __name__ == "__main__":
    main()
