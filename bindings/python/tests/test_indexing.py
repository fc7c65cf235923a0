"""Indexing and slicing with torch's (numpy's) semantics, checked against numpy."""

import pytest

import ember

np = pytest.importorskip("numpy")

KEYS = [
    0, -1, 1, slice(None), slice(1, None), slice(None, -1), slice(0, 3, 2), slice(-2, None), slice(5, 9),
    (0, 1), (-1, -2, -3), (slice(None), 1), (Ellipsis, 2), (None, 0), (0, None, Ellipsis, None),
    (slice(0, 2), slice(1, 3), slice(None, None, 3)), (Ellipsis,), (Ellipsis, None), (1, Ellipsis, 0),
    ([0, 1],), ([1, 1, 0],), (slice(None), [0, 2]), ([0, 1], [1, 2]), ([1, 0], slice(None), [3, 0]),
    ([[0], [1]], [[1, 2]]), (0, [2, 0]), (slice(None), [0, 2], [1, 3]), (Ellipsis, [3, -1]), ([-1, 0],),
    (slice(None), [[0, 1], [2, 0]], 1), ([0, 1], 1, [2, 3]),
]


def _numpy_key(key):
    if not isinstance(key, tuple):
        return key
    return tuple(np.array(k) if isinstance(k, list) else k for k in key)


@pytest.mark.parametrize("key", KEYS, ids=[repr(k) for k in KEYS])
def test_getitem_matches_numpy(key):
    x = ember.arange(24).reshape(2, 3, 4)
    n = np.arange(24).reshape(2, 3, 4)
    got = x[key]
    want = n[_numpy_key(key)]
    assert tuple(got.shape) == want.shape
    assert got.tolist() == want.tolist()


def test_masks_and_index_tensors():
    x = ember.arange(24).reshape(2, 3, 4).float()
    n = np.arange(24).reshape(2, 3, 4).astype(np.float32)
    assert x[x > 10].tolist() == n[n > 10].tolist()
    assert x[x[:, :, 0] > 5].tolist() == n[n[:, :, 0] > 5].tolist()
    mask = ember.tensor([True, False, True, True])
    assert x[:, :, mask].tolist() == n[:, :, np.array([True, False, True, True])].tolist()
    assert x[ember.tensor([1, 0])].tolist() == n[[1, 0]].tolist()
    assert x[ember.tensor(1)].tolist() == n[1].tolist()
    assert x[ember.tensor(True)].shape == (1, 2, 3, 4)
    assert x[np.array([0, 1])].tolist() == n[[0, 1]].tolist()


def test_basic_indexing_gives_views():
    x = ember.zeros(3, 4)
    row = x[1]
    row.fill_(5)
    col = x[:, 2]
    col.add_(1)
    assert x.tolist()[1] == [5, 5, 6, 5] and x.tolist()[0] == [0, 0, 1, 0]
    assert x[...].shape == (3, 4)


def test_index_errors():
    x = ember.zeros(2, 3)
    with pytest.raises(IndexError):
        x[2]
    with pytest.raises(IndexError):
        x[0, 0, 0]
    with pytest.raises(IndexError):
        x[..., ...]
    with pytest.raises(ValueError):
        x[::-1]
    with pytest.raises(IndexError):
        x[ember.tensor([1.5])]
    with pytest.raises(IndexError):
        ember.tensor(1.0)[0]
    with pytest.raises(IndexError):
        x[ember.tensor([True, False, True])]
    with pytest.raises((IndexError, ember.InvalidArgumentError)):
        x[[0, 5]]
    with pytest.raises(IndexError):
        x[[0, 1], [0, 7]]


def test_setitem_matches_numpy():
    x = ember.arange(24).reshape(2, 3, 4).float()
    n = np.arange(24).reshape(2, 3, 4).astype(np.float32)
    for key, value in [((0, 1), 5.0), ((slice(None), 2), ember.tensor([1.0, 2.0, 3.0, 4.0])), (1, -1),
                       ((Ellipsis, 0), 7), (([0, 1], [2, 0]), ember.tensor([[8.0], [9.0]]))]:
        x[key] = value
        n[_numpy_key(key)] = value.numpy() if isinstance(value, ember.Tensor) else value
    x[x > 20] = 0
    n[n > 20] = 0
    x[x[:, 0, 0] > 5] = ember.ones(3, 4)
    n[n[:, 0, 0] > 5] = 1
    x[:, [0, 2], 1] = [[1.0, 2.0], [3.0, 4.0]]
    n[:, [0, 2], 1] = [[1.0, 2.0], [3.0, 4.0]]
    assert x.tolist() == n.tolist()


def test_setitem_through_autograd():
    w = ember.ones(3, requires_grad=True)
    y = w * 2
    y[1] = 0.0          # an in-place write into a tensor in the graph, recorded as torch records it
    y.sum().backward()
    assert w.grad.tolist() == [2.0, 0.0, 2.0]
    with pytest.raises(ember.StateError):
        w[0] = 5.0      # a leaf that requires grad refuses in-place writes, as in torch
    with ember.no_grad():
        w[0] = 5.0
    assert w.tolist() == [5.0, 1.0, 1.0]


def test_gradient_flows_through_indexing():
    x = ember.arange(12).reshape(3, 4).float().requires_grad_()
    (x[1:, ::2].sum() + x[[0, 0], [1, 1]].sum() * 10 + x[x > 10].sum() * 100).backward()
    assert x.grad.tolist() == [[0, 20, 0, 0], [1, 0, 1, 0], [1, 0, 1, 100]]
