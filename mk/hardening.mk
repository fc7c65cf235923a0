# Hardening (issue 9): the FFI description, ABI stability, the misuse suite,
# the thread stress test, the API fuzzer, leak and sanitizer runs.
#
#   make api.json       regenerate api.json (the FFI description) from the headers
#   make check-api      api.json is up to date with the headers          (make test)
#   make check-abi      the library exports every symbol of abi/symbols.txt,
#                       and the list holds every export                  (make test)
#   make abi-update     add new exports to abi/symbols.txt (never removes one)
#   make misuse         the misuse suite: ~2000 cases, each in a forked child (make test)
#   make stress         models trained on several threads at once, and the
#                       thread-safe globals hammered from many threads   (make test)
#   make memcheck-all   valgrind over every example and every C test
#   make asan / tsan    the Swift tests under AddressSanitizer / ThreadSanitizer;
#                       tsan also runs the stress test against a TSan build of the library
#   make fuzz           build the libFuzzer harnesses (fuzz/*_fuzz.c) against a
#                       coverage-instrumented library and run each FUZZ_TIME seconds
#   make fuzz-smoke     the harnesses without libFuzzer on their corpus and 2000
#                       random inputs, against the release library         (make test)
#   make handle-cost    the per-call cost of handle validation
#
# ffi_api (Tests/c/ffi_api.c) runs with the other C tests (c-tests, memcheck);
# it needs libffi-dev. fuzz, asan and tsan need clang's sanitizer runtimes
# (shipped with the Swift toolchain's clang).

.PHONY: fuzz-smoke deps-hardening sanitizer-runtimes api.json check-api check-abi abi-update misuse stress memcheck-all asan tsan tsan-stress fuzz fuzz-lib handle-cost

HARDENING_CC  ?= clang
FUZZ_TIME     ?= 60
FUZZ_FLAGS    ?=
FUZZ_BUILD    := .build-fuzz
TSAN_BUILD    := .build-tsan
ASAN_BUILD    := .build-asan
VALGRIND      := valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
                 --errors-for-leak-kinds=definite,indirect --error-exitcode=9
LINK_EMBER    := -L$(OUT)/lib -lember -Wl,-rpath,$(abspath $(OUT))/lib

# libffi-dev for ffi_api and valgrind for the leak checks join the system
# packages `make deps` installs when missing. The sanitizer and libFuzzer
# runtimes come with the Swift toolchain's clang (checked by asan/tsan/fuzz).
deps: deps-hardening
deps-hardening:
	@if ! printf '#include <ffi.h>\n' | $(CC) -E -x c - >/dev/null 2>&1 || ! command -v valgrind >/dev/null 2>&1; then \
	    echo "Installing libffi-dev and valgrind"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libffi-dev valgrind >/dev/null; \
	fi

sanitizer-runtimes:
	@printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' | \
	    $(HARDENING_CC) -fsanitize=fuzzer,address -x c - -o /dev/null 2>/dev/null || \
	    { echo "$(HARDENING_CC) cannot link -fsanitize=fuzzer,address: use the Swift toolchain's clang (HARDENING_CC=/path/to/swift/usr/bin/clang)"; exit 1; }

# ---- The FFI description and the ABI -----------------------------------------

api.json:
	python3 tools/gen_api.py include > api.json
	@python3 tools/gen_api.py include --check api.json

check-api:
	@python3 tools/gen_api.py include --check api.json

check-abi: lib
	@tools/check_abi.sh abi/symbols.txt $(LIB)

abi-update: lib
	@tools/check_abi.sh --update abi/symbols.txt $(LIB)

