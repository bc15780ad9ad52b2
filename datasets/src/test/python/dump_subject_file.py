#!/usr/bin/env python3
"""Reads one subject file with h5py and prints, as JSON, each key's dtype, shape and flat values.

Used by SubjectWriterH5pyTest to prove that files written by the Java SubjectWriter read back in h5py
exactly as the reference's do (uint8 images and masks with values 0..255, float64 elsewhere).
Usage: python3 dump_subject_file.py FILE.h5
"""
import json
import sys

import h5py


def main():
    out = {}
    with h5py.File(sys.argv[1], "r") as f:
        for key in f.keys():
            d = f[key]
            out[key] = {"dtype": str(d.dtype), "shape": list(d.shape), "values": d[()].reshape(-1).tolist()}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
