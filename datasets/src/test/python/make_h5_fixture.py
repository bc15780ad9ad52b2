#!/usr/bin/env python3
"""Writes the tiny h5py fixture that proves the Java reader (SubjectFileFixtureTest).

Run from the repository root with Debian's h5py:
    /usr/bin/python3 datasets/src/test/python/make_h5_fixture.py
It writes datasets/src/test/resources/dev/gazenerf/datasets/h5/h5py_fixture.h5: a subject file of the
reference format (section 1.1) with N=3 images of 6 x 5 pixels, where
  - face_patch is chunked one image per chunk and LZF-compressed (as the reference files are; each 90-byte
    chunk really compresses, to 73 bytes),
  - the masks are chunked and deflate-compressed (gzip level 4),
  - everything else is contiguous and uncompressed; cam_index is uint8, frame_index int64.
Every value is a closed formula of its indices; the Java test recomputes the same formulas.

It also writes h5py_fixture_tiled.h5: the same content, but with libver="latest" (HDF5 1.10 chunk indexes)
and chunks that split images spatially (face_patch (1, 4, 3, 3), masks (2, 3, 5)), so a reader must assemble
an image from several chunks.
"""
import os
import h5py
import numpy as np

N, H, W = 3, 6, 5
HERE = os.path.join(os.path.dirname(__file__), "..", "resources", "dev", "gazenerf", "datasets", "h5")


def fval(key_id, shape):
    idx = np.indices(shape).reshape(len(shape), -1).T
    vals = [key_id + 0.5 * i + sum((k + 1) * 0.01 * v for k, v in enumerate(row[1:])) for row in idx for i in [row[0]]]
    return np.array(vals, dtype=np.float64).reshape(shape)


def write(path, tiled):
    n, y, x, c = np.indices((N, H, W, 3))
    # pixels repeat in runs of 3 along x so that LZF really compresses (and a corrupted chunk is detectable)
    face = ((n * 37 + y * 11 + (x // 3) * 5 + c * 71) % 256).astype(np.uint8)
    n, y, x = np.indices((N, H, W))
    head = np.where((x + y + n) % 3 == 0, 255, 0).astype(np.uint8)
    left = np.where((x < 2) & (y == n + 1), 255, 0).astype(np.uint8)
    right = np.where((x >= 3) & (y == n + 2), 255, 0).astype(np.uint8)
    face_chunks = (1, 4, 3, 3) if tiled else (1, H, W, 3)
    mask_chunks = (2, 3, 5) if tiled else (1, H, W)
    with h5py.File(path, "w", libver="latest" if tiled else "earliest") as f:
        f.create_dataset("face_patch", data=face, chunks=face_chunks, compression="lzf")
        f.create_dataset("head_mask", data=head, chunks=mask_chunks, compression="gzip", compression_opts=4)
        f.create_dataset("left_eye_mask", data=left, chunks=mask_chunks, compression="gzip", compression_opts=4)
        f.create_dataset("right_eye_mask", data=right, chunks=mask_chunks, compression="gzip", compression_opts=4)
        f.create_dataset("facial_landmarks", data=fval(1, (N, 68, 2)))
        f.create_dataset("cam_index", data=np.array([[200], [7], [17]], dtype=np.uint8))
        f.create_dataset("frame_index", data=np.array([[0], [1], [2]], dtype=np.int64))
        f.create_dataset("latent_codes", data=fval(2, (N, 306)))
        f.create_dataset("w2c_Rmat", data=fval(3, (N, 3, 3)))
        f.create_dataset("w2c_Tvec", data=fval(4, (N, 3)))
        f.create_dataset("c2w_Rmat", data=fval(5, (N, 3, 3)))
        f.create_dataset("c2w_Tvec", data=fval(6, (N, 3)))
        f.create_dataset("inmat", data=fval(7, (N, 3, 3)))
        f.create_dataset("inv_inmat", data=fval(8, (N, 3, 3)))
        f.create_dataset("pitchyaw_head", data=fval(9, (N, 2)))
        f.create_dataset("face_head_pose", data=fval(10, (N, 2)).astype(np.float32))


def main():
    write(os.path.join(HERE, "h5py_fixture.h5"), False)
    write(os.path.join(HERE, "h5py_fixture_tiled.h5"), True)


if __name__ == "__main__":
    main()
