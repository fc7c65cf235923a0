"""The Python examples run and reach their accuracy."""

import os
import subprocess
import sys

import pytest

from conftest import PACKAGE_ROOT, REPO

EXAMPLES = os.path.join(REPO, "examples", "python")


def _run(script, *args, cwd=None):
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args], env=env, capture_output=True,
                          text=True, cwd=cwd, timeout=600)


@pytest.mark.skipif(not os.path.isdir(EXAMPLES), reason="not run from the repository")
def test_seed_loop_trains():
    result = _run("seed_loop.py")
    assert result.returncode == 0, result.stderr
    accuracy = float(result.stdout.strip().split("\n")[-1].split()[-1])
    assert accuracy >= 0.9


@pytest.mark.skipif(not os.path.isdir(EXAMPLES), reason="not run from the repository")
def test_digits_trains_and_writes_its_loss_curve(tmp_path):
    result = _run("digits.py", os.path.join(REPO, "examples", "data", "digits.csv.gz"), "6", cwd=tmp_path)
    assert "held-out accuracy" in result.stdout
    lines = open(tmp_path / "digits_loss.csv").read().split("\n")
    assert lines[0] == "step,loss" and len(lines) > 200
    try:
        import matplotlib  # noqa: F401
        assert (tmp_path / "digits_loss.png").exists()
    except ImportError:
        pass
