"""Shared fixtures: the ember package (from the source tree unless installed),
torch when importable (parity tests skip without it), and markers for
features the loaded library may lack."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PACKAGE_ROOT))
if PACKAGE_ROOT not in sys.path:
    sys.path.insert(0, PACKAGE_ROOT)

import ember  # noqa: E402

try:
    import numpy as np  # noqa: F401
    HAVE_NUMPY = True
except ImportError:  # numpy is optional at runtime
    HAVE_NUMPY = False


def library_has(*names):
    """Whether the loaded libember exports every function in ``names``."""
    return not any(n in ember._ffi.missing for n in names)


needs_numpy = pytest.mark.skipif(not HAVE_NUMPY, reason="numpy is not installed")
needs_io = pytest.mark.skipif(not library_has("ember_state_dict_new", "ember_generator_get_state"),
                              reason="the loaded libember has no ember/io.h functions (rebuild it)")
needs_dlpack = pytest.mark.skipif(not library_has("ember_to_dlpack_versioned"),
                                  reason="the loaded libember has no ember/dlpack.h functions (rebuild it)")


@pytest.fixture
def torch():
    """torch, or skip: parity tests run only where torch is importable."""
    return pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _seed_and_grad_mode():
    ember.manual_seed(0)
    prev = ember.is_grad_enabled()
    yield
    ember.set_grad_enabled(prev)


def close(a, b, rtol=1e-5, atol=1e-6):
    """Whether ember/torch/numpy values ``a`` and ``b`` agree elementwise."""
    import numpy as np
    def arr(x):
        if isinstance(x, ember.Tensor):
            return x.detach().numpy()
        if hasattr(x, "detach"):
            return x.detach().cpu().numpy()
        return np.asarray(x)
    x, y = arr(a), arr(b)
    return x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
