#!/usr/bin/python3
"""GazeNeRF in PyTorch, written from the reference spec (../shared/reference/gazenerf-reference.md, sections 2.2-2.7),
to produce golden fixtures for the Java engine.

Usage:  python3 gazenerf_reference.py INPUTS.safetensors EXPECTED.safetensors [--float32]

INPUTS holds every parameter under the reference's state-dict names (fg_CD_predictor_face.*, fg_CD_predictor_eyes.*,
neural_render.*; 1x1 conv weights stored as [out, in]) and the inputs:
  input.shape_code [B, iden+expr], input.appea_code [B, text+illu], input.gaze [B, 2],
  input.c2w_R [B, 3, 3], input.c2w_T [B, 3], input.inv_inmat [B, 3, 3] (already scaled to the feature map),
  input.delta_euler [B, 3], input.delta_T [B, 3],
  proj.merge_img, proj.merge_img_face, proj.merge_img_eyes [B, 3, H, W], proj.bg_img [1, 3, H, W].
Its __metadata__ holds "config" (JSON: featmap_size, samples, frequencies, depth_near, depth_far, feature_channels,
output_size, min_renderer_channels, pixel_centres, gaze_free_face).

EXPECTED gets, in float32: out.<image> [B, 3, H, W] (merge_img, merge_img_face, merge_img_eyes, bg_img [1, 3, H, W]),
out.loss (the scalar L = sum over images of sum(proj * image)), grad.<parameter name> for every parameter, and
grad.input.<name> for shape_code, appea_code, gaze, delta_euler and delta_T. The network runs in float64 (default)
so the fixture is the exact answer to float32 rounding; --float32 runs it in float32.

Test mode only (no stratified jitter), as the fixtures compare deterministic renders.
"""
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, t in header.items():
        assert t["dtype"] == "F32", (path, name, t["dtype"])
        b, e = t["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").copy().reshape(t["shape"]))
    return out, meta


def write_safetensors(path, tensors, meta=None):
    header, blobs, pos = {}, [], 0
    if meta:
        header["__metadata__"] = meta
    for name, t in tensors.items():
        arr = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [pos, pos + arr.nbytes]}
        blobs.append(arr.tobytes())
        pos += arr.nbytes
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def conv1x1(x, p, name):
    """x [B, C, H, W]; weight stored [out, in]."""
    w = p[name + ".weight"]
    return F.conv2d(x, w.reshape(w.shape[0], w.shape[1], 1, 1), p[name + ".bias"])


def embed(x, freqs):
    """Positional encoding of section 2.3 on x [B, 3, R, S]: [x, sin(2^0 x), cos(2^0 x), ...], no pi factor."""
    out = [x]
    for f in range(freqs):
        out.append(torch.sin(x * (2.0 ** f)))
        out.append(torch.cos(x * (2.0 ** f)))
    return torch.cat(out, dim=1)


def mlp(p, prefix, vp, vd, layers):
    """MLPforNeRF of section 2.4: vp [B, Cp, R, S] point input, vd [B, Ca, R, S] appearance input."""
    x = vp
    for i in range(layers):
        x = F.relu(conv1x1(x, p, f"{prefix}.FeaExt_module_{i}"))
        if i == layers // 2:
            x = torch.cat([vp, x], dim=1)
    density = F.relu(conv1x1(x, p, f"{prefix}.density_module"))
    x = conv1x1(x, p, f"{prefix}.RGB_layer_0")
    x = F.relu(conv1x1(torch.cat([x, vd], dim=1), p, f"{prefix}.RGB_layer_1"))
    return conv1x1(x, p, f"{prefix}.RGB_layer_2"), density


