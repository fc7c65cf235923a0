"""Autograd from Python: backward, grad, grad mode, hooks, custom Functions, anomaly detection."""

import threading

import pytest

import ember
from ember.autograd import Function


def test_backward_accumulates_and_graph_is_freed():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    assert x.is_leaf and x.requires_grad and x.grad is None
    y = (x * x).sum()
    assert not y.is_leaf and y.requires_grad
    y.backward()
    assert x.grad.tolist() == [2.0, 4.0]
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    with pytest.raises(ember.StateError):
        y.backward()
    x.grad = None
    assert x.grad is None
    x.grad = ember.tensor([1.0, 1.0])
    assert x.grad.tolist() == [1.0, 1.0]
    x.zero_grad_()
    assert x.grad is None


def test_backward_with_gradient_retain_and_create_graph():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x ** 3
    y.backward(ember.ones(3), retain_graph=True)
    y.backward(gradient=ember.ones(3))
    assert x.grad.tolist() == [6.0, 24.0, 54.0]
    with pytest.raises(ember.ShapeError):
        (x * 2).backward()
    z = ember.tensor(2.0, requires_grad=True)
    (g,) = ember.autograd.grad(z ** 3, z, create_graph=True)
    assert g.item() == 12.0
    (g2,) = ember.autograd.grad(g, z)
    assert g2.item() == 12.0  # d2/dz2 z^3 = 6z
    w = ember.tensor(1.0, requires_grad=True)
    (w * w).backward(create_graph=True)
    assert w.grad.requires_grad


def test_autograd_backward_and_grad():
    a = ember.tensor(2.0, requires_grad=True)
    b = ember.tensor(3.0, requires_grad=True)
    ember.autograd.backward([a * b, a + b])
    assert a.grad.item() == 4.0 and b.grad.item() == 3.0
    ember.autograd.backward(a * 2, grad_tensors=ember.tensor(10.0))
    assert a.grad.item() == 24.0
    ga, gb = ember.autograd.grad([a * b], [a, b], grad_outputs=[ember.tensor(2.0)])
    assert ga.item() == 6.0 and gb.item() == 4.0
    c = ember.tensor(1.0, requires_grad=True)
    with pytest.raises(ember.StateError):
        ember.autograd.grad(a * 2, [a, c])
    assert ember.autograd.grad(a * 2, [a, c], allow_unused=True)[1] is None
    with pytest.raises(ember.InvalidArgumentError):
        ember.autograd.backward([a * 2], grad_tensors=[ember.tensor(1.0), ember.tensor(1.0)])


def test_no_grad_enable_grad_set_grad_enabled():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        assert not (x * 2).requires_grad
        with ember.enable_grad():
            assert (x * 2).requires_grad
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()

    @ember.no_grad()
    def frozen():
        return x * 2

    @ember.no_grad
    def frozen_class():
        return x * 2

    assert not frozen().requires_grad and ember.is_grad_enabled()
    assert not frozen_class().requires_grad
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)
    with ember.set_grad_enabled(False):
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()

    @ember.set_grad_enabled(False)
    def also_frozen():
        return ember.is_grad_enabled()

    assert ember.is_grad_enabled() and also_frozen() is False
    with ember.inference_mode():
        assert not (x * 2).requires_grad
    # grad mode is per thread
    seen = []
    with ember.no_grad():
        t = threading.Thread(target=lambda: seen.append(ember.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_requires_grad_rules():
    x = ember.zeros(2)
    assert not x.requires_grad
    x.requires_grad = True
    assert x.requires_grad
    assert x.requires_grad_(False) is x and not x.requires_grad
    y = ember.ones(2, requires_grad=True) * 2
    with pytest.raises(ember.StateError):
        y.requires_grad_(False)
    d = y.detach()
    assert not d.requires_grad and d.is_leaf


def test_hooks_see_and_replace_gradients():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()))
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]] and x.grad.tolist() == [3.0, 3.0]
    handle.remove()
    handle.remove()
    x.grad = None
    x.register_hook(lambda g: g * 0 + 1)
    (x * 3).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and len(seen) == 1
    y = ember.tensor([1.0], requires_grad=True)
    y.register_hook(lambda g: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        (y * 2).sum().backward()
    z = ember.tensor([1.0], requires_grad=True)
    z.register_hook(lambda g: "not a tensor")
    with pytest.raises(TypeError):
        (z * 2).sum().backward()
    with pytest.raises(ember.StateError):
        ember.ones(1).register_hook(lambda g: None)


class Cube(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x ** 3 * scale

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2 * ctx.scale, None


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)   # saving the output, as torch's docs do
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class Square(Function):
    """torch's newer style: forward without ctx, then setup_context."""

    @staticmethod
    def forward(x):
        return x * x

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x * grad


def test_custom_functions():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x, 2.0)
    assert y.tolist() == [2.0, 16.0] and y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 24.0]
    x.grad = None
    Exp.apply(x).sum().backward()
    assert x.grad.tolist() == pytest.approx([2.718281828, 7.389056099], rel=1e-6)
    x.grad = None
    Square.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    with ember.no_grad():
        assert not Cube.apply(x, 1.0).requires_grad


def test_custom_function_errors_are_python_exceptions():
    class BadForward(Function):
        @staticmethod
        def forward(ctx, x):
            return [x]

        @staticmethod
        def backward(ctx, grad):
            return grad

    class WrongCount(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    x = ember.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="one Tensor"):
        BadForward.apply(x)
    y = WrongCount.apply(x).sum()
    with pytest.raises(ember.InvalidArgumentError, match="expected 1"):
        y.backward()


def test_anomaly_detection():
    assert not ember.autograd.is_anomaly_enabled()
    x = ember.tensor([0.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        assert ember.autograd.is_anomaly_enabled()
        with pytest.raises(ember.StateError, match="Backward"):
            x.sqrt().sum().backward()
    assert not ember.autograd.is_anomaly_enabled()
    with ember.autograd.set_detect_anomaly(True):
        assert ember.autograd.is_anomaly_enabled()
    assert not ember.autograd.is_anomaly_enabled()


def test_deep_graph_backward():
    x = ember.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(2000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
