# The Python binding (issue 7): bindings/python, a torch-like `ember` package
# over libember through ctypes.
#
#   make python-test        the pytest suite (bindings/python/tests) and the Python
#                           examples, against build/lib/libember.so     (make test)
#                           Parity tests with torch run where torch is importable:
#                           the suite runs a second time under TORCH_PYTHON
#                           (default: ~/torchenv/bin/python, as README.md sets it
#                           up) when that interpreter exists.
#   make python-examples    examples/python/seed_loop.py and digits.py, in build/run
#   make python-bench       one seed-network training step from Python; compare with
#                           ../shared/bench/torch_reference.py --only seed_mlp
#   make python-install     pip install ./bindings/python (bundles the built library)
#   make python-signatures  regenerate bindings/python/ember/_signatures.py from the headers

PYTHON        ?= python3
TORCH_PYTHON  ?= $(firstword $(wildcard $(HOME)/torchenv/bin/python))
PY_ENV        := EMBER_LIBRARY=$(CURDIR)/$(OUT)/lib/libember.so PYTHONPATH=$(CURDIR)/bindings/python

.PHONY: python-deps python-test python-examples python-bench python-install python-signatures

# pytest and numpy for the suite, wheel for its pip-install test; installed quietly when missing.
python-deps:
	@$(PYTHON) -c "import pytest, numpy, wheel" 2>/dev/null || $(PYTHON) -m pip install -q pytest numpy wheel
	@if [ -n "$(TORCH_PYTHON)" ]; then \
	    $(TORCH_PYTHON) -c "import pytest" 2>/dev/null || $(TORCH_PYTHON) -m pip install -q pytest; fi

python-test: lib python-deps
	@echo "== python: pytest ($(PYTHON))"
	@cd bindings/python && $(PY_ENV) $(PYTHON) -m pytest -q -p no:cacheprovider tests
	@if [ -n "$(TORCH_PYTHON)" ]; then \
	    echo "== python: pytest with torch ($(TORCH_PYTHON))"; \
	    cd bindings/python && $(PY_ENV) $(TORCH_PYTHON) -m pytest -q -p no:cacheprovider tests; fi
	@$(MAKE) --no-print-directory python-examples

python-examples: lib
	@mkdir -p $(OUT)/run
	@echo "== python: examples/python/seed_loop.py"
	@cd $(OUT)/run && { $(PY_ENV) $(PYTHON) $(CURDIR)/examples/python/seed_loop.py > python_seed_loop.log 2>&1 \
	    || { cat python_seed_loop.log; exit 1; }; } && tail -n 2 python_seed_loop.log
	@echo "== python: examples/python/digits.py"
	@cd $(OUT)/run && { $(PY_ENV) $(PYTHON) $(CURDIR)/examples/python/digits.py $(CURDIR)/examples/data/digits.csv.gz \
	    > python_digits.log 2>&1 || { cat python_digits.log; exit 1; }; } && tail -n 2 python_digits.log

python-bench: lib
	$(PY_ENV) OPENBLAS_NUM_THREADS=1 $(PYTHON) bench/python_seed_step.py
	-@if [ -n "$(TORCH_PYTHON)" ]; then $(TORCH_PYTHON) ../shared/bench/torch_reference.py --only seed_mlp; fi

python-install: lib
	$(PYTHON) -m pip install ./bindings/python

python-signatures:
	$(PYTHON) bindings/python/tools/gen_signatures.py

TEST_EXTRA += python-test
