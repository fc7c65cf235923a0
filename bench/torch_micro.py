#!/usr/bin/env python3
"""PyTorch's side of bench/micro.c: the same operations, shapes and timing
rule (best of several rounds), printing `NAME: X us/op`.

    python3 bench/torch_micro.py [--threads 2] [--only NAME]

Needs torch (never a dependency of Ember); bench/compare runs it beside
Ember's micro-benchmarks and prints the ratios.
"""
import argparse
import time

import torch
import torch.nn.functional as F


def best(rounds, reps, body):
    result = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(reps):
            body()
        result = min(result, (time.perf_counter() - start) / reps)
    return result * 1e6


def add64():
    a, b = torch.randn(64), torch.randn(64)
    return {"add64": best(7, 200000, lambda: torch.add(a, b))}


def linear(batch, n_in, n_out, reps):
    lin = torch.nn.Linear(n_in, n_out)
    x = torch.randn(batch, n_in, requires_grad=True)
    dy = torch.randn(batch, n_out)
    suffix = f"{batch}_{n_in}_{n_out}"

    def fwdbwd():
        lin(x).backward(dy)

    return {f"linear_fwd_{suffix}": best(5, reps, lambda: lin(x)), f"linear_fwdbwd_{suffix}": best(5, reps, fwdbwd)}


def conv2d():
    x = torch.randn(64, 6, 14, 14, requires_grad=True)
    w = torch.randn(16, 6, 5, 5, requires_grad=True)
    b = torch.randn(16, requires_grad=True)
    return {"conv2d_fwdbwd": best(5, 200, lambda: F.conv2d(x, w, b).sum().backward())}


def log_softmax_ce():
    x = torch.randn(1024, 96, requires_grad=True)
    t = torch.randint(0, 96, (1024,))
    return {"log_softmax_ce": best(5, 2000, lambda: F.cross_entropy(x, t).backward())}


def strided():
    x, y = torch.randn(16, 64, 128), torch.randn(64, 16, 128).transpose(0, 1)
    z = torch.randn(16, 4, 64, 32).permute(0, 2, 1, 3)
    return {"strided_add": best(5, 500, lambda: x + y), "permute_copy": best(5, 500, lambda: z.contiguous())}


def adam_10m():
    p = torch.randn(10_000_000, requires_grad=True)
    p.sum().backward()
    opt = torch.optim.Adam([p], lr=1e-3)
    return {"adam_10m": best(5, 10, opt.step)}


BENCHMARKS = [("add64", add64), ("linear", lambda: {**linear(128, 784, 512, 200), **linear(1024, 128, 512, 200),
                                                     **linear(32, 10, 5, 100000)}),
              ("conv2d_fwdbwd", conv2d), ("log_softmax_ce", log_softmax_ce), ("strided", strided), ("adam_10m", adam_10m)]

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    for name, run in BENCHMARKS:
        if a.only and not (name.startswith(a.only) or a.only.startswith(name)):
            continue
        for key, us in run().items():
            print(f"{key}: {us:.3f} us/op", flush=True)