def euler_to_R(e):
    """R = R_z R_y R_x for e [B, 3] = (x, y, z) angles."""
    cx, cy, cz = torch.cos(e[:, 0]), torch.cos(e[:, 1]), torch.cos(e[:, 2])
    sx, sy, sz = torch.sin(e[:, 0]), torch.sin(e[:, 1]), torch.sin(e[:, 2])
    one, zero = torch.ones_like(cx), torch.zeros_like(cx)
    rx = torch.stack([one, zero, zero, zero, cx, -sx, zero, sx, cx], 1).view(-1, 3, 3)
    ry = torch.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], 1).view(-1, 3, 3)
    rz = torch.stack([cz, -sz, zero, sz, cz, zero, zero, zero, one], 1).view(-1, 3, 3)
    return rz @ ry @ rx


def gaze_R(g):
    """R = R_y(yaw) R_x(pitch) for g [B, 2] = (pitch, yaw) (section 2.6)."""
    cp, sp, cy, sy = torch.cos(g[:, 0]), torch.sin(g[:, 0]), torch.cos(g[:, 1]), torch.sin(g[:, 1])
    one, zero = torch.ones_like(cp), torch.zeros_like(cp)
    rx = torch.stack([one, zero, zero, zero, cp, -sp, zero, sp, cp], 1).view(-1, 3, 3)
    ry = torch.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], 1).view(-1, 3, 3)
    return ry @ rx


def blur(x):
    """3x3 [1,2,1]^T[1,2,1]/16 with reflect border, 'same' size (kornia filter2d defaults)."""
    c = x.shape[1]
    k = torch.tensor([1.0, 2.0, 1.0], dtype=x.dtype)
    k = (k[:, None] * k[None, :]) / 16.0
    return F.conv2d(F.pad(x, [1, 1, 1, 1], mode="reflect"), k.expand(c, 1, 3, 3), groups=c)


def up(x):
    return blur(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False))


def renderer(p, x, cfg):
    blocks = int(round(math.log2(cfg["output_size"] / cfg["featmap_size"])))
    nf, mn = cfg["feature_channels"], cfg["min_renderer_channels"]
    rgb = up(conv1x1(x, p, "neural_render.feat_2_rgb_list.0"))
    net = x
    for i in range(blocks):
        pre = f"neural_render.feat_upsample_list.{i}"
        y = net.repeat(1, 4, 1, 1)
        o = F.leaky_relu(conv1x1(net, p, pre + ".layer_1"), 0.2)
        o = F.leaky_relu(conv1x1(o, p, pre + ".layer_2"), 0.2)
        o = blur(F.pixel_shuffle(o + y, 2))
        net = F.leaky_relu(conv1x1(o, p, f"neural_render.feat_layers.{i}"), 0.2)
        rgb = rgb + conv1x1(net, p, f"neural_render.feat_2_rgb_list.{i + 1}")
        if i < blocks - 1:
            rgb = up(rgb)
    return torch.sigmoid(rgb)


