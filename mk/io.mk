# Checkpoints and interop (issue 6): fuzzing the safetensors and model-file loaders,
# and a load benchmark.
#
#   make fuzz-safetensors           libFuzzer on fuzz/safetensors_fuzz.c for SAFETENSORS_FUZZ_TIME
#                                   seconds (600 by default) against a libember built with Swift's
#                                   own coverage instrumentation and AddressSanitizer
#                                   (-sanitize=fuzzer,address: one flag -- with two -sanitize= flags
#                                   swiftc keeps only the last), so the fuzzer is guided by the
#                                   loader's branches and comparisons. New inputs go to
#                                   build/fuzz-safetensors/corpus, crashes to build/fuzz-safetensors/.
#   make fuzz-safetensors-smoke     (part of make test, ~10 s) 20000 deterministic mutations of
#                                   the seeds against the release library: no crash, no leak
#   make fuzz                       the same as make fuzz-safetensors, unless mk/hardening.mk
#                                   defines `fuzz` (it runs every fuzz/*_fuzz.c harness, this one too)
#   make bench-io                   load a BENCH_IO_MIB-MiB file (1024) through the memory map and by read + copy
#
# Seeds: fuzz/safetensors_corpus (small handcrafted files; `make fuzz` of mk/hardening.mk
# picks it up too) and Tests/Fixtures/io (files torch and the safetensors package wrote);
# fuzz/safetensors.dict holds the format's tokens.

ST_FUZZ_CC      ?= clang
SAFETENSORS_FUZZ_TIME ?= 600
ST_FUZZ_SCRATCH := .build-fuzz-io
ST_FUZZ_OUT     := $(OUT)/fuzz-safetensors
ST_FUZZ_SEEDS   := $(CURDIR)/fuzz/safetensors_corpus $(CURDIR)/Tests/Fixtures/io
ST_FUZZ_FLAGS   := -dict=$(CURDIR)/fuzz/safetensors.dict -max_len=16384 -timeout=20 -rss_limit_mb=3072 -print_final_stats=1
ST_FUZZ_ENV     := ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=2048
ST_FUZZ_SWIFT   := -Xswiftc -sanitize=fuzzer,address -Xswiftc -static-stdlib -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld \
                   -Xlinker --version-script=$(CURDIR)/tools/ember.map

.PHONY: fuzz-safetensors fuzz-safetensors-build fuzz-safetensors-smoke

# The instrumented library, in its own scratch directory (its objects differ from every other build's).
fuzz-safetensors-build: deps
	$(SWIFT) build -c release --scratch-path $(ST_FUZZ_SCRATCH) --product ember $(ST_FUZZ_SWIFT)
	@mkdir -p $(ST_FUZZ_OUT)
	$(ST_FUZZ_CC) -g -O1 -fsanitize=fuzzer,address -fuse-ld=lld -Iinclude fuzz/safetensors_fuzz.c -o $(ST_FUZZ_OUT)/safetensors_fuzz \
	    -L$(ST_FUZZ_SCRATCH)/release -lember -Wl,-rpath,$(CURDIR)/$(ST_FUZZ_SCRATCH)/release

fuzz-safetensors: fuzz-safetensors-build
	@mkdir -p $(ST_FUZZ_OUT)/corpus
	cd $(ST_FUZZ_OUT) && $(ST_FUZZ_ENV) ./safetensors_fuzz $(ST_FUZZ_FLAGS) -max_total_time=$(SAFETENSORS_FUZZ_TIME) \
	    corpus $(ST_FUZZ_SEEDS)

# A short, deterministic run against the release library (its code is not
# instrumented, so this checks robustness on mutated seeds, not coverage).
$(ST_FUZZ_OUT)/safetensors_smoke: fuzz/safetensors_fuzz.c include/ember.h include/ember/*.h | lib
	@mkdir -p $(ST_FUZZ_OUT)
	$(ST_FUZZ_CC) -g -O1 -fsanitize=fuzzer,address -fuse-ld=lld -Iinclude $< -o $@ -L$(OUT)/lib -lember -Wl,-rpath,'$$ORIGIN/../lib'

fuzz-safetensors-smoke: $(ST_FUZZ_OUT)/safetensors_smoke
	@rm -rf $(ST_FUZZ_OUT)/smoke && mkdir -p $(ST_FUZZ_OUT)/smoke
	@cd $(ST_FUZZ_OUT) && $(ST_FUZZ_ENV) ./safetensors_smoke $(ST_FUZZ_FLAGS) -seed=1 -runs=20000 smoke $(ST_FUZZ_SEEDS) \
	    > smoke.log 2>&1 || { tail -n 40 smoke.log; exit 1; }
	@grep -E "^stat::number_of_executed_units" $(ST_FUZZ_OUT)/smoke.log | sed 's/^stat::number_of_executed_units: */fuzz-safetensors-smoke: no crash in /; s/$$/ runs/'
	@rm -rf $(ST_FUZZ_OUT)/smoke

# mk/hardening.mk sorts before this file; when it is there, its `fuzz` runs this harness too.
ifndef FUZZ_HARNESSES
.PHONY: fuzz
fuzz: fuzz-safetensors
endif

TEST_EXTRA += fuzz-safetensors-smoke

# Loading a large safetensors file through the memory map against read + copy
# (bench/io_load.c, built by mk/bench.mk's rule for bench/*.c).
.PHONY: bench-io
BENCH_IO_MIB ?= 1024
bench-io: lib $(OUT)/bin/bench_io_load
	$(OUT)/bin/bench_io_load $(BENCH_IO_MIB)