# ffi_api dlopens the library instead of linking it, and links libffi.
$(OUT)/tests/ffi_api: Tests/c/ffi_api.c include/ember.h include/ember/*.h | lib
	@mkdir -p $(OUT)/tests
	$(CC) $(CSTRICT) -O1 -g -Iinclude $< -o $@ -lffi -ldl \
	    -DEMBER_FFI_LIB='"$(abspath $(OUT))/lib/$(SONAME)"' -DEMBER_FFI_API='"$(CURDIR)/api.json"'

# ---- The misuse suite ------------------------------------------------------------

# The runner and the case files whose functions api.json has (a case file for
# a section not in the headers yet, such as cases_io.c before ember/io.h
# lands, is left out; tools/gen_misuse.py says so).
MISUSE_SRC = Tests/misuse/runner.c $(shell python3 tools/gen_misuse.py --sources api.json Tests/misuse)

$(OUT)/misuse/cases.c: $(CURDIR)/api.json $(wildcard Tests/misuse/cases_*.c) tools/gen_misuse.py
	@mkdir -p $(OUT)/misuse
	python3 tools/gen_misuse.py api.json Tests/misuse > $@

$(OUT)/misuse/misuse: $(MISUSE_SRC) $(OUT)/misuse/cases.c Tests/misuse/misuse.h include/ember.h include/ember/*.h | lib
	$(CC) $(CSTRICT) -O1 -g -Iinclude -ITests/misuse $(MISUSE_SRC) $(OUT)/misuse/cases.c -o $@ $(LINK_EMBER) -lm

misuse: lib $(OUT)/misuse/misuse
	@$(OUT)/misuse/misuse -j 2

# ---- Threads ----------------------------------------------------------------------

$(OUT)/stress/stress: Tests/stress/stress.c include/ember.h include/ember/*.h | lib
	@mkdir -p $(OUT)/stress
	$(CC) $(CSTRICT) -O1 -g -pthread -Iinclude $< -o $@ $(LINK_EMBER) -lm

stress: lib $(OUT)/stress/stress
	@$(OUT)/stress/stress

TEST_EXTRA += check-api check-abi misuse stress fuzz-smoke

# ---- Leaks: valgrind over every example and every C test ------------------------------------

# Examples run as run-% runs them (in $(OUT)/run, with ARGS_*), except the two
# long trainings, which run shorter under valgrind (a leak shows in the first
# steps as in the last); their own end-of-training goals are then not reached,
# so their exit status 1 is accepted. MEMCHECK_FULL=1 runs them with ARGS_*.
MEMCHECK_ARGS_digits_cnn := $(CURDIR)/examples/data/digits.csv.gz 1
MEMCHECK_ARGS_char_lm    := $(CURDIR)/README.md 10 40
MEMCHECK_SHORT           := $(if $(MEMCHECK_FULL),,digits_cnn char_lm)
# dist_* examples run under mpirun against libember_dist (mk/dist.mk), not here.
EXAMPLE_NAMES            := $(patsubst examples/%.c,%,$(filter-out examples/dist_%.c,$(wildcard examples/*.c)))

memcheck-all: lib
	@$(MAKE) --no-print-directory $(addprefix memcheck-example-,$(EXAMPLE_NAMES)) $(addprefix memcheck-test-,$(notdir $(CTESTS)) stress)
	@echo "memcheck-all: every example and C test: 0 bytes definitely or indirectly lost, no memory errors"

memcheck-example-%: $(OUT)/bin/%
	@mkdir -p $(OUT)/run
	@cd $(OUT)/run && args='$(if $(filter $*,$(MEMCHECK_SHORT)),$(MEMCHECK_ARGS_$*),$(ARGS_$*))'; \
	    $(VALGRIND) $(abspath $(OUT))/bin/$* $$args > $*.memcheck.log 2>&1; rc=$$?; \
	    if [ $$rc = 9 ] || [ $$rc -ge 128 ] || { [ $$rc != 0 ] && [ -z '$(filter $*,$(MEMCHECK_SHORT))' ]; }; then \
	        cat $*.memcheck.log; echo "memcheck: example $* FAILED (exit status $$rc)"; exit 1; fi; \
	    echo "memcheck: example $* $$args clean$$( [ $$rc = 0 ] || echo " (exit status $$rc: its goal is not reached in a short run)")"

memcheck-test-%: $(OUT)/tests/%
	@$(VALGRIND) $< > /dev/null && echo "memcheck: $< clean"

memcheck-test-stress: $(OUT)/stress/stress
	@$(VALGRIND) $< > /dev/null && echo "memcheck: $< clean"

# ---- Sanitizers ----------------------------------------------------------------------------
#
# `make asan`: the Swift tests under AddressSanitizer, then the C tests, the
# misuse suite and the stress test against an ASan build of the library (the
# C side compiled with clang -fsanitize=address). `make tsan`: the Swift tests
# under ThreadSanitizer, then the stress test against a TSan build of the
# library. Debug builds, in $(ASAN_BUILD) and $(TSAN_BUILD).
#
# allocator_may_return_null: the library asks malloc for absurd sizes and
# turns NULL into EMBER_ERR_OUT_OF_MEMORY; by default the sanitizers abort on
# such a request instead. detect_leaks=0 for the Swift tests: XCTest itself
# leaks its test-case objects on Linux (leaks are checked by memcheck-all and
# by the fuzzer's LeakSanitizer). Tests/stress/tsan.supp: ThreadSanitizer does
# not see Synchronization.Mutex (futex-based) synchronise; it lists the
# accesses Ember makes under its Mutexes. EMBER_CACHE_MB=0 turns off the
# cache of freed tensor memory, so every free reaches the sanitizer;
# EMBER_SANITIZED makes the tests that load the library into Python skip.

SWIFT_RUNTIME    := $(abspath $(dir $(shell command -v $(SWIFT) 2>/dev/null))../lib/swift/linux)
SAN_CFLAGS       := -g -O1 -std=c99 -pthread -Iinclude -fuse-ld=lld
ASAN_ENV         := EMBER_SANITIZED=1 EMBER_CACHE_MB=0 ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=3072:detect_leaks=0
TSAN_ENV         := EMBER_SANITIZED=1 EMBER_CACHE_MB=0 TSAN_OPTIONS=suppressions=$(CURDIR)/Tests/stress/tsan.supp:allocator_may_return_null=1:halt_on_error=1

# The library of a sanitizer build dir, as libember.so.0 in DIR/out/lib.
define sanitized-lib
	$(SWIFT) build --product ember $(2) --scratch-path $(1) -Xlinker -soname=$(SONAME)
	@mkdir -p $(1)/out/lib
	@ln -sf $(abspath $(1))/debug/libember.so $(1)/out/lib/$(SONAME)
	@ln -sf $(SONAME) $(1)/out/lib/libember.so
endef

SAN_LINK = -L$(1)/out/lib -lember -L$(SWIFT_RUNTIME) -Wl,-rpath,$(abspath $(1))/out/lib:$(SWIFT_RUNTIME) -lm

asan: deps sanitizer-runtimes
	$(SWIFT) build --build-tests --sanitize=address --scratch-path $(ASAN_BUILD)
	$(ASAN_ENV) $(SWIFT) test --skip-build --sanitize=address --scratch-path $(ASAN_BUILD)
	$(call sanitized-lib,$(ASAN_BUILD),--sanitize=address)
	@mkdir -p $(ASAN_BUILD)/out/misuse
	python3 tools/gen_misuse.py api.json Tests/misuse > $(ASAN_BUILD)/out/misuse/cases.c
	$(HARDENING_CC) -fsanitize=address $(SAN_CFLAGS) -ITests/misuse $(MISUSE_SRC) $(ASAN_BUILD)/out/misuse/cases.c \
	    -o $(ASAN_BUILD)/out/misuse/misuse $(call SAN_LINK,$(ASAN_BUILD))
	$(HARDENING_CC) -fsanitize=address $(SAN_CFLAGS) Tests/stress/stress.c -o $(ASAN_BUILD)/out/stress $(call SAN_LINK,$(ASAN_BUILD))
	$(HARDENING_CC) -fsanitize=address $(SAN_CFLAGS) Tests/c/test_api.c -o $(ASAN_BUILD)/out/test_api $(call SAN_LINK,$(ASAN_BUILD))
	$(HARDENING_CC) -fsanitize=address $(SAN_CFLAGS) Tests/c/ffi_api.c -o $(ASAN_BUILD)/out/ffi_api -lffi -ldl \
	    -DEMBER_FFI_LIB='"$(abspath $(ASAN_BUILD))/out/lib/$(SONAME)"' -DEMBER_FFI_API='"$(CURDIR)/api.json"' -L$(SWIFT_RUNTIME) -Wl,-rpath,$(SWIFT_RUNTIME)
	$(subst detect_leaks=0,detect_leaks=1,$(ASAN_ENV)) $(ASAN_BUILD)/out/test_api
	$(subst detect_leaks=0,detect_leaks=1,$(ASAN_ENV)) $(ASAN_BUILD)/out/stress
	$(ASAN_ENV) $(ASAN_BUILD)/out/ffi_api > /dev/null
	$(ASAN_ENV) $(ASAN_BUILD)/out/misuse/misuse -j 2
	@echo "asan: the Swift tests, the C tests, the misuse suite and the stress test ran clean under AddressSanitizer"

tsan: deps sanitizer-runtimes
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path $(TSAN_BUILD)
	$(TSAN_ENV) $(SWIFT) test --skip-build --sanitize=thread --scratch-path $(TSAN_BUILD)
	@$(MAKE) --no-print-directory tsan-stress

# The stress test against a TSan build of the library (the TSan runtime of
# the Swift toolchain's clang intercepts libdispatch: link it).
tsan-stress: deps
	$(call sanitized-lib,$(TSAN_BUILD),--sanitize=thread)
	$(HARDENING_CC) -fsanitize=thread $(SAN_CFLAGS) Tests/stress/stress.c -o $(TSAN_BUILD)/out/stress \
	    $(call SAN_LINK,$(TSAN_BUILD)) -ldispatch -lBlocksRuntime
	$(TSAN_ENV) $(TSAN_BUILD)/out/stress
	@echo "tsan: the stress test ran clean under ThreadSanitizer"

# ---- The API fuzzer (and every other fuzz/*_fuzz.c harness) ----------------------------------
#
# The library is built with ASan and libFuzzer's coverage (inline 8-bit
# counters, PC table, comparison tracing), so the fuzzer is guided by the
# library's code, not only the harness's. Each harness runs FUZZ_TIME seconds
# on its corpus ($(FUZZ_BUILD)/corpus/NAME, seeded from fuzz/NAME_corpus or
# fuzz/<name without _fuzz>_corpus, with the dictionary fuzz/<name>.dict, if
# present); crashes are written to
# $(FUZZ_BUILD)/crashes/NAME/ and fail the target. Reproduce one with
# `$(FUZZ_BUILD)/out/NAME CRASH_FILE`; minimize with `-minimize_crash=1 -runs=10000 CRASH_FILE`.

FUZZ_HARNESSES := $(patsubst fuzz/%.c,%,$(wildcard fuzz/*_fuzz.c))
FUZZ_COVERAGE  := -Xswiftc -sanitize-coverage=edge,trace-cmp,indirect-calls,inline-8bit-counters,pc-table
FUZZ_ENV       := EMBER_CACHE_MB=0 ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=2048

fuzz-lib: deps sanitizer-runtimes
	$(call sanitized-lib,$(FUZZ_BUILD),--sanitize=address $(FUZZ_COVERAGE))

$(FUZZ_BUILD)/out/%_fuzz: fuzz/%_fuzz.c include/ember.h include/ember/*.h fuzz-lib
	$(HARDENING_CC) -fsanitize=fuzzer,address -g -O1 -fuse-ld=lld -Iinclude $< -o $@ $(call SAN_LINK,$(FUZZ_BUILD))

fuzz: fuzz-lib $(addprefix $(FUZZ_BUILD)/out/,$(FUZZ_HARNESSES))
	@set -e; for h in $(FUZZ_HARNESSES); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$h $(FUZZ_BUILD)/crashes/$$h; \
	    seeds=""; for d in fuzz/$${h}_corpus fuzz/$${h%_fuzz}_corpus; do [ -d $$d ] && seeds="$$seeds $$d"; done; \
	    dict=""; for f in fuzz/$${h}.dict fuzz/$${h%_fuzz}.dict; do [ -f $$f ] && dict="-dict=$$f"; done; \
	    echo "== $$h: $(FUZZ_TIME) s"; \
	    $(FUZZ_ENV) $(FUZZ_BUILD)/out/$$h $$dict -max_total_time=$(FUZZ_TIME) -timeout=20 -rss_limit_mb=3072 $(FUZZ_FLAGS) \
	        -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/crashes/$$h/ $(FUZZ_BUILD)/corpus/$$h $$seeds \
	        || { echo "$$h found a crash: see $(FUZZ_BUILD)/crashes/$$h/"; exit 1; }; \
	done

# A quick smoke for `make test`: the harnesses linked with fuzz/replay.c (no
# libFuzzer, no instrumentation; GNU C with the same compiler as the fuzzer, so that inputs
# replay the same calls) against the release library, run on their
# corpus and FUZZ_SMOKE_INPUTS random inputs from a fixed seed.
FUZZ_SMOKE_INPUTS ?= 2000

$(OUT)/fuzz/%_fuzz: fuzz/%_fuzz.c fuzz/replay.c include/ember.h include/ember/*.h | lib
	@mkdir -p $(OUT)/fuzz
	$(HARDENING_CC) -std=gnu11 -Wall -Wextra -Werror -O1 -g -Iinclude $< fuzz/replay.c -o $@ $(LINK_EMBER) -lm

fuzz-smoke: lib $(addprefix $(OUT)/fuzz/,$(FUZZ_HARNESSES))
	@set -e; for h in $(FUZZ_HARNESSES); do \
	    corpus=""; for d in fuzz/$${h}_corpus fuzz/$${h%_fuzz}_corpus; do [ -d $$d ] && corpus="$$corpus $$(ls -d $$d/* 2>/dev/null)"; done; \
	    echo "== $$h"; $(OUT)/fuzz/$$h -n $(FUZZ_SMOKE_INPUTS) $$corpus; \
	done

# ---- Handle validation cost ------------------------------------------------------------

$(OUT)/bin/handle_cost: Tests/stress/handle_cost.c include/ember.h include/ember/*.h | lib
	@mkdir -p $(OUT)/bin
	$(CC) $(CSTRICT) -O2 -pthread -Iinclude $< -o $@ $(LINK_EMBER)

handle-cost: lib $(OUT)/bin/handle_cost
	OPENBLAS_NUM_THREADS=1 $(OUT)/bin/handle_cost
