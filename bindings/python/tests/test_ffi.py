"""The FFI layer: the signature table against the headers, coverage of every
header function, library loading and version check, errors and callbacks."""

import glob
import os
import re
import subprocess
import sys

import pytest

import ember
from ember import _ffi
from ember._signatures import SIGNATURES

from conftest import PACKAGE_ROOT, REPO

PACKAGE_DIR = os.path.join(PACKAGE_ROOT, "ember")


def _sources():
    for path in glob.glob(os.path.join(PACKAGE_DIR, "**", "*.py"), recursive=True):
        if os.path.basename(path) != "_signatures.py":
            yield path, open(path).read()


def _used_functions():
    used = set()
    for path, text in _sources():
        if path.endswith("_ffi.py"):
            text = text[:text.index("INTERNAL: Dict")] + text[text.index("_HERE = "):]
        used.update(re.findall(r"\b(?:C|lib)\.(ember_\w+)", text))
    return used


@pytest.mark.skipif(not os.path.exists(os.path.join(REPO, "tools", "gen_api.py")),
                    reason="not run from the repository (tools/gen_api.py is not there)")
def test_signature_table_matches_the_headers():
    sys.path.insert(0, os.path.join(PACKAGE_ROOT, "tools"))
    try:
        import gen_signatures
    finally:
        sys.path.pop(0)
    gen_api = gen_signatures.load_gen_api(REPO)
    expected = gen_signatures.render(gen_api.parse(os.path.join(REPO, "include")))
    current = open(os.path.join(PACKAGE_DIR, "_signatures.py")).read()
    assert current == expected, "ember/_signatures.py is stale: run python3 bindings/python/tools/gen_signatures.py"


def test_every_header_function_is_wrapped_or_listed_as_internal():
    used = _used_functions()
    header = set(SIGNATURES)
    unwrapped = sorted(header - used - set(_ffi.INTERNAL))
    assert not unwrapped, f"header functions the binding neither calls nor lists in _ffi.INTERNAL: {unwrapped}"
    both = sorted(used & set(_ffi.INTERNAL))
    assert not both, f"functions listed as internal but called: {both}"
    stale = sorted(set(_ffi.INTERNAL) - header)
    assert not stale, f"_ffi.INTERNAL names functions the header does not have: {stale}"
    unknown = sorted(used - header)
    assert not unknown, f"the binding calls functions the header does not declare: {unknown}"
    for name, reason in _ffi.INTERNAL.items():
        assert len(reason) > 20, f"{name} needs a real reason"


def test_the_library_exports_every_function_of_the_table():
    assert _ffi.missing == [], f"{_ffi.library_path} lacks {_ffi.missing}: rebuild it (make lib)"


def test_every_function_has_its_ctypes_signature():
    fn = _ffi.C.ember_add
    assert fn.restype is not None and len(fn.argtypes) == 3
    assert _ffi.C.ember_tensor_free.restype is None
    assert _ffi.C.ember_version.restype.__name__ == "c_char_p"
    for name, (kind, _, params) in SIGNATURES.items():
        f = getattr(_ffi.C, name)
        if name not in _ffi.missing:
            assert len(f.argtypes) == len(params), name


def test_version_is_checked_at_import():
    assert ember.library_version() == ember._ffi.C.ember_version().decode()
    major, minor = (int(x) for x in ember.library_version().split(".")[:2])
    assert major == _ffi.REQUIRED_MAJOR and minor >= _ffi.REQUIRED_MINOR
    assert ember.__version__


def _import_in_subprocess(env_library):
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    if env_library is None:
        env.pop("EMBER_LIBRARY", None)
    else:
        env["EMBER_LIBRARY"] = env_library
    return subprocess.run([sys.executable, "-c", "import ember; print(ember.library_path)"], env=env,
                          capture_output=True, text=True)


def test_ember_library_names_the_library():
    result = _import_in_subprocess(_ffi.library_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == _ffi.library_path


def test_a_bad_ember_library_fails_the_import_with_a_clear_message(tmp_path):
    result = _import_in_subprocess(str(tmp_path / "no-such-libember.so"))
    assert result.returncode != 0
    assert "EMBER_LIBRARY" in result.stderr and "could not be loaded" in result.stderr


def test_the_build_tree_is_found_without_ember_library():
    if not os.path.exists(os.path.join(REPO, "build", "lib", "libember.so")):
        pytest.skip("no build tree")
    result = _import_in_subprocess(None)
    assert result.returncode == 0, result.stderr


def test_errors_carry_the_c_message_and_map_to_classes():
    with pytest.raises(ember.ShapeError) as info:
        ember.zeros(2, 3) @ ember.zeros(4, 2)
    assert "ember_matmul" in str(info.value) and "[2, 3]" in str(info.value)
    assert info.value.status == 3 and isinstance(info.value, RuntimeError)
    with pytest.raises(ember.DTypeError):
        ember.zeros(2, dtype=ember.int64).requires_grad_()
    with pytest.raises(ember.InvalidArgumentError):
        ember.arange(0, 1, 0)
    with pytest.raises(ember.StateError):
        loss = (ember.ones(2, requires_grad=True) * 2).sum()
        loss.backward()
        loss.backward()
    with pytest.raises(ember.InvalidHandleError):
        t = ember.ones(2)
        h = t._h
        t._h = None
        try:
            ember._ops._call1(_ffi.C.ember_neg, h + 1)
        finally:
            t._h = h
    assert issubclass(ember.EmberIOError, OSError) and issubclass(ember.OutOfMemoryError, MemoryError)
    assert issubclass(ember.InternalError, ember.EmberError)
    assert ember.status_name(3) == "EMBER_ERR_SHAPE" and ember.dtype_name(ember.float32) == "float32"


def test_error_for_every_status():
    from ember._errors import error_for_status
    classes = [ember.InvalidArgumentError, ember.InvalidHandleError, ember.ShapeError, ember.DTypeError,
               ember.OutOfMemoryError, ember.StateError, ember.EmberIOError, ember.InternalError]
    for status, cls in enumerate(classes, 1):
        e = error_for_status(status, "message")
        assert type(e) is cls and e.status == status and str(e) == "message"
    assert isinstance(error_for_status(99, "x"), ember.EmberError)


def test_a_python_exception_in_a_callback_never_reaches_c():
    class Boom(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            raise ZeroDivisionError("inside backward")

    x = ember.ones(3, requires_grad=True)
    y = Boom.apply(x).sum()
    with pytest.raises(ZeroDivisionError, match="inside backward"):
        y.backward()
    # the library saw a failing status and a message, and is still usable
    assert "ZeroDivisionError" in _ffi.last_error()
    assert (ember.ones(2) + 1).tolist() == [2.0, 2.0]


def test_int64_and_double_arrays():
    assert list(_ffi.int64_array([1, 2, 3])) == [1, 2, 3]
    assert list(_ffi.double_array([0.5])) == [0.5]
    assert _ffi.cstr(None) is None and _ffi.cstr("a") == b"a"


def test_set_num_threads():
    before = ember.get_num_threads()
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1
    ember.set_num_threads(before)
    assert ember.get_num_threads() == before


def test_empty_cache_gives_back_released_memory():
    ember.empty_cache()
    assert ember.empty_cache() == 0
    t = ember.zeros(100_000)
    del t
    u = ember.ones(100_000)          # reuses the released block
    assert u.sum().item() == 100_000
    del u
    if os.environ.get("EMBER_CACHE_MB") == "0":     # the cache turned off: nothing kept
        assert ember.empty_cache() == 0
    else:
        assert ember.empty_cache() >= 400_000
    assert ember.empty_cache() == 0
