#!/usr/bin/env python3
"""The same elementwise and reduction ops as bench/ops.c, in numpy (and torch
when importable), for a side-by-side in one session. Prints "NAME: X us/op"."""
import sys
import timeit

import numpy as np

rng = np.random.default_rng(0)
a = rng.standard_normal(1_000_000).astype(np.float32)
b = rng.standard_normal(1_000_000).astype(np.float32)
sa = rng.standard_normal(64).astype(np.float32)
sb = rng.standard_normal(64).astype(np.float32)


def best(fn, reps):
    return min(timeit.repeat(fn, number=reps, repeat=5)) / reps * 1e6


print(f"numpy add_1e6: {best(lambda: a + b, 200):.1f} us/op")
print(f"numpy mul_1e6: {best(lambda: a * b, 200):.1f} us/op")
print(f"numpy exp_1e6: {best(lambda: np.exp(a), 100):.1f} us/op")
print(f"numpy sum_1e6: {best(lambda: a.sum(), 200):.1f} us/op")
print(f"numpy add_64_overhead: {best(lambda: sa + sb, 200000):.3f} us/op")
try:
    import torch
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    ta, tb, tsa, tsb = (torch.from_numpy(x) for x in (a, b, sa, sb))
    print(f"torch add_1e6: {best(lambda: ta + tb, 200):.1f} us/op")
    print(f"torch mul_1e6: {best(lambda: ta * tb, 200):.1f} us/op")
    print(f"torch exp_1e6: {best(lambda: ta.exp(), 100):.1f} us/op")
    print(f"torch sum_1e6: {best(lambda: ta.sum(), 200):.1f} us/op")
    print(f"torch add_64_overhead: {best(lambda: tsa + tsb, 200000):.3f} us/op")
except ImportError:
    pass
