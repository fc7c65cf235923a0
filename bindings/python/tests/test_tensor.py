"""Tensors: creation, metadata, values, operators, printing, copying."""

import copy
import pickle

import pytest

import ember
from conftest import needs_numpy


def test_tensor_infers_torchs_dtypes():
    assert ember.tensor([1, 2]).dtype is ember.int64
    assert ember.tensor([1, 2.5]).dtype is ember.float32
    assert ember.tensor([True, False]).dtype is ember.bool
    assert ember.tensor([True, 2]).dtype is ember.int64
    assert ember.tensor(3.0).shape == () and ember.tensor(3.0).ndim == 0
    assert ember.tensor([[1, 2], [3, 4]], dtype=ember.float64).dtype is ember.float64
    assert ember.tensor([]).shape == (0,) and ember.tensor([]).dtype is ember.float32
    assert ember.tensor([[1, 2], [3, 4]]).shape == ember.Size([2, 2])
    assert ember.tensor([ember.tensor(1.5), 2]).tolist() == [1.5, 2.0]
    with pytest.raises(ember.InvalidArgumentError):
        ember.tensor([[1, 2], [3]])
    assert ember.tensor([1, 2], dtype="float64").dtype is ember.float64
    assert ember.tensor([1, 2], dtype=float).dtype is ember.float32


def test_creation_functions():
    assert ember.zeros(2, 3).tolist() == [[0.0] * 3] * 2
    assert ember.zeros((2, 3)).shape == (2, 3) and ember.ones([4]).tolist() == [1.0] * 4
    assert ember.empty(2).shape == (2,)
    assert ember.full((2,), 7).dtype is ember.int64 and ember.full((2,), 7).tolist() == [7, 7]
    assert ember.full((2,), 0.5).dtype is ember.float32 and ember.full((1,), True).dtype is ember.bool
    assert ember.arange(5).tolist() == [0, 1, 2, 3, 4] and ember.arange(5).dtype is ember.int64
    assert ember.arange(1, 2, 0.5).tolist() == [1.0, 1.5]
    assert ember.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert ember.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]] and ember.eye(2, 3).shape == (2, 3)
    r = ember.rand(100)
    assert 0 <= r.min().item() and r.max().item() < 1
    assert ember.randn(3, 4, dtype=ember.float64).dtype is ember.float64
    i = ember.randint(3, 7, (50,))
    assert i.dtype is ember.int64 and 3 <= i.min().item() and i.max().item() < 7
    assert ember.randint(5, (2, 2)).shape == (2, 2)
    x = ember.ones(2, 3)
    for like in (ember.zeros_like, ember.ones_like, ember.rand_like, ember.randn_like, ember.empty_like):
        assert like(x).shape == (2, 3)
    assert ember.full_like(x, 3).tolist() == [[3.0] * 3] * 2
    assert ember.zeros_like(x, dtype=ember.int64).dtype is ember.int64
    assert ember.randint_like(x, 10).shape == (2, 3)
    assert ember.zeros(2, requires_grad=True).requires_grad
    with pytest.raises(ember.InvalidArgumentError):
        ember.zeros(2, device="cuda")
    assert ember.zeros(2, device="cpu").device == ember.device("cpu")


def test_manual_seed_repeats_random_numbers():
    ember.manual_seed(42)
    a = ember.randn(5).tolist()
    ember.manual_seed(42)
    assert ember.randn(5).tolist() == a


def test_metadata():
    x = ember.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24 and ember.numel(x) == 24 and x.nelement() == 24
    assert x.element_size() == 4 and x.is_floating_point() and x.is_contiguous()
    assert not x.transpose(0, 1).is_contiguous()
    assert repr(x.shape) == "ember.Size([2, 3, 4])" and x.shape.numel() == 24
    with pytest.raises(IndexError):
        x.size(5)
    assert x.device.type == "cpu" and x.cpu() is x and not x.is_cuda
    assert x.type() == "ember.FloatTensor" and ember.is_tensor(x)


