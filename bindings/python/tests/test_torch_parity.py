"""Parity with PyTorch: the same seed gives the same numbers, and the same
code gives the same results. Skipped where torch is not importable."""

import os
import re
import subprocess
import sys

import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF
from conftest import PACKAGE_ROOT, REPO, close, needs_io

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402


def to_torch(t):
    return torch.from_numpy(t.detach().numpy().copy())


def to_ember(t):
    return ember.tensor(t.detach().numpy())


def same_seed(seed=0):
    ember.manual_seed(seed)
    torch.manual_seed(seed)


def test_random_tensors_match():
    same_seed(1)
    assert close(ember.randn(3, 17), torch.randn(3, 17), rtol=0, atol=0)
    assert close(ember.rand(40), torch.rand(40), rtol=0, atol=0)
    assert ember.randint(0, 100, (20,)).tolist() == torch.randint(0, 100, (20,)).tolist()
    assert close(ember.randn(5, dtype=ember.float64), torch.randn(5, dtype=torch.float64), rtol=0, atol=0)
    p = torch.full((50,), 0.3)
    assert close(ember.bernoulli(ember.full((50,), 0.3)), torch.bernoulli(p), rtol=0, atol=0)
    assert close(EF.dropout(ember.ones(100), 0.3), TF.dropout(torch.ones(100), 0.3), rtol=0, atol=0)
    assert close(ember.zeros(30).normal_(), torch.zeros(30).normal_(), rtol=0, atol=0)


UNARY = ["neg", "abs", "exp", "expm1", "sin", "cos", "tan", "tanh", "sigmoid", "erf", "relu", "square", "sign",
         "floor", "ceil", "round", "reciprocal"]
