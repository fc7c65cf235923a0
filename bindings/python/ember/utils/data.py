"""torch.utils.data: Dataset, TensorDataset, Subset and DataLoader.

DataLoader batches come from the C data loader (ember/data.h), whose
shuffling is torch's: with the same seed, ``DataLoader(..., shuffle=True)``
visits the samples in the same order as torch's. A TensorDataset of two
tensors is batched entirely in C; any other dataset is indexed through a C
loader over the sample indices (so the order is still torch's) and its
samples are collated in Python."""

from __future__ import annotations

import collections.abc
from ctypes import byref, c_char_p, c_double, c_void_p
from typing import Any, Callable, Generic, Iterator, List, Optional, Sequence, TypeVar

from .. import _dtype as D
from .. import _ops as ops
from .._errors import InvalidArgumentError
from .._ffi import C, check, cstr, handle_array, raise_status
from .._tensor import Tensor, _wrap, arange, tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "DataLoader", "default_collate"]

T = TypeVar("T")
_next = C.ember_dataloader_next
_free = C.ember_dataloader_free


class Dataset(Generic[T]):
    """A map-style dataset: ``__getitem__(index)`` and ``__len__`` (torch.utils.data.Dataset)."""

    def __getitem__(self, index: int) -> T:
        raise NotImplementedError("a Dataset subclass must define __getitem__")

    def __add__(self, other: "Dataset[T]") -> "ConcatDataset[T]":
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows (dim 0) of the given tensors (torch.utils.data.TensorDataset)."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise InvalidArgumentError("TensorDataset needs at least one tensor")
        n = tensors[0].shape[0] if tensors[0].ndim else None
        if any(not t.ndim or t.shape[0] != n for t in tensors):
            raise InvalidArgumentError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index: int) -> Any:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (torch.utils.data.Subset)."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another (torch.utils.data.ConcatDataset)."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        self.cumulative_sizes: List[int] = []
        total = 0
        for d in self.datasets:
            total += len(d)  # type: ignore[arg-type]
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            index += len(self)
        for i, end in enumerate(self.cumulative_sizes):
            if index < end:
                start = self.cumulative_sizes[i - 1] if i else 0
                return self.datasets[i][index - start]
        raise IndexError("index out of range")


