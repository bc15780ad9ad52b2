#!/usr/bin/env python3
"""PyTorch peer of dev.gazenerf.bench.MlpBenchmark: the paper-size GazeNeRF MLP (section 2.4 of the
reference spec; 1,518,979 parameters), built as the reference's MLPforNeRF builds it: per-point layers over
the physically concatenated input [PE 63, iden 100, expr 79, pitch, yaw] (the codes expanded to every point),
the skip concat [input, h] into FeaExt_module_5, and [RGB_layer_0 out, appearance 127] into RGB_layer_1.
nn.Linear over (points, channels) is the same computation as the reference's 1x1 Conv2d over
[B, C, N_rays, N_samples]; no hoisting (PyTorch does not know the codes are constant per image).

Times, on 2 threads, at 4,096 and 65,536 points of one image:
  forward:   the forward with autograd off;
  trainStep: forward + backward (every weight, and the shape and appearance codes, which require grad;
             not the encoded points) + torch.optim.Adam (lr 1e-4, betas 0.9/0.999, eps 1e-8) over the weights.
Prints which BLAS and threading torch uses, then one line per case:
  RESULT peer <case> points=<n> points_per_s=<rate> seconds_per_call=<t>
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class MlpForNerf(nn.Module):
    def __init__(self, vp=244, vd=127, width=384, layers=8, feat=258):
        super().__init__()
        self.layers = layers
        self.skip = layers // 2
        for i in range(layers):
            fan_in = vp if i == 0 else (width + vp if i == self.skip + 1 else width)
            self.add_module("FeaExt_module_%d" % i, nn.Linear(fan_in, width))
            if i > 0:
                nn.init.xavier_uniform_(getattr(self, "FeaExt_module_%d" % i).weight)
        self.density_module = nn.Linear(width, 1)
        nn.init.xavier_uniform_(self.density_module.weight)
        nn.init.zeros_(self.density_module.bias)
        self.RGB_layer_0 = nn.Linear(width, width)
        nn.init.xavier_uniform_(self.RGB_layer_0.weight)
        self.RGB_layer_1 = nn.Linear(width + vd, width // 2)
        self.RGB_layer_2 = nn.Linear(width // 2, feat)

    def forward(self, x, vd):
        inp = x
        for i in range(self.layers):
            x = F.relu(getattr(self, "FeaExt_module_%d" % i)(x))
            if i == self.skip:
                x = torch.cat([inp, x], dim=1)
        density = F.relu(self.density_module(x))
        r = self.RGB_layer_0(x)
        r = F.relu(self.RGB_layer_1(torch.cat([r, vd], dim=1)))
        return density, self.RGB_layer_2(r)


def loaded_blas():
    """The BLAS shared libraries mapped into this process (Debian's torch reports BLAS_INFO=generic and
    calls whatever libblas.so.3 the alternatives system points to, e.g. OpenBLAS)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    libs = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                name = path.rsplit("/", 1)[-1].lower()
                if "blas" in name or "mkl" in name or "lapack" in name:
                    libs.add(path)
    except OSError as e:
        return ["unknown (%s)" % e]
    return sorted(libs)


def make_inputs(points, gen):
    pe = torch.rand(points, 63, generator=gen) * 2 - 1
    shape_code = (torch.rand(1, 181, generator=gen) * 2 - 1).requires_grad_(True)
    appearance = (torch.rand(1, 127, generator=gen) * 2 - 1).requires_grad_(True)
    d_sigma = torch.rand(points, 1, generator=gen) * 2 - 1
    d_feat = torch.rand(points, 258, generator=gen) * 2 - 1
    return pe, shape_code, appearance, d_sigma, d_feat


def run_forward(mlp, pe, shape_code, appearance):
    n = pe.shape[0]
    x = torch.cat([pe, shape_code.expand(n, -1)], dim=1)
    return mlp(x, appearance.expand(n, -1))


def timed(fn, min_seconds, min_calls=3):
    fn()
    fn()
    calls = 0
    start = time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if calls >= min_calls and elapsed >= min_seconds:
            return elapsed / calls


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--points", type=int, nargs="+", default=[4096, 65536])
    ap.add_argument("--seconds", type=float, default=10.0, help="minimum timed seconds per case")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(45)
    print("torch", torch.__version__)
    print(torch.__config__.show())
    print(torch.__config__.parallel_info())
    print("BLAS libraries loaded:", ", ".join(loaded_blas()) or "none found")
    mlp = MlpForNerf()
    count = sum(p.numel() for p in mlp.parameters())
    print("parameters", count)
    assert count == 1518979, count
    opt = torch.optim.Adam(mlp.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    gen = torch.Generator().manual_seed(1)
    for points in args.points:
        pe, shape_code, appearance, d_sigma, d_feat = make_inputs(points, gen)

        def forward():
            with torch.no_grad():
                run_forward(mlp, pe, shape_code, appearance)

        def train_step():
            opt.zero_grad(set_to_none=False)
            shape_code.grad = None
            appearance.grad = None
            sigma, feat = run_forward(mlp, pe, shape_code, appearance)
            torch.autograd.backward([sigma, feat], [d_sigma, d_feat])
            opt.step()

        for name, fn in (("forward", forward), ("trainStep", train_step)):
            t = timed(fn, args.seconds)
            print("RESULT peer %s points=%d points_per_s=%.1f seconds_per_call=%.5f" % (name, points, points / t, t),
                  flush=True)


if __name__ == "__main__":
    main()