POSITIVE = ["log", "log1p", "log2", "sqrt", "rsqrt"]
ACTIVATIONS = [("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}), ("elu", {"alpha": 0.7}),
               ("selu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("softplus", {"beta": 2.0}),
               ("hardtanh", {"min_val": -0.5, "max_val": 0.5}), ("relu6", {}), ("logsigmoid", {})]


def _grad_pair(ember_fn, torch_fn, *arrays, positive=False):
    """Forward values and input gradients of both libraries on the same float64 inputs."""
    rng = np.random.default_rng(0)
    raw = [rng.standard_normal(a) for a in arrays]
    if positive:
        raw = [np.abs(r) + 0.5 for r in raw]
    e_in = [ember.tensor(r, dtype=ember.float64, requires_grad=True) for r in raw]
    t_in = [torch.tensor(r, requires_grad=True) for r in raw]
    e_out, t_out = ember_fn(*e_in), torch_fn(*t_in)
    weights = rng.standard_normal(tuple(t_out.shape))
    (e_out * ember.tensor(weights, dtype=ember.float64)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    assert close(e_out, t_out, rtol=1e-10, atol=1e-12)
    for e, t in zip(e_in, t_in):
        if t.grad is None:
            assert e.grad is None
        else:
            assert close(e.grad, t.grad, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", UNARY + POSITIVE)
def test_unary_values_and_gradients(name):
    _grad_pair(getattr(ember, name), getattr(torch, name), (3, 4), positive=name in POSITIVE)


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS, ids=[f"{n}{k}" for n, k in ACTIVATIONS])
def test_activations(name, kwargs):
    _grad_pair(lambda x: getattr(EF, name)(x, **kwargs), lambda x: getattr(TF, name)(x, **kwargs), (4, 5))


BINARY = [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("matmul", lambda a, b: a @ b.transpose(0, 1)),
    ("maximum", lambda a, b: a.maximum(b) if hasattr(a, "maximum") else None),
    ("atan2", lambda a, b: a.atan2(b)), ("rsub", lambda a, b: 2 - a * b), ("rdiv", lambda a, b: 3 / (a * a + 1)),
    ("pow", lambda a, b: (a * a + 1) ** b), ("scalar", lambda a, b: (a + 2) * 3 - b / 4),
]


@pytest.mark.parametrize("name,fn", BINARY, ids=[n for n, _ in BINARY])
def test_binary_values_and_gradients(name, fn):
    _grad_pair(fn, fn, (3, 4), (3, 4))


REDUCTIONS = [
    ("sum", lambda x: x.sum(dim=1)), ("mean", lambda x: x.mean(dim=(0, 1), keepdim=True)),
    ("prod", lambda x: x.prod(1)), ("amax", lambda x: x.amax(1)), ("max", lambda x: x.max(1)[0]),
    ("var", lambda x: x.var(1)), ("std", lambda x: x.std()), ("logsumexp", lambda x: x.logsumexp(1)),
    ("norm", lambda x: x.norm(dim=1)), ("cumsum", lambda x: x.cumsum(1)), ("cumprod", lambda x: x.cumprod(0)),
    ("softmax", lambda x: x.softmax(1)), ("log_softmax", lambda x: x.log_softmax(0)),
]


@pytest.mark.parametrize("name,fn", REDUCTIONS, ids=[n for n, _ in REDUCTIONS])
def test_reductions_values_and_gradients(name, fn):
    _grad_pair(fn, fn, (3, 5))


SHAPES = [
    ("reshape", lambda x: x.reshape(4, 6)), ("transpose", lambda x: x.transpose(0, 2)),
    ("permute", lambda x: x.permute(2, 0, 1)), ("index", lambda x: x[1, :, ::2]),
    ("advanced", lambda x: x[[1, 0, 1], :, [3, 2, 0]]), ("flip", lambda x: x.flip(1)),
    ("roll", lambda x: x.roll(1, 2)), ("repeat", lambda x: x.repeat(1, 2, 1)),
    ("cat", lambda x: torch.cat([x, x * 2], 1) if isinstance(x, torch.Tensor) else ember.cat([x, x * 2], 1)),
    ("gather", lambda x: x.gather(2, (torch if isinstance(x, torch.Tensor) else ember).tensor([[[0, 3], [1, 1], [2, 0]]] * 2))),
    ("unfold-ish", lambda x: x.flatten(1).unflatten(1, (6, 2))), ("tril", lambda x: x.tril(1)),
    ("pad", lambda x: (TF if isinstance(x, torch.Tensor) else EF).pad(x, (1, 2), mode="replicate")),
    ("einsum", lambda x: (torch if isinstance(x, torch.Tensor) else ember).einsum("abc,abd->cd", x, x)),
]


@pytest.mark.parametrize("name,fn", SHAPES, ids=[n for n, _ in SHAPES])
def test_shape_ops_values_and_gradients(name, fn):
    _grad_pair(fn, fn, (2, 3, 4))


def test_losses_match():
    same_seed(2)
    logits = torch.randn(6, 4, dtype=torch.float64)
    target = torch.tensor([0, 3, 1, 1, 2, 0])
    w = torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)
    el, et, ew = to_ember(logits), ember.tensor(target.tolist()), to_ember(w)
    assert close(EF.cross_entropy(el, et), TF.cross_entropy(logits, target), rtol=1e-10)
    assert close(EF.cross_entropy(el, et, weight=ew, label_smoothing=0.2, reduction="sum"),
                 TF.cross_entropy(logits, target, weight=w, label_smoothing=0.2, reduction="sum"), rtol=1e-10)
    assert close(EF.cross_entropy(el, et, ignore_index=1, reduction="none"),
                 TF.cross_entropy(logits, target, ignore_index=1, reduction="none"), rtol=1e-10)
    a, b = torch.randn(5, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    ea, eb = to_ember(a), to_ember(b)
    assert close(EF.smooth_l1_loss(ea, eb, beta=0.5), TF.smooth_l1_loss(a, b, beta=0.5), rtol=1e-10)
    assert close(EF.huber_loss(ea, eb, delta=0.3), TF.huber_loss(a, b, delta=0.3), rtol=1e-10)
    t = (b > 0).double()
    assert close(EF.binary_cross_entropy_with_logits(ea, to_ember(t), pos_weight=ember.full((5,), 2.0, dtype=ember.float64)),
                 TF.binary_cross_entropy_with_logits(a, t, pos_weight=torch.full((5,), 2.0, dtype=torch.float64)),
                 rtol=1e-10)
    assert close(EF.kl_div(ea.log_softmax(0), eb.softmax(0), reduction="batchmean"),
                 TF.kl_div(a.log_softmax(0), b.softmax(0), reduction="batchmean"), rtol=1e-10)


LAYERS = [
    ("Linear", (10, 5), {}, (3, 10)),
    ("Conv1d", (3, 4, 3), {"padding": 1, "stride": 2}, (2, 3, 9)),
    ("Conv2d", (3, 4, 3), {"padding": "same", "groups": 1}, (2, 3, 6, 6)),
    ("ConvTranspose2d", (3, 2, 3), {"stride": 2, "output_padding": 1}, (2, 3, 4, 4)),
    ("BatchNorm2d", (3,), {}, (4, 3, 5, 5)),
    ("BatchNorm1d", (3,), {"momentum": None}, (4, 3)),
    ("GroupNorm", (2, 4), {}, (2, 4, 3, 3)),
    ("LayerNorm", ((3, 4),), {}, (2, 3, 4)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1}, (1, 2, 7, 7)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (1, 2, 7, 7)),
    ("AdaptiveAvgPool2d", ((2, 3),), {}, (1, 2, 7, 7)),
    ("Upsample", (), {"scale_factor": 2.0, "mode": "bilinear"}, (1, 2, 3, 3)),
    ("Flatten", (), {}, (2, 3, 4)),
    ("Softmax", (), {"dim": 1}, (2, 5)),
    ("GELU", (), {}, (2, 5)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", LAYERS, ids=[l[0] for l in LAYERS])
def test_layers_initialise_and_compute_as_torch(name, args, kwargs, shape):
    same_seed(3)
    em, tm = getattr(enn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)
    assert repr(em) == repr(tm) or name.startswith("BatchNorm")   # Ember's BatchNorm repr adds bias=True
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert list(em.state_dict()) == list(tm.state_dict())
    for (_, pe), (_, pt) in zip(em.named_parameters(), tm.named_parameters()):
        assert close(pe, pt, rtol=0, atol=0)
    x = torch.randn(*shape)
    xe = to_ember(x).requires_grad_()
    xt = x.clone().requires_grad_()
    ye, yt = em(xe), tm(xt)
    assert close(ye, yt, rtol=1e-5, atol=1e-6)
    ye.sum().backward()
    yt.sum().backward()
    assert close(xe.grad, xt.grad, rtol=1e-4, atol=1e-5)
    for (_, pe), (_, pt) in zip(em.named_parameters(), tm.named_parameters()):
        assert close(pe.grad, pt.grad, rtol=1e-4, atol=1e-5)
    for (_, be), (_, bt) in zip(em.named_buffers(), tm.named_buffers()):
        assert close(be, bt, rtol=1e-5, atol=1e-6)


def test_sequence_layers_match():
    same_seed(4)
    emb_e, emb_t = enn.Embedding(10, 4, padding_idx=2), tnn.Embedding(10, 4, padding_idx=2)
    idx = [[1, 2, 9]]
    assert close(emb_e(ember.tensor(idx)), emb_t(torch.tensor(idx)), rtol=0, atol=0)
    for cls, kwargs in (("RNN", {"nonlinearity": "relu"}), ("GRU", {"bidirectional": True}),
                        ("LSTM", {"num_layers": 2, "batch_first": True})):
        same_seed(4)
        e, t = getattr(enn, cls)(4, 6, **kwargs), getattr(tnn, cls)(4, 6, **kwargs)
        assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
        x = torch.randn(3, 5, 4)
        ye, yt = e(to_ember(x)), t(x)
        assert close(ye[0], yt[0], rtol=1e-4, atol=1e-5)
    same_seed(4)
    mha_e, mha_t = enn.MultiheadAttention(8, 2, batch_first=True), tnn.MultiheadAttention(8, 2, batch_first=True)
    q = torch.randn(2, 5, 8)
    mask = tnn.Transformer.generate_square_subsequent_mask(5)
    assert close(enn.Transformer.generate_square_subsequent_mask(5), mask, rtol=0, atol=0)
    for kwargs in ({}, {"average_attn_weights": False}, {"attn_mask": mask}):
        ekw = {k: (to_ember(v) if isinstance(v, torch.Tensor) else v) for k, v in kwargs.items()}
        (oe, we), (ot, wt) = mha_e(to_ember(q), to_ember(q), to_ember(q), **ekw), mha_t(q, q, q, **kwargs)
        assert close(oe, ot, rtol=1e-4, atol=1e-5) and close(we, wt, rtol=1e-4, atol=1e-5)


@needs_io
def test_transformer_encoder_copies_its_layer_as_torch_does():
    same_seed(5)
    le = enn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=True)
    lt = tnn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=True)
    ee, et = enn.TransformerEncoder(le, 2), tnn.TransformerEncoder(lt, 2, enable_nested_tensor=False)
    assert list(ee.state_dict()) == list(et.state_dict())
    for (n, pe), (_, pt) in zip(ee.state_dict().items(), et.state_dict().items()):
        assert close(pe, pt, rtol=0, atol=0), n
    xe, xt = ember.randn(2, 5, 8), torch.randn(2, 5, 8)   # the generators are still in step
    assert close(xe, xt, rtol=0, atol=0)
    assert close(ee(xe), et(xt), rtol=1e-4, atol=1e-5)


def test_model_subclass_and_state_dict_interchange():
    class TNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = tnn.Linear(10, 5), tnn.Linear(5, 2)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))

    class ENet(enn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = enn.Linear(10, 5), enn.Linear(5, 2)

        def forward(self, x):
            return self.fc2(ember.relu(self.fc1(x)))

    same_seed(6)
    e, t = ENet(), TNet()
    assert repr(e).replace("ENet", "Net") == repr(t).replace("TNet", "Net")
    ember.manual_seed(99)
    e2 = ENet()
    e2.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})
    x = torch.randn(4, 10)
    assert close(e(to_ember(x)), t(x), rtol=1e-6) and close(e2(to_ember(x)), t(x), rtol=1e-6)
    t.load_state_dict({k: to_torch(v) for k, v in e.state_dict().items()})


