"""Builds render_fixtures.json for RenderFixtureTest with Debian's PyTorch (python3-torch 1.13).

Run from this folder: /usr/bin/python3 make_fixtures.py
Tensors are written flat in PyTorch's NCHW order; the Java test converts them to channels-last.
The blur is kornia.filters.filter2d's default path written out (kornia is not installed here):
reflect padding by 1, then a 2D correlation with the normalized kernel [1,2,1]^T[1,2,1] / 16.
"""
import json

import torch
import torch.nn.functional as F

torch.manual_seed(7)
out = {}

# Bilinear x2, align_corners=False, forward and backward, on a 1x2x3x4 input.
x = torch.randn(1, 2, 3, 4, dtype=torch.float32, requires_grad=True)
y = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
g = torch.randn_like(y)
y.backward(g)
out["bilinear"] = {"shape": list(x.shape), "x": x.detach().flatten().tolist(), "y": y.detach().flatten().tolist(),
                   "dy": g.flatten().tolist(), "dx": x.grad.flatten().tolist()}

# Blur (kornia filter2d, reflect border), forward and backward, on a 1x2x4x5 input.
x = torch.randn(1, 2, 4, 5, dtype=torch.float32, requires_grad=True)
f = torch.tensor([1.0, 2.0, 1.0])
k = f[None, :] * f[:, None]
k = (k / k.sum()).expand(2, 1, 3, 3)
y = F.conv2d(F.pad(x, [1, 1, 1, 1], mode="reflect"), k, groups=2)
g = torch.randn_like(y)
y.backward(g)
out["blur"] = {"shape": list(x.shape), "x": x.detach().flatten().tolist(), "y": y.detach().flatten().tolist(),
               "dy": g.flatten().tolist(), "dx": x.grad.flatten().tolist()}

# Pixel shuffle by 2 on a 1x8x2x3 input (output 1x2x4x6).
x = torch.randn(1, 8, 2, 3, dtype=torch.float32)
out["pixel_shuffle"] = {"shape": list(x.shape), "x": x.flatten().tolist(),
                        "y": F.pixel_shuffle(x, 2).flatten().tolist()}

# torch.maximum's gradient on a tie, a win and a loss.
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = torch.tensor([1.0, 1.0, 4.0], requires_grad=True)
torch.maximum(a, b).backward(torch.tensor([1.0, 1.0, 1.0]))
out["maximum"] = {"a": a.detach().tolist(), "b": b.detach().tolist(), "da": a.grad.tolist(), "db": b.grad.tolist()}

with open("render_fixtures.json", "w") as fh:
    json.dump(out, fh, indent=1)
