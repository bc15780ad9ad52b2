#!/usr/bin/env python3
"""Writes mlp_golden.json: a small GazeNeRF MLP built the reference's way in PyTorch (MLPforNeRF, section 2.4
of the reference spec: per-point layers over the concatenated input [PE, iden, expr, pitch, yaw], the skip
concat [input, h] after layer n_layers // 2, and [RGB_layer_0 out, appearance] into RGB_layer_1), with its
inputs, outputs and every named gradient. NerfMlpGoldenTest loads the state dict by name into the Java MLP
and compares. Run with Debian's torch:  /usr/bin/python3 mlp_golden.py  (from this folder).
"""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

# encodedWidth, iden, expr, gaze, appearance, width, layers, skip, features (NerfMlpConfig order)
CONFIG = [63, 3, 2, 2, 4, 8, 8, 4, 5]
IMAGES, POINTS = 2, 3


class MlpForNerf(nn.Module):
    def __init__(self, e, iden, expr, gaze, app, width, layers, feat):
        super().__init__()
        vp = e + iden + expr + gaze
        self.layers = layers
        self.skips = [layers // 2]
        for i in range(layers):
            fan_in = vp if i == 0 else (width + vp if i - 1 in self.skips else width)
            self.add_module("FeaExt_module_%d" % i, nn.Conv2d(fan_in, width, 1))
        self.density_module = nn.Conv2d(width, 1, 1)
        self.RGB_layer_0 = nn.Conv2d(width, width, 1)
        self.RGB_layer_1 = nn.Conv2d(width + app, width // 2, 1)
        self.RGB_layer_2 = nn.Conv2d(width // 2, feat, 1)

    def forward(self, vps, vds):
        x = vps
        for i in range(self.layers):
            x = F.relu(getattr(self, "FeaExt_module_%d" % i)(x))
            if i in self.skips:
                x = torch.cat([vps, x], dim=1)
        density = F.relu(self.density_module(x))
        x = self.RGB_layer_0(x)
        x = F.relu(self.RGB_layer_1(torch.cat([x, vds], dim=1)))
        return self.RGB_layer_2(x), density


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    torch.manual_seed(45)
    e, iden, expr, gaze, app, width, layers, skip, feat = CONFIG
    assert skip == layers // 2
    mlp = MlpForNerf(e, iden, expr, gaze, app, width, layers, feat)
    s = iden + expr + gaze
    pe = (torch.rand(IMAGES, POINTS, e) * 2 - 1).requires_grad_(True)        # rows b*P + p
    shape_code = (torch.rand(IMAGES, s) * 2 - 1).requires_grad_(True)
    appearance = (torch.rand(IMAGES, app) * 2 - 1).requires_grad_(True)
    # [B, C, N_rays = P, N_samples = 1], as the reference lays out points
    vps = torch.cat([pe, shape_code[:, None, :].expand(-1, POINTS, -1)], dim=2).permute(0, 2, 1)[..., None]
    vds = appearance[:, None, :].expand(-1, POINTS, -1).permute(0, 2, 1)[..., None]
    features, density = mlp(vps, vds)
    features = features[..., 0].permute(0, 2, 1).reshape(IMAGES * POINTS, feat)
    sigma = density[..., 0].permute(0, 2, 1).reshape(IMAGES * POINTS)
    d_sigma = torch.rand(IMAGES * POINTS) * 2 - 1
    d_features = torch.rand(IMAGES * POINTS, feat) * 2 - 1
    torch.autograd.backward([sigma, features], [d_sigma, d_features])
    out = {
        "config": CONFIG, "images": IMAGES, "points": POINTS,
        "params": {k: flat(v) for k, v in mlp.state_dict().items()},
        "inputs": {"pe": flat(pe), "shapeCode": flat(shape_code), "appearance": flat(appearance),
                   "dSigma": flat(d_sigma), "dFeatures": flat(d_features)},
        "outputs": {"sigma": flat(sigma), "features": flat(features)},
        "grads": {k: flat(p.grad) for k, p in mlp.named_parameters()},
        "inputGrads": {"pe": flat(pe.grad), "shapeCode": flat(shape_code.grad), "appearance": flat(appearance.grad)},
    }
    with open("mlp_golden.json", "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
