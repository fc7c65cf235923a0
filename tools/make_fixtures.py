#!/usr/bin/env python3
"""Generates the PyTorch reference values Ember's tests compare against.

Run offline, with torch installed (never needed by the build or CI):

    python3 tools/make_fixtures.py            # every module in tools/fixtures
    python3 tools/make_fixtures.py core       # just tools/fixtures/core.py

Each module in tools/fixtures/ has a generate() that writes Tests/Fixtures/*.json.
Every tensor is stored as {"shape": [...], "dtype": "float32|float64|int64",
"data": [row-major values]}; floats are written with repr, so float32 and
float64 values round-trip exactly.
"""
import importlib
import os
import pkgutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

if __name__ == "__main__":
    torch.set_num_threads(1)
    import fixtures
    names = sys.argv[1:] or sorted(m.name for m in pkgutil.iter_modules(fixtures.__path__) if m.name != "common")
    for name in names:
        importlib.import_module("fixtures." + name).generate()