OPTIMIZERS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "betas": (0.8, 0.99)}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("Adadelta", {"lr": 1.0, "rho": 0.8}),
    ("Adamax", {"lr": 0.02}),
    ("NAdam", {"lr": 0.02, "momentum_decay": 0.01}),
    ("RAdam", {"lr": 0.02, "decoupled_weight_decay": True, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_optimizer_trajectories_match(name, kwargs):
    same_seed(7)
    start = torch.randn(5, dtype=torch.float64)
    pt = torch.nn.Parameter(start.clone())
    pe = enn.Parameter(to_ember(start))
    ot, oe = getattr(torch.optim, name)([pt], **kwargs), getattr(ember.optim, name)([pe], **kwargs)
    for step in range(15):
        for opt, p, lib in ((ot, pt, torch), (oe, pe, ember)):
            opt.zero_grad()
            loss = (p ** 4).sum() + (p * p).sum() * step
            loss.backward()
            opt.step()
        assert close(pe, pt, rtol=1e-10, atol=1e-12), step
    # torch's state dict loads into ember (tensors through numpy) and both continue alike
    sd = ot.state_dict()
    converted = {"state": {i: {k: (to_ember(v) if isinstance(v, torch.Tensor) else v) for k, v in s.items()}
                           for i, s in sd["state"].items()},
                 "param_groups": sd["param_groups"]}
    pe2 = enn.Parameter(to_ember(pt))
    oe2 = getattr(ember.optim, name)([pe2], lr=123.0)
    oe2.load_state_dict(converted)
    for opt, p in ((ot, pt), (oe2, pe2)):
        opt.zero_grad()
        (p ** 4).sum().backward()
        opt.step()
    assert close(pe2, pt, rtol=1e-10, atol=1e-12)


def test_lbfgs_matches():
    same_seed(8)
    start = torch.randn(4, dtype=torch.float64)
    pt, pe = torch.nn.Parameter(start.clone()), enn.Parameter(to_ember(start))
    ot = torch.optim.LBFGS([pt], lr=1, max_iter=10, line_search_fn="strong_wolfe")
    oe = ember.optim.LBFGS([pe], lr=1, max_iter=10, line_search_fn="strong_wolfe")

    def closure(opt, p):
        def run():
            opt.zero_grad()
            loss = ((p - 1) ** 4).sum() + (p * p).sum()
            loss.backward()
            return loss
        return run

    for _ in range(3):
        lt, le = ot.step(closure(ot, pt)), oe.step(closure(oe, pe))
        assert abs(lt.item() - le.item()) < 1e-9
    assert close(pe, pt, rtol=1e-8, atol=1e-10)


SCHEDULERS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}), ("MultiStepLR", {"milestones": [2, 5, 5], "gamma": 0.3}),
    ("ConstantLR", {"factor": 0.25, "total_iters": 3}), ("LinearLR", {"start_factor": 0.1, "total_iters": 4}),
    ("ExponentialLR", {"gamma": 0.9}), ("PolynomialLR", {"total_iters": 6, "power": 2.0}),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.01}), ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 12, "anneal_strategy": "linear", "three_phase": True}),
]


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[n for n, _ in SCHEDULERS])
def test_scheduler_rates_match(name, kwargs):
    pt, pe = torch.nn.Parameter(torch.ones(1)), enn.Parameter(ember.ones(1))
    ot, oe = torch.optim.SGD([pt], lr=0.1, momentum=0.9), ember.optim.SGD([pe], lr=0.1, momentum=0.9)
    st = getattr(torch.optim.lr_scheduler, name)(ot, **kwargs)
    se = getattr(ember.optim.lr_scheduler, name)(oe, **kwargs)
    for _ in range(11):
        ot.step()
        oe.step()
        st.step()
        se.step()
        assert se.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12, abs=1e-15)
        assert oe.param_groups[0]["momentum"] == pytest.approx(ot.param_groups[0]["momentum"])


