#!/usr/bin/env python3
"""Generates the PyTorch reference values Ember's tests compare against.

Run offline, with torch installed (never needed by the build or CI):

    python3 tools/make_fixtures.py        # writes Tests/Fixtures/*.json

Every tensor is stored as {"shape": [...], "dtype": "float32|float64|int64",
"data": [row-major values]}; floats are written with repr, so float32 and
float64 values round-trip exactly.
"""
import ctypes
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")


def t(x):
    x = x.detach()
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}[x.dtype]
    values = x.reshape(-1).tolist()
    return {"shape": list(x.shape), "dtype": dtype, "data": values}


def write(name, obj):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(obj, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote", name)


def rng():
    """torch's CPU generator: rand, randn (both paths), uniform_, randperm, Linear init, DataLoader order."""
    out = {}
    torch.manual_seed(0)
    out["rand_f32_seed0"] = t(torch.rand(7))
    torch.manual_seed(0)
    out["rand_f64_seed0"] = t(torch.rand(5, dtype=torch.float64))
    torch.manual_seed(3)
    out["randn_f32_5_seed3"] = t(torch.randn(5))       # scalar Box-Muller path, cached second sample
    out["randn_f32_3_after"] = t(torch.randn(3))       # continues from the cache
    torch.manual_seed(3)
    out["randn_f32_37_seed3"] = t(torch.randn(37))     # 16-wide normal_fill path with a ragged tail
    torch.manual_seed(4)
    out["randn_f64_40_seed4"] = t(torch.randn(40, dtype=torch.float64))
    torch.manual_seed(5)
    out["uniform_f32_seed5"] = t(torch.empty(100).uniform_(-0.3, 0.7))
    torch.manual_seed(5)
    out["uniform_f64_seed5"] = t(torch.empty(100, dtype=torch.float64).uniform_(-0.3, 0.7))
    g = torch.Generator().manual_seed(7)
    out["randperm_10_seed7"] = t(torch.randperm(10, generator=g))
    g = torch.Generator().manual_seed(11)
    out["randperm_1000_seed11"] = t(torch.randperm(1000, generator=g))
    torch.manual_seed(0)
    lin1, lin2 = nn.Linear(10, 5), nn.Linear(5, 2)
    out["linear_10_5_weight"], out["linear_10_5_bias"] = t(lin1.weight), t(lin1.bias)
    out["linear_5_2_weight"], out["linear_5_2_bias"] = t(lin2.weight), t(lin2.bias)
    torch.manual_seed(0)
    ds = TensorDataset(torch.arange(10), torch.arange(10))
    dl = DataLoader(ds, batch_size=4, shuffle=True)
    out["dataloader_shuffle_epochs"] = [[b[0].tolist() for b in dl] for _ in range(3)]
    out["after_dataloader_rand"] = t(torch.rand(2))
    torch.manual_seed(1)
    dl = DataLoader(ds, batch_size=3, shuffle=True, drop_last=True)
    out["dataloader_drop_last_seed1"] = [[b[0].tolist() for b in dl] for _ in range(2)]
    write("rng", out)


def grads_of(fn, inputs, upstream_seed=100):
    """Runs fn on leaf copies of inputs, backpropagates a fixed random upstream gradient."""
    leaves = [x.clone().requires_grad_(x.dtype.is_floating_point) for x in inputs]
    y = fn(*leaves)
    g = torch.Generator().manual_seed(upstream_seed)
    up = torch.randn(y.shape, generator=g, dtype=torch.float64).to(y.dtype)
    y.backward(up)
    return {"inputs": [t(x) for x in inputs], "output": t(y), "upstream": t(up),
            "grads": [t(l.grad) if l.grad is not None else None for l in leaves]}


def ops():
    """Forward values and gradients of every core op, broadcasting included."""
    g = torch.Generator().manual_seed(1234)

    def r(*shape, dtype=torch.float64, positive=False):
        x = torch.randn(*shape, generator=g, dtype=torch.float64)
        if positive:
            x = x.abs() + 0.5
        return x.to(dtype)

    cases = {
        "add_broadcast": (lambda a, b: a + b, [r(3, 1, 4), r(2, 4)]),
        "sub_broadcast": (lambda a, b: a - b, [r(2, 3), r(3)]),
        "mul_broadcast": (lambda a, b: a * b, [r(4, 1), r(1, 5)]),
        "div_broadcast": (lambda a, b: a / b, [r(2, 3), r(2, 1, positive=True)]),
        "add_scalar": (lambda a: a + 2.5, [r(2, 3)]),
        "sub_scalar": (lambda a: a - 1.25, [r(4)]),
        "mul_scalar": (lambda a: a * -3.0, [r(3, 2)]),
        "div_scalar": (lambda a: a / 4.0, [r(5)]),
        "neg": (lambda a: -a, [r(2, 2)]),
        "exp": (lambda a: a.exp(), [r(3, 3)]),
        "log": (lambda a: a.log(), [r(3, 3, positive=True)]),
        "relu": (lambda a: a.relu(), [r(4, 5)]),
        "sum_all": (lambda a: a.sum(), [r(3, 4)]),
        "sum_dim1": (lambda a: a.sum(dim=1), [r(3, 4, 2)]),
        "sum_dims02_keep": (lambda a: a.sum(dim=(0, 2), keepdim=True), [r(3, 4, 2)]),
        "mean_all": (lambda a: a.mean(), [r(3, 4)]),
        "mean_dim_neg1": (lambda a: a.mean(dim=-1), [r(2, 5)]),
        "matmul_2d": (lambda a, b: a @ b, [r(3, 4), r(4, 5)]),
        "matmul_dot": (lambda a, b: a @ b, [r(4), r(4)]),
        "matmul_mv": (lambda a, b: a @ b, [r(3, 4), r(4)]),
        "matmul_vm": (lambda a, b: a @ b, [r(4), r(4, 2)]),
        "matmul_batched_broadcast": (lambda a, b: a @ b, [r(2, 1, 3, 4), r(3, 4, 2)]),
        "matmul_batched_vec": (lambda a, b: a @ b, [r(2, 3, 4), r(4)]),
        "softmax_dim1": (lambda a: a.softmax(dim=1), [r(3, 5)]),
        "softmax_dim0_large": (lambda a: (a * 100).softmax(dim=0), [r(4, 3)]),
        "log_softmax_dim1": (lambda a: a.log_softmax(dim=1), [r(3, 5)]),
        "log_softmax_dim_neg1_3d": (lambda a: a.log_softmax(dim=-1), [r(2, 3, 4)]),
        "transpose": (lambda a: a.transpose(0, 2) * 1.0, [r(2, 3, 4)]),
        "permute": (lambda a: a.permute(2, 0, 1) * 1.0, [r(2, 3, 4)]),
        "expand": (lambda a: a.expand(3, 2, 4) * 1.0, [r(2, 1)]),
        "reshape_after_transpose": (lambda a: a.t().reshape(-1), [r(3, 4)]),
        "linear_bias": (lambda x, w, b: F.linear(x, w, b), [r(4, 3), r(2, 3), r(2)]),
        "linear_3d_nobias": (lambda x, w: F.linear(x, w), [r(2, 4, 3), r(5, 3)]),
        "mse_loss": (lambda a, b: F.mse_loss(a, b), [r(4, 3), r(4, 3)]),
        "cross_entropy": (lambda x, y: F.cross_entropy(x, y), [r(5, 4), torch.tensor([0, 3, 1, 1, 2])]),
        "cross_entropy_unbatched": (lambda x, y: F.cross_entropy(x, y), [r(6), torch.tensor(4)]),
        "composite": (lambda a, b: ((a @ b).relu().exp() / 3.0 - b.sum()).log_softmax(dim=0).mean(), [r(3, 4), r(4, 2)]),
    }
    out = {}
    for name, (fn, inputs) in cases.items():
        out[name] = grads_of(fn, inputs)
        out[name + "_f32"] = grads_of(fn, [x.float() if x.is_floating_point() else x for x in inputs])
    write("ops", out)


def seed_network():
    """The seed network with weights set by name: loss and every parameter gradient."""
    out = {}
    for dtype, suffix in ((torch.float32, "f32"), (torch.float64, "f64")):
        g = torch.Generator().manual_seed(42)
        model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2)).to(dtype)
        weights = {}
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64).to(dtype) * 0.5)
                weights[name] = t(p)
        x = torch.randn(32, 10, generator=g, dtype=torch.float64).to(dtype)
        y = torch.randint(0, 2, (32,), generator=g)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        out[suffix] = {"weights": weights, "x": t(x), "y": t(y), "loss": loss.item(),
                       "grads": {n: t(p.grad) for n, p in model.named_parameters()}}
    write("seed_network", out)


