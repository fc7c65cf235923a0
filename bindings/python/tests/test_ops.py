"""Every op as a function and a method, with torch's keywords, checked against numpy."""

import math

import pytest

import ember
from conftest import close

np = pytest.importorskip("numpy")

X = [[0.5, -1.25, 2.0], [3.0, 0.25, -0.75]]


def erf(v):
    return np.vectorize(math.erf)(v)


UNARY = {
    "neg": np.negative, "abs": np.abs, "sign": np.sign, "square": np.square, "exp": np.exp, "expm1": np.expm1,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh, "floor": np.floor, "ceil": np.ceil,
    "round": np.round, "relu": lambda v: np.maximum(v, 0), "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "erf": erf,
    "reciprocal": np.reciprocal,
}
POSITIVE = {"log": np.log, "log1p": np.log1p, "log2": np.log2, "sqrt": np.sqrt, "rsqrt": lambda v: 1 / np.sqrt(v)}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_function_and_method(name):
    x = ember.tensor(X)
    want = UNARY[name](np.array(X, dtype=np.float32))
    assert close(getattr(ember, name)(x), want, rtol=1e-5, atol=1e-6)
    assert close(getattr(x, name)(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_unary_on_positive_values(name):
    x = ember.tensor(X).abs() + 0.1
    want = POSITIVE[name](np.abs(np.array(X, dtype=np.float32)) + np.float32(0.1))
    assert close(getattr(ember, name)(x), want)
    assert close(getattr(x, name)(), want)


def test_aliases_and_special_unary():
    x = ember.tensor(X)
    assert close(ember.negative(x), -x) and close(ember.absolute(x), x.abs())
    assert close(ember.selu(x), np.where(np.array(X) > 0, 1.0507009873554805 * np.array(X),
                                         1.0507009873554805 * 1.6732632423543772 * (np.exp(X) - 1)))
    p = ember.tensor([0.2, 0.5, 0.9])
    assert close(ember.logit(p), np.log(np.array([0.2, 0.5, 0.9]) / (1 - np.array([0.2, 0.5, 0.9]))))
    assert close(p.logit(eps=0.3), np.log(np.array([0.3, 0.5, 0.7]) / (1 - np.array([0.3, 0.5, 0.7]))))
    assert ember.round(ember.tensor([1.234, 5.678]), decimals=1).tolist() == pytest.approx([1.2, 5.7])
    assert ember.isnan(ember.tensor([float("nan"), 1.0])).tolist() == [True, False]
    assert ember.isinf(ember.tensor([float("inf"), 1.0])).tolist() == [True, False]
    assert ember.isfinite(ember.tensor([float("inf"), 1.0, float("nan")])).tolist() == [False, True, False]
    assert ember.isfinite(ember.tensor([1, 2])).tolist() == [True, True]
    assert ember.logical_not(ember.tensor([0, 2])).tolist() == [True, False]


def test_binary_ops():
    a, b = ember.tensor([[1.0, -2.0, 3.0]]), ember.tensor([[2.0], [4.0]])
    na, nb = np.array([[1.0, -2.0, 3.0]]), np.array([[2.0], [4.0]])
    assert close(ember.add(a, b), na + nb) and close(a.add(b, alpha=2), na + 2 * nb) and close(ember.add(a, 1, alpha=3), na + 3)
    assert close(ember.sub(a, b, alpha=0.5), na - 0.5 * nb) and close(a.subtract(1), na - 1)
    assert close(ember.mul(a, b), na * nb) and close(a.multiply(2), na * 2)
    assert close(ember.div(a, b), na / nb) and close(a.divide(b), na / nb) and close(a.true_divide(2), na / 2)
    assert close(ember.div(a, b, rounding_mode="floor"), np.floor(na / nb))
    assert close(ember.div(a, 2, rounding_mode="trunc"), np.trunc(na / 2))
    assert close(ember.floor_divide(a, b), np.floor_divide(na, nb)) and close(ember.remainder(a, b), np.remainder(na, nb))
    assert close(ember.maximum(a, b), np.maximum(na, nb)) and close(ember.minimum(a, b), np.minimum(na, nb))
    assert close(ember.atan2(a, b), np.arctan2(na, nb)) and close(ember.arctan2(a, b), np.arctan2(na, nb))
    assert close(ember.pow(ember.abs(a), b), np.abs(na) ** nb) and close(ember.pow(2, a), 2.0 ** na)
    assert close(ember.pow(a, 2), na ** 2) and close(ember.float_power(a, 2), na ** 2)
    assert ember.float_power(a, 2).dtype is ember.float64
    assert close(ember.addcmul(a, a, b, value=2), na + 2 * na * nb) and close(ember.addcdiv(a, a, b, value=3), na + 3 * na / nb)
    assert close(ember.lerp(a, b, 0.25), na + 0.25 * (nb - na))
    assert close(ember.lerp(a, b, ember.full((1,), 0.5)), na + 0.5 * (nb - na))
    assert close(ember.clamp(a, -1, 2), np.clip(na, -1, 2)) and close(a.clamp(min=0), np.maximum(na, 0))
    assert close(a.clamp(max=0), np.minimum(na, 0)) and close(ember.clip(a, -1, 1), np.clip(na, -1, 1))
    assert close(ember.clamp(a, min=ember.zeros(3)), np.maximum(na, 0))
    assert close(ember.clamp_min(a, 0), np.maximum(na, 0)) and close(ember.clamp_max(a, 0), np.minimum(na, 0))
    with pytest.raises(ember.InvalidArgumentError):
        ember.clamp(a)
    cond = ember.tensor([True, False, True])
    assert ember.where(cond, a, b).tolist() == np.where([True, False, True], na, nb).tolist()
    assert ember.where(cond, 1.0, 0.0).tolist() == [1.0, 0.0, 1.0]
    assert a.where(cond, 0.0).tolist() == [[1.0, 0.0, 3.0]]
    assert [t.tolist() for t in ember.where(ember.tensor([[0, 1], [1, 0]]))] == [[0, 1], [1, 0]]
    assert a.masked_fill(cond, 9).tolist() == [[9.0, -2.0, 9.0]]
    assert a.masked_fill(cond, ember.tensor(7.0)).tolist() == [[7.0, -2.0, 7.0]]
    assert ember.equal(a, a.clone()) and not ember.equal(a, b) and ember.allclose(a, a + 1e-7)
    assert ember.isclose(a, a + 1).tolist() == [[False] * 3]
    assert ember.logical_and(cond, ~cond).tolist() == [False] * 3 and ember.logical_or(cond, ~cond).tolist() == [True] * 3
    assert ember.logical_xor(cond, cond).tolist() == [False] * 3
    assert ember.eq(a, 1.0).tolist() == [[True, False, False]] and a.ne(1.0).tolist() == [[False, True, True]]
    assert ember.greater(a, 0).tolist() == [[True, False, True]] and ember.less_equal(a, 1).tolist() == [[True, True, False]]


def test_reductions():
    x = ember.tensor(X)
    n = np.array(X, dtype=np.float32)
    assert close(x.sum(), n.sum()) and close(x.sum(dim=1), n.sum(1)) and close(x.sum(0, keepdim=True), n.sum(0, keepdims=True))
    assert close(ember.sum(x, (0, 1)), n.sum()) and x.sum(dtype=ember.float64).dtype is ember.float64
    assert close(x.mean(), n.mean()) and close(x.mean(1), n.mean(1)) and close(x.mean(dim=(0,), keepdim=True), n.mean(0, keepdims=True))
    assert close(x.prod(), n.prod()) and close(x.prod(1), n.prod(1))
    assert close(x.max(), n.max()) and close(x.min(), n.min())
    values, indices = x.max(dim=1)
    assert close(values, n.max(1)) and indices.tolist() == n.argmax(1).tolist()
    r = ember.min(x, 0, keepdim=True)
    assert close(r.values, n.min(0, keepdims=True)) and r.indices.tolist() == [n.argmin(0).tolist()]
    assert close(ember.max(x, ember.zeros(2, 3)), np.maximum(n, 0)) and close(ember.min(x, ember.zeros(2, 3)), np.minimum(n, 0))
    assert close(x.amax(), n.max()) and close(x.amax(1), n.max(1)) and close(x.amin(dim=(0, 1)), n.min())
    assert close(x.amax(keepdim=True), n.max(keepdims=True)) and close(x.amin(keepdim=True), n.min(keepdims=True))
    assert x.argmax().item() == n.argmax() and x.argmax(1).tolist() == n.argmax(1).tolist()
    assert x.argmin().item() == n.argmin() and x.argmin(dim=0, keepdim=True).tolist() == [n.argmin(0).tolist()]
    assert close(x.var(), n.var(ddof=1)) and close(x.var(1, unbiased=False), n.var(1))
    assert close(x.var(correction=0), n.var()) and close(ember.var(x, False), n.var())
    assert close(x.std(), n.std(ddof=1)) and close(x.std(dim=0, correction=0), n.std(0))
    v, m = ember.var_mean(x, 1)
    assert close(v, n.var(1, ddof=1)) and close(m, n.mean(1))
    s, m = ember.std_mean(x)
    assert close(s, n.std(ddof=1)) and close(m, n.mean())
    lse = np.log(np.exp(n).sum(1))
    assert close(x.logsumexp(1), lse) and close(ember.logsumexp(x), np.log(np.exp(n).sum()))
    assert close(x.norm(), np.sqrt((n ** 2).sum())) and close(x.norm(1, dim=1), np.abs(n).sum(1))
    assert close(ember.norm(x, float("inf")), np.abs(n).max()) and close(x.norm(p="fro"), np.linalg.norm(n))
    b = ember.tensor([[True, False], [True, True]])
    assert not b.all().item() and b.any().item() and b.all(1).tolist() == [False, True] and b.any(0).tolist() == [True, True]
    assert close(x.cumsum(1), n.cumsum(1)) and close(ember.cumprod(x, 0), n.cumprod(0))
    assert x.cumsum(0, dtype=ember.float64).dtype is ember.float64
    e = np.exp(n - n.max(1, keepdims=True))
    assert close(x.softmax(1), e / e.sum(1, keepdims=True)) and close(ember.softmax(x, dim=-1), e / e.sum(1, keepdims=True))
    assert close(x.log_softmax(1), np.log(e / e.sum(1, keepdims=True)), atol=1e-5)
    assert close(ember.softmax(ember.tensor([1.0, 2.0])), np.exp([1, 2]) / np.exp([1, 2]).sum())
    assert ember.count_nonzero(ember.tensor([0, 1, 2])).item() == 2


def test_linear_algebra():
    a = ember.arange(6).reshape(2, 3).float()
    b = ember.arange(12).reshape(3, 4).float()
    na, nb = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
    assert close(a @ b, na @ nb) and close(ember.matmul(a, b), na @ nb) and close(a.mm(b), na @ nb)
    assert close(ember.bmm(a.unsqueeze(0), b.unsqueeze(0)), (na @ nb)[None])
    v = ember.tensor([1.0, 2.0, 3.0])
    assert close(ember.mv(a, v), na @ np.array([1, 2, 3])) and close(v.dot(v), 14.0)
    assert close(ember.outer(v, v), np.outer([1, 2, 3], [1, 2, 3])) and close(v.ger(v), np.outer([1, 2, 3], [1, 2, 3]))
    assert close(ember.einsum("ij,jk->ik", a, b), na @ nb) and close(ember.einsum("ii", ember.eye(3)), 3.0)
    assert close(ember.einsum("i,i->", [v, v]), 14.0)
    m = ember.ones(3, 3)
    assert close(ember.tril(m), np.tril(np.ones((3, 3)))) and close(m.triu(1), np.triu(np.ones((3, 3)), 1))


def test_shape_ops():
    x = ember.arange(24).reshape(2, 3, 4)
    n = np.arange(24).reshape(2, 3, 4)
    assert x.reshape(4, 6).tolist() == n.reshape(4, 6).tolist() and ember.reshape(x, (-1,)).shape == (24,)
    assert x.view(6, 4).shape == (6, 4) and x.view(-1).shape == (24,) and x.view_as(ember.zeros(4, 6)).shape == (4, 6)
    assert x.reshape_as(ember.zeros(24)).shape == (24,)
    assert x.transpose(0, 2).tolist() == n.transpose(2, 1, 0).tolist() and x.swapaxes(0, 1).shape == (3, 2, 4)
    assert x.permute(2, 0, 1).tolist() == n.transpose(2, 0, 1).tolist() and ember.permute(x, (1, 0, 2)).shape == (3, 2, 4)
    assert ember.arange(6).reshape(2, 3).t().shape == (3, 2) and ember.arange(3).t().shape == (3,)
    assert x.T.shape == (4, 3, 2) and x.mT.shape == (2, 4, 3)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12) and x.ravel().shape == (24,)
    assert x.unflatten(2, (2, 2)).shape == (2, 3, 2, 2)
    y = ember.zeros(1, 3, 1)
    assert y.squeeze().shape == (3,) and y.squeeze(0).shape == (3, 1) and y.squeeze((0, 2)).shape == (3,)
    assert y.unsqueeze(0).shape == (1, 1, 3, 1) and y.unsqueeze(-1).shape == (1, 3, 1, 1)
    assert x.movedim(0, -1).shape == (3, 4, 2) and ember.moveaxis(x, (0, 1), (1, 0)).shape == (3, 2, 4)
    assert ember.ones(3, 1).expand(3, 4).shape == (3, 4) and ember.ones(1, 4).expand_as(ember.zeros(2, 4)).shape == (2, 4)
    assert ember.ones(3).broadcast_to((2, 3)).shape == (2, 3)
    assert ember.broadcast_shapes((2, 1), (1, 3)) == (2, 3)
    assert [t.shape for t in ember.broadcast_tensors(ember.ones(2, 1), ember.ones(3))] == [(2, 3), (2, 3)]
    assert x.narrow(2, 1, 2).tolist() == n[:, :, 1:3].tolist() and x.select(1, -1).tolist() == n[:, -1].tolist()
    idx = ember.tensor([2, 0])
    assert x.index_select(2, idx).tolist() == n[:, :, [2, 0]].tolist()
    g = ember.tensor([[0, 1], [1, 0]])
    src = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert src.gather(1, g).tolist() == [[1.0, 2.0], [4.0, 3.0]]
    assert ember.zeros(2, 2).scatter(1, g, src).tolist() == [[1.0, 2.0], [4.0, 3.0]]
    assert ember.zeros(2, 2).scatter(1, g, value=5.0).tolist() == [[5.0, 5.0], [5.0, 5.0]]
    assert ember.zeros(2, 2).scatter_add(0, ember.tensor([[0, 0]]), ember.ones(1, 2)).tolist() == [[1, 1], [0, 0]]
    assert ember.zeros(3).index_add(0, ember.tensor([0, 0, 2]), ember.ones(3), alpha=2).tolist() == [4.0, 0.0, 2.0]
    assert src.masked_select(src > 1.5).tolist() == [2.0, 3.0, 4.0]
    assert src.take_along_dim(g, 1).tolist() == [[1.0, 2.0], [4.0, 3.0]]
    assert ember.take_along_dim(src, ember.tensor([3, 0])).tolist() == [4.0, 1.0]
    assert ember.take(src, ember.tensor([[3, 0]])).tolist() == [[4.0, 1.0]]
    assert ember.cat([src, src]).shape == (4, 2) and ember.concat([src, src], 1).shape == (2, 4)
    assert ember.concatenate([src], dim=0).shape == (2, 2)
    assert ember.stack([src, src], dim=1).shape == (2, 2, 2)
    assert ember.hstack([src, src]).shape == (2, 4) and ember.vstack([ember.ones(3), ember.ones(3)]).shape == (2, 3)
    assert [t.tolist() for t in ember.arange(5).split(2)] == [[0, 1], [2, 3], [4]]
    assert [t.tolist() for t in ember.split(ember.arange(5), [1, 4])] == [[0], [1, 2, 3, 4]]
    assert [t.tolist() for t in ember.arange(5).chunk(2)] == [[0, 1, 2], [3, 4]]
    assert [t.tolist() for t in src.unbind(1)] == [[1.0, 3.0], [2.0, 4.0]]
    assert x.flip(0).tolist() == n[::-1].tolist() and ember.flip(x, (1, 2)).tolist() == n[:, ::-1, ::-1].tolist()
    assert ember.fliplr(src).tolist() == [[2.0, 1.0], [4.0, 3.0]] and ember.flipud(src).tolist() == [[3.0, 4.0], [1.0, 2.0]]
    assert ember.roll(ember.arange(4), 1).tolist() == [3, 0, 1, 2] and x.roll(1, 2).tolist() == np.roll(n, 1, 2).tolist()
    assert src.repeat(2, 1).shape == (4, 2) and src.tile(2).shape == (2, 4) and ember.tile(src, (2, 1, 1)).shape == (2, 2, 2)
    t = x.transpose(0, 1)
    assert t.contiguous().is_contiguous() and t.clone().tolist() == t.tolist()
    assert ember.nonzero(ember.tensor([[0, 1], [2, 0]])).tolist() == [[0, 1], [1, 0]]
    assert ember.argwhere(ember.tensor([0, 3])).tolist() == [[1]]


def test_random_ops():
    p = ember.full((1000,), 0.3)
    s = ember.bernoulli(p)
    assert set(s.tolist()) <= {0.0, 1.0} and 0.2 < s.mean().item() < 0.4
    assert ember.bernoulli(ember.zeros(10), 1.0).tolist() == [1.0] * 10
    m = ember.multinomial(ember.tensor([0.0, 1.0, 0.0]), 4, replacement=True)
    assert m.tolist() == [1, 1, 1, 1] and sorted(ember.tensor([1.0, 1.0]).multinomial(2).tolist()) == [0, 1]


def test_in_place_ops_return_self():
    x = ember.zeros(3)
    for op in (lambda t: t.add_(1), lambda t: t.sub_(ember.ones(3)), lambda t: t.mul_(2), lambda t: t.div_(2),
               lambda t: t.clamp_min_(0), lambda t: t.clamp_max_(1), lambda t: t.clip_(0, 1), lambda t: t.neg_(),
               lambda t: t.exp_(), lambda t: t.abs_(), lambda t: t.pow_(2), lambda t: t.sigmoid_(), lambda t: t.tanh_(),
               lambda t: t.scatter_(0, ember.tensor([0]), ember.tensor([5.0])),
               lambda t: t.scatter_add_(0, ember.tensor([1]), ember.tensor([1.0])),
               lambda t: t.index_add_(0, ember.tensor([2]), ember.tensor([1.0]))):
        assert op(x) is x
