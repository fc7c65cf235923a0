"""Saving and loading (ember.save/load on safetensors, model files, checkpoints,
generator state) and DLPack exchange."""

import io
import struct
import json
from collections import OrderedDict

import pytest

import ember
import ember.nn as nn
from conftest import HAVE_NUMPY, close, needs_dlpack, needs_io


@needs_io
def test_save_and_load_a_state_dict(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    path = tmp_path / "model.safetensors"
    ember.save(model.state_dict(), path)
    loaded = ember.load(path)
    assert isinstance(loaded, OrderedDict) and list(loaded) == list(model.state_dict())
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    other.load_state_dict(loaded)
    x = ember.randn(5, 3)
    model.eval(), other.eval()
    assert close(model(x), other(x), rtol=0, atol=0)
    # a plain safetensors file: 8-byte header length, JSON header, data
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    assert header["__metadata__"]["format"] == "pt" and header["0.weight"]["dtype"] == "F32"
    assert header["1.num_batches_tracked"]["dtype"] == "I64" and header["0.weight"]["shape"] == [4, 3]


@needs_io
def test_save_and_load_nested_objects_and_file_objects(tmp_path):
    w = nn.Parameter(ember.ones(2))
    opt = ember.optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    obj = {"epoch": 3, "model": OrderedDict(w=w.detach()), "optimizer": opt.state_dict(), "tag": "run-1",
           "shape": (2, 3), "loss": float("inf"), "flags": [True, None], "dtype": ember.float64,
           "tensor": ember.tensor([[1, 2]]), "param": w}
    buf = io.BytesIO()
    ember.save(obj, buf)
    back = ember.load(io.BytesIO(buf.getvalue()))
    assert back["epoch"] == 3 and back["tag"] == "run-1" and back["shape"] == (2, 3) and back["loss"] == float("inf")
    assert back["flags"] == [True, None] and back["dtype"] is ember.float64
    assert back["tensor"].tolist() == [[1, 2]] and back["tensor"].dtype is ember.int64
    assert isinstance(back["param"], nn.Parameter) and back["param"].requires_grad
    assert back["optimizer"]["param_groups"][0]["betas"] == pytest.approx((0.9, 0.999))
    assert list(back["optimizer"]["state"]) == [0] and back["optimizer"]["state"][0]["step"].item() == 1
    opt2 = ember.optim.Adam([nn.Parameter(ember.ones(2))], lr=1.0)
    opt2.load_state_dict(back["optimizer"])
    assert opt2.param_groups[0]["lr"] == pytest.approx(0.1)
    t = ember.randn(3, 4)
    ember.save(t, tmp_path / "t.safetensors")
    assert close(ember.load(str(tmp_path / "t.safetensors")), t, rtol=0, atol=0)
    assert ember.load(buf.getvalue())["epoch"] == 3
    with pytest.raises(TypeError):
        ember.save({"x": object()}, tmp_path / "bad.safetensors")
    with pytest.raises(ember.EmberIOError):
        ember.load(b"not a safetensors file")
    with pytest.raises(ember.EmberIOError):
        ember.load(tmp_path / "missing.safetensors")


@needs_io
def test_model_files_rebuild_the_architecture(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    model.eval()
    path = tmp_path / "net.ember"
    ember.save_model(model, path)
    rebuilt = ember.load_model(path)
    assert isinstance(rebuilt, nn.Sequential) and isinstance(rebuilt[0], nn.Conv2d) and not rebuilt.training
    x = ember.randn(2, 1, 8, 8)
    assert close(rebuilt(x), model(x), rtol=0, atol=0)
    assert repr(rebuilt) == repr(model)
    assert close(ember.load_model(open(path, "rb"))(x), model(x), rtol=0, atol=0)

    class Custom(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(ember.InvalidArgumentError):
        ember.save_model(nn.Sequential(Custom()), tmp_path / "custom.ember")


@needs_io
def test_rng_state_round_trip():
    state = ember.get_rng_state()
    assert state.shape == (632,) and state.dtype is ember.int64
    a = ember.randn(5)
    ember.set_rng_state(state)
    assert ember.randn(5).tolist() == a.tolist()
    with ember.serialization.rng_preserved():
        ember.randn(100)
    b = ember.randn(5)
    ember.set_rng_state(state)
    ember.randn(5)
    assert ember.randn(5).tolist() == b.tolist()


@needs_io
def test_checkpoints_resume_bit_for_bit(tmp_path):
    def make():
        ember.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.2), nn.Linear(8, 2))
        opt = ember.optim.AdamW(model.parameters(), lr=0.01)
        sched = ember.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5)
        x = ember.randn(40, 4)
        y = (x.sum(1) > 0).long()
        loader = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(x, y), batch_size=8, shuffle=True)
        return model, opt, sched, loader

    def train(model, opt, batches):
        losses = []
        for data, target in batches:
            loss = nn.functional.cross_entropy(model(data), target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    def epochs(model, opt, sched, loader, count):
        losses = []
        for _ in range(count):
            losses += train(model, opt, loader)
            sched.step()
        return losses

    # at an epoch boundary
    model, opt, sched, loader = make()
    epochs(model, opt, sched, loader, 2)
    ember.save_checkpoint(tmp_path / "ckpt", model, opt, sched, loader)
    expected = epochs(model, opt, sched, loader, 2)
    model2, opt2, sched2, loader2 = make()
    ember.load_checkpoint(tmp_path / "ckpt", model2, opt2, sched2, loader2)
    assert epochs(model2, opt2, sched2, loader2, 2) == expected

    # in the middle of an epoch: the restored loader continues that epoch
    model, opt, sched, loader = make()
    batches = iter(loader)
    train(model, opt, [next(batches), next(batches)])
    ember.save_checkpoint(tmp_path / "mid", model, opt, sched, loader)
    expected = train(model, opt, batches)
    model2, opt2, sched2, loader2 = make()
    ember.load_checkpoint(tmp_path / "mid", model2, opt2, sched2, loader2)
    assert train(model2, opt2, loader2) == expected and len(expected) == 3

    sd = ember.checkpoint_state_dict(model, opt, sched, loader)
    assert "generator.state" in sd and any(k.startswith("optimizer.") for k in sd)
    model3, opt3, sched3, loader3 = make()
    ember.restore_checkpoint(sd, model3, opt3, sched3, loader3)
    assert close(model3[0].weight, model[0].weight, rtol=0, atol=0)
    state = loader.state_dict()
    assert set(state) >= {"epoch", "position", "permutation"}
    loader3.load_state_dict(state)


@needs_dlpack
@pytest.mark.skipif(not HAVE_NUMPY, reason="numpy is not installed")
def test_numpy_shares_memory_both_ways():
    import numpy as np
    t = ember.zeros(3)
    a = t.numpy()
    a[0] = 5.0
    assert t.tolist() == [5.0, 0.0, 0.0]
    t.add_(1)
    assert a.tolist() == [6.0, 1.0, 1.0]
    n = np.arange(4.0)
    e = ember.from_numpy(n)
    n[1] = 10
    assert e.tolist() == [0.0, 10.0, 2.0, 3.0]
    e.mul_(2)
    assert n.tolist() == [0.0, 20.0, 4.0, 6.0]
    frozen = np.arange(3.0)
    frozen.flags.writeable = False
    assert ember.from_numpy(frozen).add_(1).tolist() == [1.0, 2.0, 3.0] and frozen.tolist() == [0.0, 1.0, 2.0]
    assert ember.from_numpy(np.arange(6).reshape(2, 3)[:, ::2]).tolist() == [[0, 2], [3, 5]]
    assert ember.from_numpy(np.array([True, False])).tolist() == [True, False]
    assert np.from_dlpack(ember.arange(3)).tolist() == [0, 1, 2]
    assert ember.from_dlpack(np.arange(3.0)).tolist() == [0.0, 1.0, 2.0]
    x = ember.arange(12).reshape(3, 4).t()
    assert ember.from_dlpack(x).tolist() == x.tolist() and x.numpy().tolist() == x.tolist()


@needs_dlpack
def test_dlpack_capsules():
    t = ember.arange(5).float()
    assert t.__dlpack_device__() == (1, 0)
    u = ember.from_dlpack(t.__dlpack__())
    u[0] = 7
    assert t[0].item() == 7.0
    capsule = ember.utils.dlpack.to_dlpack(t)
    v = ember.utils.dlpack.from_dlpack(capsule)
    assert v.tolist() == t.tolist()
    with pytest.raises(TypeError):
        ember.from_dlpack(capsule)   # a capsule is consumed once
    del capsule
    unused = t.__dlpack__(max_version=(1, 0))   # dropped unconsumed: its deleter runs
    del unused
    with pytest.raises(RuntimeError):
        ember.ones(1, requires_grad=True).__dlpack__()
    assert ember.from_dlpack(t.__dlpack__(copy=True)).tolist() == t.tolist()


@needs_dlpack
def test_dlpack_with_torch(torch):
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    e = ember.from_dlpack(t)
    e.mul_(2)
    assert t.tolist() == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]
    back = torch.from_dlpack(e)
    back[0, 0] = -1
    assert e[0, 0].item() == -1
    assert torch.from_dlpack(ember.tensor([True, False])).tolist() == [True, False]
    assert ember.from_dlpack(torch.tensor([1, 2])).dtype is ember.int64
