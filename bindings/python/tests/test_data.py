"""ember.utils.data: datasets and the DataLoader."""

import collections

import pytest

import ember
from ember.utils.data import ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, default_collate


def test_tensor_dataset_and_loader_batches():
    x, y = ember.arange(10).float().reshape(10, 1), ember.arange(10)
    ds = TensorDataset(x, y)
    assert len(ds) == 10 and [t.tolist() for t in ds[3]] == [[3.0], 3]
    loader = DataLoader(ds, batch_size=4)
    assert len(loader) == 3
    batches = list(loader)
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    data, target = batches[0]
    assert data.shape == (4, 1) and not data.requires_grad
    assert len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert [b[1].tolist() for b in DataLoader(ds, batch_size=4, drop_last=True)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(ember.InvalidArgumentError):
        TensorDataset(ember.zeros(3), ember.zeros(4))


def test_shuffle_is_seeded_and_each_iteration_is_a_new_epoch():
    ds = TensorDataset(ember.arange(20), ember.arange(20))
    ember.manual_seed(3)
    loader = DataLoader(ds, batch_size=5, shuffle=True)
    first = [b[0].tolist() for b in loader]
    second = [b[0].tolist() for b in loader]
    assert sorted(sum(first, [])) == list(range(20)) and first != second
    ember.manual_seed(3)
    again = DataLoader(ds, batch_size=5, shuffle=True)
    assert [b[0].tolist() for b in again] == first
    # an epoch left unfinished is not continued by the next iteration
    it = iter(again)
    next(it)
    assert len(list(again)) == 4


def test_generic_datasets_are_collated():
    class Squares(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return {"x": ember.tensor([float(i)]), "y": i * i, "name": f"s{i}"}

    loader = DataLoader(Squares(), batch_size=4)
    batch = next(iter(loader))
    assert batch["x"].shape == (4, 1) and batch["y"].tolist() == [0, 1, 4, 9] and batch["name"][:2] == ["s0", "s1"]
    assert len(loader) == 2
    three = TensorDataset(ember.arange(5), ember.arange(5) * 2, ember.arange(5) * 3)
    assert [t.tolist() for t in next(iter(DataLoader(three, batch_size=2)))] == [[0, 1], [0, 2], [0, 3]]
    single = list(DataLoader(TensorDataset(ember.arange(3)), batch_size=None))
    assert [s[0].item() for s in single] == [0, 1, 2]
    custom = DataLoader(TensorDataset(ember.arange(4), ember.arange(4)), batch_size=2,
                        collate_fn=lambda samples: len(samples))
    assert list(custom) == [2, 2]
    assert list(DataLoader([], batch_size=2)) == [] and len(DataLoader([], batch_size=2)) == 0
    sub = Subset(three, [4, 0])
    assert len(sub) == 2 and sub[0][0].item() == 4
    cat = ConcatDataset([sub, sub])
    assert len(cat) == 4 and cat[3][0].item() == 0 and cat[-1][0].item() == 0 and len(sub + sub) == 4
    with pytest.raises(ember.InvalidArgumentError):
        DataLoader(three, sampler=[0, 1])
    assert DataLoader(three, num_workers=2).num_workers == 2


def test_default_collate():
    Point = collections.namedtuple("Point", ["x", "y"])
    batch = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert batch.x.dtype is ember.int64 and batch.y.dtype is ember.float64 and batch.y.tolist() == [2.0, 4.0]
    assert default_collate([(True,), (False,)])[0].dtype is ember.bool
    assert default_collate([[ember.ones(2)], [ember.zeros(2)]])[0].shape == (2, 2)
    with pytest.raises(TypeError):
        default_collate([object()])


def test_loader_over_the_seed_data_trains():
    import ember.nn as nn
    x = ember.randn(64, 4)
    y = (x.sum(1) > 0).long()
    model = nn.Linear(4, 2)
    opt = ember.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(20):
        for data, target in DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True):
            loss = nn.functional.cross_entropy(model(data), target)
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert (model(x).argmax(1) == y).float().mean().item() > 0.9
