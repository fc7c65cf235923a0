"""ember.optim: every optimizer, param groups, state dicts, closures, and every scheduler."""


import pytest

import ember
import ember.nn as nn
from ember import optim
from ember.optim import lr_scheduler

OPTIMIZERS = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (optim.Adam, {"lr": 0.01, "amsgrad": True}),
    (optim.AdamW, {"lr": 0.01, "betas": (0.8, 0.99)}),
    (optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
    (optim.Adadelta, {"lr": 1.0}),
    (optim.Adamax, {"lr": 0.01}),
    (optim.NAdam, {"lr": 0.01}),
    (optim.RAdam, {"lr": 0.01}),
]


def _quadratic():
    w = nn.Parameter(ember.tensor([3.0, -2.0]))
    return w, lambda: (w ** 2).sum()


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=[c.__name__ for c, _ in OPTIMIZERS])
def test_every_optimizer_minimises_a_quadratic(cls, kwargs):
    w, loss_fn = _quadratic()
    opt = cls([w], **kwargs)
    first = loss_fn().item()
    for _ in range(50):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    assert loss_fn().item() < first
    assert type(opt).__name__ in repr(opt) and "Parameter Group 0" in repr(opt)


def test_lbfgs_with_closure():
    w, loss_fn = _quadratic()
    opt = optim.LBFGS([w], lr=1, line_search_fn="strong_wolfe")
    calls = []

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        calls.append(1)
        return loss

    first = opt.step(closure)
    assert isinstance(first, ember.Tensor) and first.item() == pytest.approx(13.0)
    assert loss_fn().item() < 1e-6 and len(calls) > 1
    assert opt.param_groups[0]["line_search_fn"] == "strong_wolfe" and opt.param_groups[0]["max_iter"] == 20
    with pytest.raises(ember.InvalidArgumentError):
        opt.step()

    def failing():
        raise ValueError("closure failed in Python")

    with pytest.raises(ValueError, match="closure failed in Python"):
        opt.step(failing)


def test_param_groups_are_lists_of_dicts():
    a, b = nn.Parameter(ember.ones(2)), nn.Parameter(ember.ones(3))
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "tag": "bias"}], lr=0.1, momentum=0.9)
    assert len(opt.param_groups) == 2
    g0, g1 = opt.param_groups
    assert g0["lr"] == pytest.approx(0.1) and g1["lr"] == pytest.approx(0.5) and g1["tag"] == "bias"
    assert g0["params"][0] is a and g1["params"][0] is b and g0["momentum"] == pytest.approx(0.9)
    assert g0["nesterov"] is False and "lr" in g0 and "params" in g0 and set(g0.keys()) >= {"lr", "momentum", "params"}
    g1["lr"] = 0.25
    assert g1["lr"] == pytest.approx(0.25)
    (a.sum() + b.sum()).backward()
    opt.step()
    assert a.tolist() == pytest.approx([0.9, 0.9]) and b.tolist() == pytest.approx([0.75] * 3)
    c = nn.Parameter(ember.ones(1))
    opt.add_param_group({"params": [c], "weight_decay": 0.1})
    assert opt.param_groups[2]["lr"] == pytest.approx(0.1) and opt.param_groups[2]["weight_decay"] == pytest.approx(0.1)
    assert opt.param_groups[2].get("nope", 7) == 7 and opt.param_groups[2].setdefault("lr", 1) == pytest.approx(0.1)
    assert dict(opt.param_groups[0].items())["dampening"] == 0 and len(opt.param_groups[0]) >= 6
    adam = optim.Adam([a], betas=(0.8, 0.9))
    assert adam.param_groups[0]["betas"] == pytest.approx((0.8, 0.9))
    adam.param_groups[0]["betas"] = (0.7, 0.95)
    assert adam.param_groups[0]["betas"] == pytest.approx((0.7, 0.95))
    with pytest.raises(ember.InvalidArgumentError):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError):
        optim.SGD(a, lr=0.1)
    with pytest.raises(ember.InvalidArgumentError):
        optim.SGD([a], lr=-1)
    with pytest.raises(TypeError):
        optim.SGD([a], lr=0.1, bogus=1)
    optim.Adam([a], foreach=None, fused=None, capturable=False, differentiable=False)


