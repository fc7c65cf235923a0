# Distributed training over MPI: libember_dist.so (include/ember_dist.h),
# written in C on libember's C API and Open MPI, so libember itself keeps no
# MPI dependency. See docs/DISTRIBUTED.md.
#
#   make dist           build/lib/libember_dist.so (needs mpicc: openmpi-bin, libopenmpi-dev)
#   make dist-test      the distributed tests under mpirun -np 2 (part of make test)
#   make dist-demo      examples/dist_digits.c: the digits model trained by 2 ranks on this machine
#   make dist-bench     steps/s and bytes communicated per step at 1 and 2 ranks
#   make dist-install PREFIX=/usr/local   include/ember_dist.h, lib/libember_dist.so*
#
# Every step skips with a message when mpicc or mpirun is missing.

MPICC         ?= mpicc
MPIRUN        ?= mpirun
DIST_LIB      := $(OUT)/lib/libember_dist.so.$(VERSION)
DIST_SONAME   := libember_dist.so.$(SOVERSION)
DIST_SRC      := $(wildcard Sources/EmberDist/*.c)
DIST_DEPS     := $(DIST_SRC) $(wildcard Sources/EmberDist/*.h) include/ember_dist.h include/ember.h include/ember/*.h tools/ember_dist.map
DIST_TESTS    := $(patsubst Tests/dist/%.c,$(OUT)/tests/dist/%,$(wildcard Tests/dist/test_*.c))
# Open MPI refuses to run as root unless told; several ranks on 2 cores need --oversubscribe.
MPIRUN_ENV    := $(if $(filter 0,$(shell id -u)),OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
MPIRUN_CMD    := $(MPIRUN_ENV) $(MPIRUN) --oversubscribe
# One BLAS thread per rank (the programs also call ember_set_num_threads(1): Ember reads no environment variable for it).
DIST_RUN_ENV  := OPENBLAS_NUM_THREADS=1
HAVE_MPI       = { command -v $(MPICC) >/dev/null 2>&1 && command -v $(MPIRUN) >/dev/null 2>&1; }
NO_MPI_MSG    := skipped: mpicc/mpirun not found (apt-get install openmpi-bin libopenmpi-dev, or make dist-deps)

# dist_digits.c needs libember_dist: take it out of the generic example rules.
EXAMPLES      := $(filter-out $(OUT)/bin/dist_%,$(EXAMPLES))

.PHONY: dist dist-deps dist-test dist-demo dist-bench dist-install check-dist-header run-dist_digits

# Open MPI joins the system packages `make deps` installs when missing. A
# failed installation only warns: the distributed steps then skip.
deps: dist-deps
dist-deps:
	@if ! command -v $(MPIRUN) >/dev/null 2>&1 || ! command -v $(MPICC) >/dev/null 2>&1; then \
	    echo "Installing openmpi-bin and libopenmpi-dev"; \
	    { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq openmpi-bin libopenmpi-dev >/dev/null; } \
	        || echo "warning: could not install Open MPI; the distributed steps will be skipped"; \
	fi

dist: | lib
	@if $(HAVE_MPI); then $(MAKE) --no-print-directory $(DIST_LIB); else echo "dist: $(NO_MPI_MSG)"; fi

# On the built libember ($(LIB)), not the phony `lib`: the steps below build
# that first, and sub-makes then need no second `swift build`.
$(DIST_LIB): $(DIST_DEPS) $(LIB)
	@mkdir -p $(OUT)/lib
	$(MPICC) -std=c11 -O2 -g -fPIC -Wall -Wextra -Werror -Iinclude -shared $(DIST_SRC) -o $@ \
	    -Wl,-soname,$(DIST_SONAME) -Wl,--version-script=$(CURDIR)/tools/ember_dist.map -Wl,--no-undefined \
	    -L$(OUT)/lib -lember -Wl,-rpath,'$$ORIGIN'
	@ln -sf libember_dist.so.$(VERSION) $(OUT)/lib/$(DIST_SONAME)
	@ln -sf $(DIST_SONAME) $(OUT)/lib/libember_dist.so
	@echo "built $@"

# Programs over libember_dist need no MPI headers: plain cc, strict C99.
$(OUT)/tests/dist/%: Tests/dist/%.c Tests/dist/dist_test.h $(DIST_LIB)
	@mkdir -p $(OUT)/tests/dist
	$(CC) $(CSTRICT) -O1 -g -Iinclude $< -o $@ -L$(OUT)/lib -lember_dist -lember -lm -Wl,-rpath,'$$ORIGIN/../../lib'

$(OUT)/bin/dist_%: examples/dist_%.c examples/common.h $(DIST_LIB)
	@mkdir -p $(OUT)/bin
	$(CC) $(CSTRICT) -O2 -Iinclude $< -o $@ -L$(OUT)/lib -lember_dist -lember -lm -Wl,-rpath,'$$ORIGIN/../lib'

$(OUT)/bin/bench_dist: bench/dist_train.c $(DIST_LIB)
	@mkdir -p $(OUT)/bin
	$(CC) -std=c99 -O2 -Iinclude $< -o $@ -L$(OUT)/lib -lember_dist -lember -lm -Wl,-rpath,'$$ORIGIN/../lib'

check-dist-header:
	@printf '#include "ember_dist.h"\nint main(void){return 0;}\n' | $(CC) $(CSTRICT) -Iinclude -x c - -fsyntax-only
	@printf '#include "ember_dist.h"\nint main(){return 0;}\n' | c++ -std=c++17 -Wall -Wextra -Werror -Iinclude -x c++ - -fsyntax-only
	@echo "ember_dist.h: clean C99 and C++17"

dist-test: check-dist-header | lib
	@if ! $(HAVE_MPI); then echo "dist-test: $(NO_MPI_MSG)"; exit 0; fi; \
	set -e; $(MAKE) --no-print-directory $(DIST_LIB) $(DIST_TESTS); \
	tools/check_dist_exports.sh include/ember_dist.h $(DIST_LIB); \
	for t in test_collectives test_ddp; do \
	    echo "== mpirun -np 2 $$t"; $(DIST_RUN_ENV) $(MPIRUN_CMD) -np 2 $(OUT)/tests/dist/$$t; done; \
	echo "== failure behaviour"; $(DIST_RUN_ENV) $(MPIRUN_ENV) Tests/dist/run_failure.sh $(OUT)/tests/dist/test_failure "$(MPIRUN) --oversubscribe"

ARGS_dist_digits := $(CURDIR)/examples/data/digits.csv.gz

dist-demo: | lib
	@if ! $(HAVE_MPI); then echo "dist-demo: $(NO_MPI_MSG)"; exit 0; fi; \
	$(MAKE) --no-print-directory $(OUT)/bin/dist_digits && mkdir -p $(OUT)/run && cd $(OUT)/run && \
	$(DIST_RUN_ENV) $(MPIRUN_CMD) -np 2 $(CURDIR)/$(OUT)/bin/dist_digits $(ARGS_dist_digits)

# run-examples runs every example; this one under mpirun, logged like the others.
run-dist_digits: | lib
	@echo "== dist_digits (mpirun -np 2)"
	@if ! $(HAVE_MPI); then echo "run-dist_digits: $(NO_MPI_MSG)"; exit 0; fi; \
	$(MAKE) --no-print-directory $(OUT)/bin/dist_digits && mkdir -p $(OUT)/run && cd $(OUT)/run && \
	{ $(DIST_RUN_ENV) $(MPIRUN_CMD) -np 2 $(CURDIR)/$(OUT)/bin/dist_digits $(ARGS_dist_digits) > dist_digits.log 2>&1 \
	    || { cat dist_digits.log; exit 1; }; } && tail -n 3 dist_digits.log

DIST_BENCH_ARGS ?= 300 64

dist-bench: | lib
	@if ! $(HAVE_MPI); then echo "dist-bench: $(NO_MPI_MSG)"; exit 0; fi; \
	$(MAKE) --no-print-directory $(OUT)/bin/bench_dist && \
	for n in 1 2; do $(DIST_RUN_ENV) $(MPIRUN_CMD) -np $$n $(OUT)/bin/bench_dist $(DIST_BENCH_ARGS); done

# The header and the library into PREFIX, beside `make install`'s libember.
dist-install: dist
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)
	install -m 644 include/ember_dist.h $(DESTDIR)$(INCLUDEDIR)/ember_dist.h
	install -m 755 $(DIST_LIB) $(DESTDIR)$(LIBDIR)/libember_dist.so.$(VERSION)
	ln -sf libember_dist.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(DIST_SONAME)
	ln -sf $(DIST_SONAME) $(DESTDIR)$(LIBDIR)/libember_dist.so

TEST_EXTRA += dist-test
