"""pip install ./bindings/python bundles libember into the package."""

import os
import shutil
import subprocess
import sys

import pytest

import ember
from conftest import PACKAGE_ROOT, REPO


def _pip_available():
    import importlib.util
    return all(importlib.util.find_spec(m) is not None for m in ("pip", "setuptools", "wheel"))


@pytest.mark.skipif(not _pip_available(), reason="pip, setuptools and wheel are needed (make python-test installs them)")
def test_pip_install_bundles_the_library(tmp_path):
    # install from a copy, so the source tree gets no build artefacts; EMBER_LIBRARY
    # at install time names the library to bundle
    source = tmp_path / "src"
    shutil.copytree(PACKAGE_ROOT, source, ignore=shutil.ignore_patterns("tests", "__pycache__", "build", "*.egg-info"))
    target = tmp_path / "site"
    env = dict(os.environ, EMBER_LIBRARY=ember._ffi.library_path)
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                             "--no-index", "--target", str(target), str(source)], env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (target / "ember" / "_lib" / "libember.so.0").exists()
    assert (target / "ember" / "_signatures.py").exists() and (target / "ember" / "nn" / "modules" / "layers.py").exists()
    probe = ("import ember, ember.nn as nn; print(ember.library_path); "
             "print(nn.Linear(2, 3)(ember.ones(1, 2)).shape)")
    env.pop("EMBER_LIBRARY")
    run = subprocess.run([sys.executable, "-c", probe], env=dict(env, PYTHONPATH=str(target)), cwd=str(tmp_path),
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    path, shape = run.stdout.strip().split("\n")
    assert path.startswith(str(target)) and shape == "ember.Size([1, 3])"


@pytest.mark.skipif(not os.path.exists(os.path.join(REPO, "build", "lib")), reason="no build tree")
def test_setup_finds_the_build_next_to_the_source():
    probe = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('s', sys.argv[1]); "
             "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); print(m.library_to_bundle())")
    env = dict(os.environ)
    env.pop("EMBER_LIBRARY", None)
    run = subprocess.run([sys.executable, "-c", probe, os.path.join(PACKAGE_ROOT, "setup.py")], env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    found = run.stdout.strip()
    if found == "None":
        pytest.skip("no build/lib/libember.so.0.* file")
    assert os.path.basename(found).startswith("libember.so.0.") and os.path.isfile(found)