def forward(p, inp, cfg):
    B = inp["input.gaze"].shape[0]
    n, S, C = cfg["featmap_size"], cfg["samples"], cfg["feature_channels"]
    R_d = euler_to_R(inp["input.delta_euler"])
    c2w_R = R_d @ inp["input.c2w_R"]
    c2w_T = (R_d @ inp["input.c2w_T"].unsqueeze(-1)).squeeze(-1) + inp["input.delta_T"]
    ys, xs = torch.meshgrid(torch.arange(n, dtype=c2w_R.dtype), torch.arange(n, dtype=c2w_R.dtype), indexing="ij")
    off = 0.5 if cfg["pixel_centres"] else 0.0
    xy1 = torch.stack([xs.reshape(-1) + off, ys.reshape(-1) + off, torch.ones(n * n, dtype=c2w_R.dtype)], 0)  # [3, R]
    d = c2w_R @ (inp["input.inv_inmat"] @ xy1.expand(B, 3, n * n))  # [B, 3, R]
    d = d / torch.norm(d, dim=1, keepdim=True)
    l = -1.0 / d[:, 2:3, :]  # [B, 1, R]
    o = c2w_T.unsqueeze(-1)  # [B, 3, 1]
    t = torch.linspace(0.0, 1.0, S + 1, dtype=c2w_R.dtype).view(1, 1, S + 1)
    z = (o[:, 2:3, :] - cfg["depth_near"]).transpose(1, 2) * (1 - t) + (o[:, 2:3, :] - cfg["depth_far"]).transpose(1, 2) * t  # [B, R, S+1]
    dists = (z[:, :, 1:] - z[:, :, :-1]).unsqueeze(1) * l.unsqueeze(-1)  # [B, 1, R, S]
    zs = z[:, :, :-1].unsqueeze(1)  # [B, 1, R, S]
    pts = o.unsqueeze(-1) + d.unsqueeze(-1) * l.unsqueeze(-1) * zs  # [B, 3, R, S]
    pe = embed(pts, cfg["frequencies"])
    shape = torch.cat([inp["input.shape_code"], inp["input.gaze"]], 1)
    expand = lambda c: c[:, :, None, None].expand(-1, -1, n * n, S)
    vd = expand(inp["input.appea_code"])
    vp_eyes = torch.cat([pe, expand(shape)], 1)
    vp_face = torch.cat([pe, expand(inp["input.shape_code"] if cfg["gaze_free_face"] else shape)], 1)
    layers = cfg.get("mlp_layers", 8)
    bg = p["neural_render.bg_featmap"]
    maps = {}
    for stream, vp in (("face", vp_face), ("eyes", vp_eyes)):
        feat, sigma = mlp(p, f"fg_CD_predictor_{stream}", vp, vd, layers)
        alpha = 1.0 - torch.exp(-sigma * dists)
        trans = torch.cumprod(F.pad(1.0 - alpha + 1e-10, [1, 0]), dim=-1)[..., :-1]
        w = alpha * trans
        f = torch.sum(w * feat, dim=-1).view(B, C, n, n)
        bg_alpha = (1.0 - torch.sum(w, dim=-1)).view(B, 1, n, n)
        maps[stream] = f + bg_alpha * bg
    Rg = gaze_R(inp["input.gaze"])
    e = maps["eyes"].view(B, C // 3, 3, n, n).permute(0, 1, 3, 4, 2)  # [B, C/3, n, n, 3]
    e = torch.matmul(e, Rg[:, None, None, :, :])  # row vector v -> v R
    eyes = e.permute(0, 1, 4, 2, 3).reshape(B, C, n, n)
    merged = torch.maximum(maps["face"], eyes)
    return {
        "merge_img": renderer(p, merged, cfg),
        "merge_img_face": renderer(p, maps["face"], cfg),
        "merge_img_eyes": renderer(p, eyes, cfg),
        "bg_img": renderer(p, bg, cfg),
    }


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    dtype = torch.float32 if "--float32" in sys.argv else torch.float64
    tensors, meta = read_safetensors(sys.argv[1])
    cfg = json.loads(meta["config"])
    tensors = {k: v.to(dtype).requires_grad_(not k.startswith("proj.")) for k, v in tensors.items()}
    params = {k: v for k, v in tensors.items() if not k.startswith(("input.", "proj."))}
    inputs = {k: v for k, v in tensors.items() if k.startswith("input.")}
    out = forward(params, inputs, cfg)
    loss = sum(torch.sum(tensors["proj." + k] * v) for k, v in out.items())
    loss.backward()
    result = {"out." + k: v for k, v in out.items()}
    result["out.loss"] = loss.detach().reshape(1)
    for k, v in params.items():
        result["grad." + k] = v.grad
    for k in ("shape_code", "appea_code", "gaze", "delta_euler", "delta_T"):
        result["grad.input." + k] = inputs["input." + k].grad
    write_safetensors(sys.argv[2], result, {"torch": torch.__version__, "dtype": str(dtype)})
    print(f"wrote {sys.argv[2]}: loss {loss.item():.6f}, {len(result)} tensors")


if __name__ == "__main__":
    main()