def test_item_tolist_and_python_numbers():
    assert ember.tensor(2.5).item() == 2.5
    big = 2 ** 60 + 1
    assert ember.tensor([big]).item() == big
    assert ember.tensor(True).item() is True
    assert ember.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert ember.tensor([True]).tolist() == [True]
    assert ember.zeros(2, 0).tolist() == [[], []] and ember.zeros(0, 2).tolist() == []
    assert int(ember.tensor(3)) == 3 and float(ember.tensor(1.5)) == 1.5
    assert [10, 20, 30][ember.tensor(1)] == 20
    assert bool(ember.tensor([1.0])) and not bool(ember.tensor(0))
    with pytest.raises(RuntimeError):
        bool(ember.tensor([1, 2]))
    with pytest.raises(ember.ShapeError):
        ember.ones(2).item()
    assert f"{ember.tensor(0.123456):.2f}" == "0.12"
    assert len(ember.zeros(5, 2)) == 5
    with pytest.raises(TypeError):
        len(ember.tensor(1.0))
    assert [row.tolist() for row in ember.tensor([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]


def test_conversions():
    x = ember.tensor([1.7, -2.2])
    assert x.long().tolist() == [1, -2] and x.int().dtype is ember.int64
    assert x.double().dtype is ember.float64 and x.float() is x
    assert x.to(ember.float64).dtype is ember.float64 and x.to("cpu") is x
    assert x.to(ember.tensor([1])).dtype is ember.int64 and x.to(dtype=ember.bool).tolist() == [True, True]
    assert x.type(ember.int64).dtype is ember.int64 and x.type_as(ember.zeros(1, dtype=ember.float64)).dtype is ember.float64
    assert x.to(ember.float32, copy=True) is not x
    assert x.new_zeros(2).dtype is ember.float32 and x.new_ones((1, 2)).shape == (1, 2)
    assert x.new_full((2,), 3).tolist() == [3.0, 3.0] and x.new_tensor([1, 2]).dtype is ember.float32
    assert x.new_empty(3).shape == (3,)
    assert ember.as_tensor(x) is x and ember.as_tensor([1, 2]).tolist() == [1, 2]
    with pytest.raises(ember.InvalidArgumentError):
        x.to("cuda")


def test_arithmetic_operators_and_reflected_scalars():
    a = ember.tensor([1.0, 2.0, 4.0])
    b = ember.tensor([2.0, 2.0, 2.0])
    assert (a + b).tolist() == [3, 4, 6] and (a - b).tolist() == [-1, 0, 2]
    assert (a * b).tolist() == [2, 4, 8] and (a / b).tolist() == [0.5, 1, 2]
    assert (a ** 2).tolist() == [1, 4, 16] and (a ** b).tolist() == [1, 4, 16]
    assert (a + 1).tolist() == [2, 3, 5] and (1 + a).tolist() == [2, 3, 5]
    assert (10 - a).tolist() == [9, 8, 6] and (a - 1).tolist() == [0, 1, 3]
    assert (2 * a).tolist() == [2, 4, 8] and (8 / a).tolist() == [8, 4, 2]
    assert (2 ** a).tolist() == [2, 4, 16] and (-a).tolist() == [-1, -2, -4] and (+a) is a
    assert abs(ember.tensor([-1.5])).tolist() == [1.5]
    assert (ember.tensor([7, -7]) // 2).tolist() == [3, -4] and (ember.tensor([7, -7]) % 3).tolist() == [1, 2]
    assert (7 // ember.tensor([2, 3])).tolist() == [3, 2] and (7 % ember.tensor([2, 3])).tolist() == [1, 1]
    m = ember.ones(2, 3)
    assert (m @ ember.ones(3, 4)).shape == (2, 4)
    assert sum([a, a, a]).tolist() == [3, 6, 12]
    i = ember.tensor([1, 2])
    assert (i + 1).dtype is ember.int64 and (i + 0.5).dtype is ember.float32 and (i / 2).dtype is ember.float32
    assert (2.5 - i).dtype is ember.float32 and (3 - i).dtype is ember.int64
    d = ember.tensor([1.0], dtype=ember.float64)
    assert (d + 1).dtype is ember.float64 and (1.5 - d).dtype is ember.float64
    assert (ember.tensor([1]) + 2 ** 60).tolist() == [2 ** 60 + 1]


def test_comparisons_and_logical_operators():
    a = ember.tensor([1, 2, 3])
    assert (a == 2).tolist() == [False, True, False] and (a != 2).tolist() == [True, False, True]
    assert (a < 2).tolist() == [True, False, False] and (a <= 2).tolist() == [True, True, False]
    assert (a > 2).tolist() == [False, False, True] and (a >= 2).tolist() == [False, True, True]
    assert (2 < a).tolist() == [False, False, True]
    assert (a == a).all().item()
    m, n = a > 1, a < 3
    assert (m & n).tolist() == [False, True, False] and (m | n).tolist() == [True] * 3
    assert (m ^ n).tolist() == [True, False, True] and (~m).tolist() == [True, False, False]
    with pytest.raises(ember.DTypeError):
        a & a
    assert (a == None) is False  # noqa: E711 - torch's behaviour
    assert hash(a) == id(a) and {a: 1}[a] == 1


def test_in_place_operators_use_embers_in_place_ops():
    x = ember.tensor([1.0, 2.0])
    same = x
    x += 1
    x *= 3
    x -= ember.tensor([1.0, 1.0])
    x /= 2
    assert x is same and x.tolist() == [2.5, 4.0]
    y = x.view(2)
    x.add_(ember.ones(2), alpha=2).sub_(1).mul_(2).div_(ember.tensor([1.0, 2.0]))
    assert y.tolist() == x.tolist() == [7.0, 5.0]
    x.zero_().fill_(3)
    assert x.tolist() == [3.0, 3.0]
    x.clamp_(max=2).clamp_(min=2.5)
    assert x.tolist() == [2.5, 2.5]
    x.copy_(ember.tensor([1, 2]))
    assert x.tolist() == [1.0, 2.0]
    w = ember.ones(2, requires_grad=True)
    with pytest.raises(ember.StateError):
        w += 1
    with ember.no_grad():
        w += 1
    assert w.tolist() == [2.0, 2.0]
    u = ember.zeros(1000).uniform_(2, 3)
    assert 2 <= u.min().item() and u.max().item() < 3
    n = ember.zeros(1000).normal_(5, 0.1)
    assert abs(n.mean().item() - 5) < 0.05
    z = ember.tensor([-1.0, 4.0])
    assert z.relu_().tolist() == [0.0, 4.0] and z.sqrt_().tolist() == [0.0, 2.0]
    z.masked_fill_(z > 1, 9)
    assert z.tolist() == [0.0, 9.0]


def test_repr_matches_torchs_format():
    assert repr(ember.tensor([1.0, 2.0, 3.0])) == "tensor([1., 2., 3.])"
    assert repr(ember.tensor([0.5, 1.25])) == "tensor([0.5000, 1.2500])"
    assert repr(ember.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ember.tensor(3.5)) == "tensor(3.5000)"
    assert repr(ember.tensor([True, False])) == "tensor([ True, False])"
    assert repr(ember.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(ember.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(ember.tensor([1.0], dtype=ember.float64)) == "tensor([1.], dtype=ember.float64)"
    assert repr(ember.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"
    assert repr(ember.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    assert "..." in repr(ember.arange(2000))
    assert str(ember.tensor([float("inf"), float("nan"), 1.0])) == "tensor([inf, nan, 1.])"
    assert repr(ember.nn.Parameter(ember.ones(1))) == "Parameter containing:\ntensor([1.], requires_grad=True)"


def test_pickle_and_deepcopy():
    x = ember.tensor([[1.0, 2.0]], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == x.tolist() and y.requires_grad and y.is_leaf
    z = copy.deepcopy(x)
    assert z.tolist() == x.tolist() and z is not x
    p = copy.deepcopy(ember.nn.Parameter(ember.ones(2)))
    assert isinstance(p, ember.nn.Parameter) and p.requires_grad
    b = pickle.loads(pickle.dumps(ember.tensor([True, False])))
    assert b.tolist() == [True, False]


def test_data_and_detach_share_storage():
    x = ember.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d.add_(1)
    assert x.tolist() == [2.0, 2.0, 2.0]
    x.data.mul_(2)
    assert x.tolist() == [4.0, 4.0, 4.0]
    x.data = ember.zeros(3)
    assert x.tolist() == [0.0, 0.0, 0.0] and x.requires_grad


@needs_numpy
def test_numpy_round_trip_and_sharing():
    import numpy as np
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ember.from_numpy(a)
    assert t.tolist() == a.tolist() and t.dtype is ember.float32
    for dt in ("float64", "int64", "bool"):
        assert ember.from_numpy(np.zeros(3, dtype=dt)).dtype.name == dt
    with pytest.raises(TypeError):
        ember.from_numpy(np.zeros(2, dtype=np.int32))
    assert ember.tensor(np.zeros(2, dtype=np.int32)).dtype is ember.int64
    n = ember.tensor([[1.0, 2.0]]).numpy()
    assert n.dtype == np.float32 and n.tolist() == [[1.0, 2.0]]
    assert np.asarray(ember.tensor([1, 2])).dtype == np.int64
    with pytest.raises(ember.StateError):
        ember.ones(2, requires_grad=True).numpy()
    assert ember.ones(2, requires_grad=True).detach().numpy().tolist() == [1.0, 1.0]
    assert ember.tensor(a[:, ::2]).tolist() == a[:, ::2].tolist()
    # copy_ from a numpy array writes straight from its memory
    target = ember.zeros(2, 3)
    target.copy_(a)
    assert target.tolist() == a.tolist()


@needs_numpy
def test_numpy_scalars_defer_to_tensor_operators():
    import numpy as np
    t = ember.tensor([1.0, 2.0])
    assert isinstance(np.float64(2) * t, ember.Tensor) and (np.float32(3) + t).tolist() == [4.0, 5.0]
    assert (t * np.int64(2)).tolist() == [2.0, 4.0] and 2.0 in t and 5 not in t


def test_tensor_constructor():
    assert ember.Tensor([1, 2]).dtype is ember.float32
    assert ember.Tensor(2, 3).shape == (2, 3)