def test_plateau_and_lambda_schedulers_match():
    for make in (lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, patience=1, cooldown=1, factor=0.5),
                 lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1)),
                 lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.8)):
        pt, pe = torch.nn.Parameter(torch.ones(1)), enn.Parameter(ember.ones(1))
        ot, oe = torch.optim.Adam([pt], lr=0.1), ember.optim.Adam([pe], lr=0.1)
        st, se = make(torch, ot), make(ember, oe)
        for i in range(8):
            ot.step()
            oe.step()
            if "Plateau" in type(st).__name__:
                st.step(1.0)
                se.step(1.0)
            else:
                st.step()
                se.step()
            assert oe.param_groups[0]["lr"] == pytest.approx(ot.param_groups[0]["lr"], rel=1e-12)


def test_dataloader_shuffles_as_torch():
    x = torch.arange(50)
    same_seed(9)
    tl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x), batch_size=8, shuffle=True, drop_last=True)
    el = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(ember.arange(50), ember.arange(50)),
                                     batch_size=8, shuffle=True, drop_last=True)
    for _ in range(3):
        assert [b[0].tolist() for b in el] == [b[0].tolist() for b in tl]

    class Items(torch.utils.data.Dataset):
        def __len__(self):
            return 23

        def __getitem__(self, i):
            return i

    class EItems(ember.utils.data.Dataset):
        def __len__(self):
            return 23

        def __getitem__(self, i):
            return i

    same_seed(10)
    assert [b.tolist() for b in ember.utils.data.DataLoader(EItems(), batch_size=5, shuffle=True)] == \
           [b.tolist() for b in torch.utils.data.DataLoader(Items(), batch_size=5, shuffle=True)]