def sgd():
    """SGD trajectories (float64) for torch's option combinations on a fixed small network."""
    out = {}
    combos = {
        "plain": {},
        "momentum": {"momentum": 0.9},
        "momentum_dampening": {"momentum": 0.9, "dampening": 0.3},
        "nesterov": {"momentum": 0.8, "nesterov": True},
        "weight_decay": {"weight_decay": 0.05},
        "all": {"momentum": 0.7, "weight_decay": 0.01, "nesterov": True},
        "maximize": {"momentum": 0.5, "maximize": True},
    }
    g = torch.Generator().manual_seed(9)
    x = torch.randn(16, 4, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (16,), generator=g)
    init = {}
    model0 = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)).double()
    with torch.no_grad():
        for name, p in model0.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.4)
            init[name] = t(p)
    out["x"], out["y"], out["init"] = t(x), t(y), init
    out["steps"] = 25
    out["lr"] = 0.05
    for name, opts in combos.items():
        model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)).double()
        model.load_state_dict(model0.state_dict())
        opt = torch.optim.SGD(model.parameters(), lr=0.05, **opts)
        losses = []
        for _ in range(out["steps"]):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        out[name] = {"options": {k: float(v) for k, v in opts.items()}, "losses": losses,
                     "params": {n: t(p) for n, p in model.named_parameters()}}
    write("sgd", out)


def seed_loop():
    """examples/seed_loop.c in torch: the same data (glibc rand), seed, shuffling and optimizer."""
    libc = ctypes.CDLL("libc.so.6")
    n, features = 512, 10
    libc.srand(1)
    x = np.zeros((n, features), dtype=np.float32)
    y = np.zeros(n, dtype=np.int64)
    for i in range(n):
        margin = np.float32(0)
        for j in range(features):
            v = np.float32(np.float32(libc.rand()) / np.float32(2147483647) * np.float32(2) - np.float32(1))
            x[i, j] = v
            margin = np.float32(margin + (v if j < features // 2 else -v))
        y[i] = margin > 0
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    dl = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=32, shuffle=True)
    losses = []
    for _ in range(20):
        total, batches = 0.0, 0
        for data, target in dl:
            loss = F.cross_entropy(model(data), target)
            loss.backward()
            opt.step()
            opt.zero_grad()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    with torch.no_grad():
        accuracy = float((model(torch.from_numpy(x)).argmax(1).numpy() == y).mean())
    write("seed_loop", {"epoch_losses": losses, "accuracy": accuracy, "x_first_row": x[0].tolist(),
                        "params": {n: t(p) for n, p in model.named_parameters()}})


if __name__ == "__main__":
    torch.set_num_threads(1)
    rng()
    ops()
    seed_network()
    sgd()
    seed_loop()