def default_collate(batch: List[Any]) -> Any:
    """Merges samples into a batch as torch's default_collate: tensors are
    stacked, numbers become tensors, and tuples, lists and dicts are collated
    field by field."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return ops.stack(batch, 0)
    if type(elem).__module__ == "numpy" and hasattr(elem, "shape"):
        return ops.stack([tensor(b) for b in batch], 0)
    if isinstance(elem, bool):
        return tensor(batch, dtype=D.bool_)
    if isinstance(elem, int):
        return tensor(batch, dtype=D.int64)
    if isinstance(elem, float):
        return tensor(batch, dtype=D.float64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(samples)) for samples in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numbers, dicts or lists; found {type(elem)}")


class _CLoader:
    """An ember_dataloader handle over two tensors."""

    def __init__(self, inputs: Tensor, targets: Tensor, batch_size: int, shuffle: bool, drop_last: bool) -> None:
        out = c_void_p()
        st = C.ember_dataloader_new(inputs._h, targets._h, int(batch_size), bool(shuffle), byref(out))
        if st:
            raise_status(st)
        self._h = out.value
        if drop_last:
            check(C.ember_dataloader_set(self._h, b"drop_last", 1.0))
        self.in_epoch = False

    def __del__(self, _free: Any = _free) -> None:
        h = self.__dict__.get("_h")
        if h:
            self._h = None
            _free(h)

    def get(self, name: str) -> float:
        out = c_double()
        check(C.ember_dataloader_get(self._h, cstr(name), byref(out)))
        return out.value

    def next(self) -> Any:
        """The next (inputs, targets) pair, or None at the end of an epoch."""
        a, b = c_void_p(), c_void_p()
        st = _next(self._h, byref(a), byref(b))
        if st:
            raise_status(st)
        if a.value is None:
            self.in_epoch = False
            return None
        self.in_epoch = True
        t1 = _wrap(a.value)
        return t1, _wrap(b.value)

    def new_epoch(self) -> None:
        """Finishes an epoch a previous iterator left unfinished, so the next batch starts a new one."""
        while self.in_epoch:
            self.next()


class DataLoader(Generic[T]):
    """Batches of a dataset (torch.utils.data.DataLoader) with torch's
    batch_size, shuffle (torch's order for the same seed), drop_last and
    collate_fn. Each ``iter(loader)`` starts a new epoch. ``num_workers`` is
    accepted, but batches are always made in this process (the C loader is
    fast enough for in-memory data); samplers and generators are not supported."""

    def __init__(self, dataset: Dataset, batch_size: Optional[int] = 1, shuffle: Optional[bool] = None,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Optional[Callable[[List[Any]], Any]] = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Any = None,
                 multiprocessing_context: Any = None, generator: Any = None, *, prefetch_factor: Any = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True) -> None:
        if sampler is not None or batch_sampler is not None or generator is not None:
            raise InvalidArgumentError("ember's DataLoader supports batch_size/shuffle/drop_last; custom samplers "
                                       "and generators are not supported (seed with ember.manual_seed)")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = drop_last
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        n = len(dataset)  # type: ignore[arg-type]
        fast = (isinstance(dataset, TensorDataset) and len(dataset.tensors) == 2 and collate_fn is None
                and batch_size is not None)
        self._tensor_dataset = isinstance(dataset, TensorDataset) and collate_fn is None and batch_size is not None
        if fast:
            self._c_loader: Optional[_CLoader] = _CLoader(dataset.tensors[0], dataset.tensors[1], batch_size,
                                                          self.shuffle, drop_last)
        elif n > 0:
            index = arange(n)
            self._c_loader = _CLoader(index, index, batch_size or 1, self.shuffle, drop_last and batch_size is not None)
        else:
            self._c_loader = None
        self._fast = fast

    def __len__(self) -> int:
        if self._c_loader is None:
            return 0
        return int(self._c_loader.get("len"))

    def __iter__(self) -> Iterator[Any]:
        loader = self._c_loader
        if loader is None:
            return
        loader.new_epoch()
        if self._fast:
            while True:
                batch = loader.next()
                if batch is None:
                    return
                yield list(batch)
        dataset = self.dataset
        collate = self.collate_fn or default_collate
        while True:
            batch = loader.next()
            if batch is None:
                return
            indices = batch[0]
            if self.batch_size is None:
                yield dataset[int(indices.item())]
            elif self._tensor_dataset:
                yield [ops.index_select(t, 0, indices) for t in dataset.tensors]
            else:
                yield collate([dataset[i] for i in indices.tolist()])

    def state_dict(self) -> dict:
        """The loader's position (epoch, position, permutation, ...) for resuming."""
        if self._c_loader is None:
            return {}
        from ..nn.modules.module import _name_at
        h = self._c_loader._h
        out = {}
        for i in range(C.ember_dataloader_state_count(h)):
            name, th = _name_at(C.ember_dataloader_state_at, h, i, True)
            out[name] = _wrap(th)
        return out

    def load_state_dict(self, state_dict: dict) -> None:
        """Restores a position from state_dict() (with the generator state restored too,
        the batches that follow are those the saved loader would have given)."""
        if self._c_loader is None:
            return
        names = list(state_dict)
        tensors = [state_dict[n] if isinstance(state_dict[n], Tensor) else tensor(state_dict[n]) for n in names]
        name_array = (c_char_p * max(len(names), 1))(*[cstr(n) for n in names])
        check(C.ember_dataloader_load_state(self._c_loader._h, name_array, handle_array(t._h for t in tensors),
                                            len(tensors)))
        # the next iteration continues from the restored position instead of starting an epoch
        self._c_loader.in_epoch = False
