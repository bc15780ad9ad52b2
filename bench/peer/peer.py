#!/usr/bin/python3
"""The PyTorch peer for bench/compare: the same workloads as our JMH benchmarks, built from the PyTorch
reference implementation in tools/golden/gazenerf_reference.py, timed on the CPU.

Prints one JSON object per workload and line: {"workload", "unit", "peer", "seconds"}; "peer" is the
throughput in "unit". Threads: torch.set_num_threads(--threads, default all cores). Prints the BLAS torch
loaded on stderr (OpenBLAS is required for a fair comparison: without it torch uses the reference BLAS).

Usage: peer.py [--quick] [--threads N] [--only w1,w2]
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "golden"))
import gazenerf_reference as ref  # noqa: E402


def timeit(fn, min_time, min_reps=3, warm_up=True):
    if warm_up:
        fn()
    reps, start = 0, time.perf_counter()
    while True:
        fn()
        reps += 1
        el = time.perf_counter() - start
        if el >= min_time and reps >= min_reps:
            return el / reps


def preset(name):
    here = os.path.dirname(os.path.abspath(__file__))
    p = os.path.join(here, "..", "..", "engine", "src", "main", "resources", "dev", "gazenerf", "presets", name + ".json")
    with open(p) as f:
        j = json.load(f)
    return dict(featmap_size=j["featmapSize"], samples=j["samples"], frequencies=j["frequencies"],
                depth_near=j["depthNear"], depth_far=j["depthFar"], feature_channels=j["featureChannels"],
                output_size=j["outputSize"], min_renderer_channels=j["minRendererChannels"],
                pixel_centres=j["pixelCentres"], gaze_free_face=j["gazeFreeFace"], mlp_layers=j["mlpLayers"],
                width=j["mlpWidth"], iden=j["idenDims"], expr=j["exprDims"], text=j["textDims"], illu=j["illuDims"])


def conv_params(p, name, cin, cout):
    w = torch.empty(cout, cin)
    torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    p[name + ".weight"] = w
    p[name + ".bias"] = torch.empty(cout).uniform_(-1 / math.sqrt(cin), 1 / math.sqrt(cin))


def model_params(c):
    p = {}
    enc = 3 + 6 * c["frequencies"]
    vp = enc + c["iden"] + c["expr"] + 2
    w = c["width"]
    for s in ("face", "eyes"):
        pre = f"fg_CD_predictor_{s}"
        for i in range(c["mlp_layers"]):
            cin = vp if i == 0 else (w + vp if i == c["mlp_layers"] // 2 + 1 else w)
            conv_params(p, f"{pre}.FeaExt_module_{i}", cin, w)
        conv_params(p, f"{pre}.density_module", w, 1)
        conv_params(p, f"{pre}.RGB_layer_0", w, w)
        conv_params(p, f"{pre}.RGB_layer_1", w + c["text"] + c["illu"], w // 2)
        conv_params(p, f"{pre}.RGB_layer_2", w // 2, c["feature_channels"])
    C, mn = c["feature_channels"], c["min_renderer_channels"]
    blocks = int(round(math.log2(c["output_size"] / c["featmap_size"])))
    conv_params(p, "neural_render.feat_2_rgb_list.0", C, 3)
    for i in range(blocks):
        cin, cout = max(C // 2 ** i, mn), max(C // 2 ** (i + 1), mn)
        conv_params(p, f"neural_render.feat_upsample_list.{i}.layer_1", cin, 2 * cin)
        conv_params(p, f"neural_render.feat_upsample_list.{i}.layer_2", 2 * cin, 4 * cin)
        conv_params(p, f"neural_render.feat_layers.{i}", cin, cout)
        conv_params(p, f"neural_render.feat_2_rgb_list.{i + 1}", cout, 3)
    n = c["featmap_size"]
    p["neural_render.bg_featmap"] = torch.ones(1, C, n, n)
    return p


def model_inputs(c, batch):
    n = c["featmap_size"]
    f = 1039.36 * n / 512.0
    inv = torch.tensor([[1 / f, 0, -(n / 2) / f], [0, 1 / f, -(n / 2) / f], [0, 0, 1.0]])
    return {
        "input.shape_code": torch.randn(batch, c["iden"] + c["expr"]) * 0.1,
        "input.appea_code": torch.randn(batch, c["text"] + c["illu"]) * 0.1,
        "input.gaze": torch.randn(batch, 2) * 0.3,
        "input.c2w_R": torch.tensor([[1.0, 0, 0], [0, -1, 0], [0, 0, -1]]).repeat(batch, 1, 1),
        "input.c2w_T": torch.tensor([[0.0, 0, 6.2]]).repeat(batch, 1),
        "input.inv_inmat": inv.repeat(batch, 1, 1),
        "input.delta_euler": torch.zeros(batch, 3),
        "input.delta_T": torch.zeros(batch, 3),
    }


def mlp_step(points):
    """The paper-size MLP forward + backward + Adam over `points` points of one image, as MlpBenchmark.trainStep:
    the reference's layout ([1, C, points, 1], 1x1 convolutions over the physically expanded codes); gradients of
    every weight and of the shape code (iden, expr, gaze: 181) and the appearance code (127), not of the encoded
    points; Adam (lr 1e-4) over the weights."""
    c = preset("paper")
    p = {k: v.requires_grad_() for k, v in model_params(c).items() if k.startswith("fg_CD_predictor_face")}
    opt = torch.optim.Adam(p.values(), lr=1e-4)
    enc = 3 + 6 * c["frequencies"]
    pe = torch.rand(1, enc, points, 1) * 2 - 1
    code = (torch.rand(1, c["iden"] + c["expr"] + 2, 1, 1) * 2 - 1).requires_grad_()
    app = (torch.rand(1, c["text"] + c["illu"], 1, 1) * 2 - 1).requires_grad_()
    g_f = torch.rand(1, c["feature_channels"], points, 1) * 2 - 1
    g_s = torch.rand(1, 1, points, 1) * 2 - 1

    def step():
        opt.zero_grad(set_to_none=False)
        code.grad = None
        app.grad = None
        vp = torch.cat([pe, code.expand(-1, -1, points, 1)], 1)
        f, s = ref.mlp(p, "fg_CD_predictor_face", vp, app.expand(-1, -1, points, 1), c["mlp_layers"])
        torch.autograd.backward([f, s], [g_f, g_s])
        opt.step()
    return step


def gemm(m, n, k):
    a, b = torch.randn(m, k), torch.randn(n, k)
    out = torch.empty(m, n)
    return lambda: torch.mm(a, b.t(), out=out)


def composite(rays, samples, channels):
    """Volume compositing forward + backward as CompositeBenchmark.forwardBackward, on the reference's
    [1, C, R, S] layout: weights w = alpha T, the feature map sum_s w feat + (1 - sum_s w) bg, the depth
    sum_s w t; backward (from a given gradient of the map) to sigma, the features, the distances and bg."""
    feat = (torch.rand(1, channels, rays, samples) * 2 - 1).requires_grad_()
    sigma = (torch.rand(1, 1, rays, samples) * 3).requires_grad_()
    dists = (torch.rand(1, 1, rays, samples) * 0.1 + 0.05).requires_grad_()
    tvals = torch.rand(1, 1, rays, samples) * 6 + 1
    bg = torch.rand(1, channels, rays).requires_grad_()
    g = torch.rand(1, channels, rays) * 2 - 1

    def step():
        alpha = 1.0 - torch.exp(-sigma * dists)
        trans = torch.cumprod(F.pad(1.0 - alpha + 1e-10, [1, 0], value=1.0), dim=-1)[..., :-1]
        w = alpha * trans
        bg_alpha = 1.0 - torch.sum(w, dim=-1)
        f = torch.sum(w * feat, dim=-1) + bg_alpha * bg
        depth = torch.sum(w * tvals, dim=-1)  # noqa: F841 (computed as ours is; no gradient flows through it)
        torch.sum(f * g).backward()
    return step


def renderer_step(name):
    """The neural renderer forward + backward as RendererBenchmark.forwardBackward: one feature map to one image,
    gradients of every renderer weight (accumulated, never zeroed, as ours) and of the input map."""
    c = preset(name)
    p = {k: v.requires_grad_() for k, v in model_params(c).items() if k.startswith("neural_render")}
    n = c["featmap_size"]
    x = torch.randn(1, c["feature_channels"], n, n, requires_grad=True)
    g = torch.randn(1, 3, c["output_size"], c["output_size"])

    def step():
        torch.sum(ref.renderer(p, x, c) * g).backward()
    return step


def masks(o):
    """Head disc and two eye discs on an o x o image (as ModelInputs in the JMH benchmarks)."""
    v, u = torch.meshgrid((torch.arange(o) + 0.5) / o, (torch.arange(o) + 0.5) / o, indexing="ij")
    disc = lambda cu, cv, r: ((u - cu) ** 2 + (v - cv) ** 2 <= r * r)
    head = disc(0.5, 0.5, 0.4)
    eyes = disc(0.35, 0.4, 0.06) | disc(0.65, 0.4, 0.06)
    return head, head & ~eyes, eyes, ~head


def train_step(name, batch=1):
    """One training step of the whole model as TrainStepBenchmark: forward of the 4 images, the reconstruction
    loss (L1 on merged|head, face|face, eyes|eyes; (merged - 1)^2 on the non-head pixels; (bg - 1)^2), backward
    to every weight and to the shape and appearance codes and camera corrections, Adam over all of them."""
    c = preset(name)
    p = {k: v.requires_grad_() for k, v in model_params(c).items()}
    inp = model_inputs(c, batch)
    trained = ["input.shape_code", "input.appea_code", "input.delta_euler", "input.delta_T"]
    for k in trained:
        inp[k].requires_grad_()
    opt = torch.optim.Adam(list(p.values()) + [inp[k] for k in trained], lr=1e-4)
    o = c["output_size"]
    gt = torch.rand(batch, 3, o, o)
    head, face, eyes, non = masks(o)

    def l1(img, m):
        return torch.mean(torch.abs(img - gt)[:, :, m])

    def step():
        opt.zero_grad(set_to_none=False)
        out = ref.forward(p, inp, c)
        loss = l1(out["merge_img"], head) + l1(out["merge_img_face"], face) + l1(out["merge_img_eyes"], eyes)
        loss = loss + torch.mean(((out["merge_img"] - 1) ** 2)[:, :, non]) + torch.mean((out["bg_img"] - 1) ** 2)
        loss.backward()
        opt.step()
    return step


def render_image(name):
    c = preset(name)
    p = model_params(c)
    inp = model_inputs(c, 1)

    def step():
        with torch.no_grad():
            ref.forward(p, inp, c)
    return step


def loaded_blas():
    """The BLAS library actually mapped into this process after a matrix product (Debian's torch uses the
    system BLAS through the alternatives mechanism, so its build config cannot tell)."""
    a = torch.randn(64, 64)
    a @ a
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "blas" in line.lower()})
    return ", ".join(os.path.basename(l) for l in libs) or "none found"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    blas = loaded_blas()
    print(f"peer: torch {torch.__version__}, {a.threads} threads, BLAS {blas}", file=sys.stderr)
    t = 0.5 if a.quick else 3.0
    paper = preset("paper")
    work = [
        ("gemm_4096x384x384", "GFLOP/s", lambda: gemm(4096, 384, 384), 2 * 4096 * 384 * 384 / 1e9),
        ("mlp_step_4096", "points/s", lambda: mlp_step(4096), 4096),
        ("mlp_step_65536", "points/s", lambda: mlp_step(65536), 65536),
        ("composite_fwd_bwd", "points/s", lambda: composite(4096, 64, paper["feature_channels"]), 4096 * 64),
        ("renderer_fwd_bwd", "images/s", lambda: renderer_step("paper"), 1),
        ("small_train_step", "steps/s", lambda: train_step("small"), 1),
        ("paper_render_image", "images/s", lambda: render_image("paper"), 1),
    ]
    only = set(filter(None, a.only.split(",")))
    for name, unit, make, amount in work:
        if only and name not in only:
            continue
        paper_size = name.startswith("paper")
        sec = timeit(make(), t, 1 if paper_size else 3, warm_up=not (a.quick and paper_size))
        print(json.dumps({"workload": name, "unit": unit, "peer": amount / sec, "seconds": sec, "blas": blas,
                          "threads": a.threads}), flush=True)


if __name__ == "__main__":
    main()
