#!/usr/bin/env python3
"""Extracts the reference's fixed expression code (section 1.5) as data, without PyTorch.

configs/config_files/tensor.pt of AlessandroRuzzi/GazeNeRF is a torch zip archive holding one float32
tensor of shape (1, 79); its storage archive/data/0 is 79 little-endian float32 values. This script reads
them and writes datasets/src/main/resources/dev/gazenerf/datasets/expression_code.json.
Usage: python3 extract_expression_code.py PATH/TO/tensor.pt "SOURCE DESCRIPTION"
"""
import json
import os
import struct
import sys
import zipfile

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "main", "resources", "dev", "gazenerf", "datasets",
                   "expression_code.json")


def main():
    with zipfile.ZipFile(sys.argv[1]) as z:
        name = [n for n in z.namelist() if n.endswith("/data/0")][0]
        raw = z.read(name)
    values = list(struct.unpack("<%df" % (len(raw) // 4), raw))
    assert len(values) == 79, len(values)
    with open(OUT, "w") as f:
        json.dump({"source": sys.argv[2], "shape": [79], "values": values}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
