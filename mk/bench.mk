# Benchmarks (issue 8). Timings are never asserted; `make test` only builds
# the programs (bench-build) so they cannot rot.
#
#   make bench          the four torch_reference workloads and the micro-benchmarks
#   make bench-compare  the same beside PyTorch in one session: a ratio table
#   make bench-seed     the seed network's training step alone
#   make bench-ops      elementwise and reduction kernels on 1e6 elements beside numpy

# bench/dist_*.c link libember_dist.so: mk/dist.mk builds them (bench_dist).
BENCH_PROGS   := $(patsubst bench/%.c,$(OUT)/bin/bench_%,$(filter-out bench/dist_%.c,$(wildcard bench/*.c)))
BLAS_LIBS     = $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
BLAS_CFLAGS   = $(shell pkg-config --cflags openblas 2>/dev/null)

.PHONY: bench bench-build bench-compare bench-seed bench-ops

$(OUT)/bin/bench_%: bench/%.c include/ember.h include/ember/*.h | lib
	@mkdir -p $(OUT)/bin
	$(CC) $(CSTRICT) -O2 -Iinclude $(BLAS_CFLAGS) $< -o $@ -L$(OUT)/lib -lember $(BLAS_LIBS) -lm -Wl,-rpath,'$$ORIGIN/../lib'

bench-build: lib $(BENCH_PROGS)

bench: bench-build
	$(OUT)/bin/bench_workloads --threads 2
	$(OUT)/bin/bench_micro --threads 2

# TORCH_PYTHON: a Python with torch importable (default: python3).
bench-compare: bench-build
	python3 bench/compare --build $(OUT) --python $(or $(TORCH_PYTHON),python3)

bench-seed: bench-build
	$(OUT)/bin/bench_seed_mlp 20000

bench-ops: bench-build
	$(OUT)/bin/bench_ops 2
	-python3 bench/numpy_ops.py 2

TEST_EXTRA += bench-build
