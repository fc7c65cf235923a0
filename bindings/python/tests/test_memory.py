"""Handles are released when Python drops them: long loops do not grow memory."""

import gc
import os

import pytest

import ember
import ember.nn as nn
from conftest import needs_dlpack

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc to read the RSS")


def rss_mb():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def _growth(body, warmup, count):
    for _ in range(warmup):
        body()
    gc.collect()
    before = rss_mb()
    for _ in range(count):
        body()
    gc.collect()
    return rss_mb() - before


def test_100000_ops_do_not_grow_memory():
    x = ember.randn(64)
    w = ember.randn(64, requires_grad=True)

    def body():
        y = (x + 1) * 2          # two ops, two handles dropped at once
        z = y.sum() + w.sum()    # a graph that is dropped without backward
        return z

    assert _growth(body, 10_000, 100_000) < 8.0


def test_training_steps_do_not_grow_memory():
    model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
    opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x, y = ember.randn(32, 10), ember.randint(0, 2, (32,))

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    assert _growth(step, 2_000, 20_000) < 8.0


def test_python_modules_callbacks_and_objects_are_freed():
    class Twice(nn.Module):
        def forward(self, x):
            return x * 2

    def body():
        seq = nn.Sequential(nn.Linear(4, 4), Twice())
        seq(ember.ones(1, 4)).sum().backward()
        opt = ember.optim.Adam(seq.parameters())
        opt.step()
        sched = ember.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0)
        sched.step()
        loader = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(ember.ones(4, 1), ember.ones(4)),
                                             batch_size=2)
        list(loader)

    assert _growth(body, 300, 3_000) < 8.0
    # the user_data registry does not keep callback objects alive
    assert len(ember._ffi._userdata) < 10


def test_custom_functions_and_hooks_are_freed():
    class Identity(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = ember.ones(8, requires_grad=True)

    def body():
        y = Identity.apply(x)
        y.register_hook(lambda g: None)
        y.sum().backward()

    assert _growth(body, 1_000, 10_000) < 8.0
    gc.collect()
    assert len(ember._ffi._userdata) < 10


@needs_dlpack
def test_numpy_and_dlpack_exchange_does_not_grow_memory():
    np = pytest.importorskip("numpy")
    arr = np.ones(1000, dtype=np.float32)
    t = ember.ones(1000)

    def body():
        view = t.numpy()          # DLPack: numpy holds the tensor's memory until it is dropped
        back = ember.from_numpy(arr)
        unused = t.__dlpack__()   # a capsule nobody consumes releases the tensor itself
        return view, back, unused

    assert _growth(body, 2_000, 30_000) < 8.0