def test_zero_grad_and_model_parameters():
    model = nn.Sequential(nn.Linear(3, 2))
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(ember.ones(1, 3)).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert all(p.grad.abs().sum().item() == 0 for p in model.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_optimizer_state_dict_round_trip():
    w, loss_fn = _quadratic()
    opt = optim.Adam([w], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
    sd = opt.state_dict()
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"} and sd["state"][0]["step"].item() == 3
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][0]["betas"] == pytest.approx((0.9, 0.999))
    assert sd["param_groups"][0]["amsgrad"] is False
    w2 = nn.Parameter(w.detach().clone())
    opt2 = optim.Adam([w2], lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == pytest.approx(0.1)
    for o, p in ((opt, w), (opt2, w2)):
        o.zero_grad()
        (p ** 2).sum().backward()
        o.step()
    assert w.tolist() == w2.tolist()
    state = opt.state
    assert list(state) == [w] and "exp_avg" in state[w]
    with pytest.raises(ember.InvalidArgumentError):
        opt2.load_state_dict({"state": {}, "param_groups": [{"params": [0, 1]}]})


def test_lbfgs_state_dict_has_lists():
    w, loss_fn = _quadratic()
    opt = optim.LBFGS([w], max_iter=3)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    opt.step(closure)
    sd = opt.state_dict()
    assert isinstance(sd["state"][0]["old_dirs"], list) and sd["state"][0]["func_evals"].item() >= 1
    opt2 = optim.LBFGS([nn.Parameter(w.detach().clone())], max_iter=3)
    opt2.load_state_dict(sd)
    assert opt2.state_dict()["state"][0]["n_iter"].item() == sd["state"][0]["n_iter"].item()


def _lrs(scheduler, steps, metric=None):
    out = []
    for i in range(steps):
        scheduler.optimizer.step()
        scheduler.step() if metric is None else scheduler.step(metric(i))
        out.append(scheduler.get_last_lr()[0])
    return out


def _opt(lr=1.0, **kwargs):
    return optim.SGD([nn.Parameter(ember.ones(1))], lr=lr, **kwargs)


def test_schedulers_follow_torchs_formulas():
    assert _lrs(lr_scheduler.StepLR(_opt(), step_size=2, gamma=0.5), 4) == pytest.approx([1, 0.5, 0.5, 0.25])
    assert _lrs(lr_scheduler.MultiStepLR(_opt(), [1, 3]), 4) == pytest.approx([0.1, 0.1, 0.01, 0.01])
    assert _lrs(lr_scheduler.ConstantLR(_opt(), factor=0.5, total_iters=2), 3) == pytest.approx([0.5, 1, 1])
    assert _lrs(lr_scheduler.LinearLR(_opt(), 0.5, 1.0, total_iters=2), 3) == pytest.approx([0.75, 1, 1])
    assert _lrs(lr_scheduler.ExponentialLR(_opt(), 0.5), 2) == pytest.approx([0.5, 0.25])
    assert _lrs(lr_scheduler.PolynomialLR(_opt(), total_iters=2, power=1), 2) == pytest.approx([0.5, 0.0])
    cos = _lrs(lr_scheduler.CosineAnnealingLR(_opt(), T_max=2), 2)
    assert cos == pytest.approx([0.5, 0.0], abs=1e-12)
    warm = _lrs(lr_scheduler.CosineAnnealingWarmRestarts(_opt(), T_0=2), 3)
    assert warm == pytest.approx([0.5, 1.0, 0.5])
    one = lr_scheduler.OneCycleLR(_opt(momentum=0.9), max_lr=1.0, total_steps=10)
    lrs = _lrs(one, 9)
    assert max(lrs) == pytest.approx(1.0, rel=1e-2) and lrs[-1] < 0.01
    plateau = lr_scheduler.ReduceLROnPlateau(_opt(), patience=1, factor=0.5)
    assert _lrs(plateau, 4, metric=lambda i: 1.0) == pytest.approx([1, 1, 0.5, 0.5])
    with pytest.raises(ember.InvalidArgumentError):
        plateau.step()
    plateau.step(ember.tensor(0.5))
    with pytest.raises(ember.InvalidArgumentError):
        lr_scheduler.StepLR(_opt(), 1, last_epoch=3)


def test_lambda_schedulers_call_python():
    opt = _opt()
    sched = lr_scheduler.LambdaLR(opt, lambda epoch: 0.5 ** epoch)
    assert _lrs(sched, 3) == pytest.approx([0.5, 0.25, 0.125]) and len(sched.lr_lambdas) == 1
    mult = lr_scheduler.MultiplicativeLR(_opt(), lambda epoch: 0.9)
    assert _lrs(mult, 2) == pytest.approx([0.9, 0.81])
    a, b = nn.Parameter(ember.ones(1)), nn.Parameter(ember.ones(1))
    two = optim.SGD([{"params": [a]}, {"params": [b], "lr": 2.0}], lr=1.0)
    per_group = lr_scheduler.LambdaLR(two, [lambda e: 1.0, lambda e: 0.5])
    two.step()
    per_group.step()
    assert per_group.get_last_lr() == pytest.approx([1.0, 1.0])

    def broken(epoch):
        if epoch >= 1:
            raise ArithmeticError("lambda failed")
        return 1.0

    bad = lr_scheduler.LambdaLR(_opt(), broken)
    with pytest.raises(ArithmeticError, match="lambda failed"):
        bad.step()
    with pytest.raises(ember.InvalidArgumentError):
        lr_scheduler.LambdaLR(two, [lambda e: 1.0])


def test_composite_schedulers():
    opt = _opt()
    warm = lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
    decay = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    seq = lr_scheduler.SequentialLR(opt, [warm, decay], milestones=[2])
    assert len(_lrs(seq, 4)) == 4
    opt2 = _opt()
    chained = lr_scheduler.ChainedScheduler([lr_scheduler.ExponentialLR(opt2, 0.5),
                                             lr_scheduler.StepLR(opt2, 1, gamma=0.5)])
    assert _lrs(chained, 2) == pytest.approx([0.25, 0.0625])
    with pytest.raises(ember.InvalidArgumentError):
        lr_scheduler.ChainedScheduler([])
    sd = seq.state_dict()
    assert "_schedulers" in sd and len(sd["_schedulers"]) == 2


def test_scheduler_attributes_and_state():
    opt = _opt()
    sched = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    assert sched.step_size == 3 and sched.gamma == 0.5 and sched.last_epoch == 0 and sched.base_lrs == [1.0]
    sched.gamma = 0.25
    assert sched.gamma == 0.25
    _lrs(sched, 4)
    state = sched.state_dict()
    assert state["last_epoch"] == 4 and state["base_lrs"] == [1.0]
    other = lr_scheduler.StepLR(_opt(), step_size=1)
    other.load_state_dict(state)
    assert other.last_epoch == 4 and other.step_size == 3
    assert opt.param_groups[0]["initial_lr"] == 1.0
    with pytest.raises(AttributeError):
        sched.no_such_attribute
    with pytest.raises(ember.InvalidArgumentError):
        sched.step(5)