def test_tensor_printing_matches_torch():
    values = [[1.0, 2.0, 3.0], [0.5, 1.25], [1e-5, 1.0], [123456789.0, 1.0], [-1.5, 2.25, 1000.125],
              [float("inf"), float("nan"), 1.0], [0.0, 0.0]]
    for v in values:
        assert repr(ember.tensor(v)) == repr(torch.tensor(v))
    for v in ([1, -20, 300], [True, False]):
        assert repr(ember.tensor(v)) == repr(torch.tensor(v))
    assert repr(ember.arange(24).reshape(2, 3, 4)) == repr(torch.arange(24).reshape(2, 3, 4))
    assert repr(ember.arange(3000)) == repr(torch.arange(3000))
    same_seed(11)
    assert repr(ember.randn(4, 5)) == repr(torch.randn(4, 5))
    assert repr(ember.randn(200, 200)) == repr(torch.randn(200, 200))
    assert repr(ember.tensor(2.5)) == repr(torch.tensor(2.5))
    assert repr(ember.zeros(2, 0)) == repr(torch.zeros(2, 0))
    assert repr(ember.ones(2, requires_grad=True)) == repr(torch.ones(2, requires_grad=True))
    assert repr(ember.ones(2, dtype=ember.float64)).replace("ember", "torch") == repr(torch.ones(2, dtype=torch.float64))


def test_the_seed_loop_example_prints_torchs_numbers():
    script = os.path.join(REPO, "examples", "python", "seed_loop.py")
    if not os.path.exists(script):
        pytest.skip("not run from the repository")
    source = open(script).read()
    torch_source = (source.replace("import ember.nn", "import torch.nn").replace("import ember.optim", "import torch.optim")
                    .replace("from ember.utils.data", "from torch.utils.data"))
    torch_source = re.sub(r"^import ember$", "import torch", torch_source, flags=re.M).replace("ember.", "torch.")
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    ours = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True)
    theirs = subprocess.run([sys.executable, "-c", torch_source], env=env, capture_output=True, text=True)
    assert ours.returncode == 0, ours.stderr
    assert theirs.returncode == 0, theirs.stderr
    assert ours.stdout == theirs.stdout and "accuracy" in ours.stdout
