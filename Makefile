# Ember: build libember.so, run the demo and the tests.
#
#   make            build build/lib/libember.so (release, Swift runtime inside)
#   make demo       install missing system packages, build, train the seed network from C
#   make test       everything CI checks: Swift tests, every example (-Werror) run,
#                   the C tests, header hygiene, header <-> export agreement
#   make install PREFIX=/usr/local   header, library with symlinks, ember.pc
#   make clean

VERSION       := 0.1.0
SOVERSION     := 0
PREFIX        ?= /usr/local
LIBDIR        ?= $(PREFIX)/lib
INCLUDEDIR    ?= $(PREFIX)/include
SWIFT         ?= swift
CC            ?= cc
OUT           := build
LIB           := $(OUT)/lib/libember.so.$(VERSION)
SONAME        := libember.so.$(SOVERSION)
CSTRICT       := -std=c99 -pedantic -Wall -Wextra -Werror
EXAMPLES      := $(patsubst examples/%.c,$(OUT)/bin/%,$(wildcard examples/*.c))
CTESTS        := $(patsubst Tests/c/%.c,$(OUT)/tests/%,$(wildcard Tests/c/*.c))
SUDO          := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The release link: static Swift runtime, the C API as the only exports, a
# SONAME with the major version. lld, because gold leaves local Swift symbols
# in the dynamic symbol table.
SWIFT_LINK    := -Xswiftc -static-stdlib -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld \
                 -Xlinker --version-script=$(CURDIR)/tools/ember.map -Xlinker -soname=$(SONAME)

# Each area may add its own targets in mk/NAME.mk, and steps to `make test`
# by appending to TEST_EXTRA (e.g. `TEST_EXTRA += python-test`).
TEST_EXTRA    :=
include $(sort $(wildcard mk/*.mk))
.DEFAULT_GOAL := all

.PHONY: all lib deps demo test swift-test examples run-examples c-tests check-header check-exports \
        memcheck install-check install uninstall clean

all: lib

# System packages the build needs, installed only when missing.
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists openblas || ! command -v valgrind >/dev/null 2>&1; then \
	    echo "Installing libopenblas-dev, pkg-config and valgrind"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libopenblas-dev pkg-config valgrind >/dev/null; \
	fi

lib: deps
	$(SWIFT) build -c release --product ember $(SWIFT_LINK)
	@mkdir -p $(OUT)/lib
	@cp -f .build/release/libember.so $(LIB)
	@ln -sf libember.so.$(VERSION) $(OUT)/lib/$(SONAME)
	@ln -sf $(SONAME) $(OUT)/lib/libember.so
	@echo "built $(LIB)"

$(OUT)/bin/%: examples/%.c examples/common.h include/ember.h include/ember/*.h | lib
	@mkdir -p $(OUT)/bin
	$(CC) $(CSTRICT) -O2 -Iinclude $< -o $@ -L$(OUT)/lib -lember -lm -Wl,-rpath,'$$ORIGIN/../lib'

$(OUT)/tests/%: Tests/c/%.c Tests/c/check.h include/ember.h include/ember/*.h | lib
	@mkdir -p $(OUT)/tests
	$(CC) $(CSTRICT) -O1 -g -Iinclude $< -o $@ -L$(OUT)/lib -lember -lm -Wl,-rpath,'$$ORIGIN/../lib'

examples: lib $(EXAMPLES)

demo: lib $(OUT)/bin/seed_loop
	$(OUT)/bin/seed_loop

# Every example runs in build/run (where they write their CSV and images),
# with the arguments below; its output goes to build/run/NAME.log.
ARGS_digits_cnn := $(CURDIR)/examples/data/digits.csv.gz
ARGS_char_lm  := $(CURDIR)/README.md 150 200
EXAMPLE_RUNS  := $(patsubst examples/%.c,run-%,$(wildcard examples/*.c))

run-%: $(OUT)/bin/%
	@mkdir -p $(OUT)/run
	@echo "== $*"
	@cd $(OUT)/run && { $(CURDIR)/$(OUT)/bin/$* $(ARGS_$*) > $*.log 2>&1 || { cat $*.log; exit 1; }; }
	@tail -n 3 $(OUT)/run/$*.log

run-examples: examples $(EXAMPLE_RUNS)

c-tests: lib $(CTESTS)
	@set -e; for t in $(CTESTS); do echo "== $$t"; $$t; done

swift-test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

check-header:
	@printf '#include "ember.h"\nint main(void){return 0;}\n' | $(CC) $(CSTRICT) -Iinclude -x c - -fsyntax-only
	@printf '#include "ember.h"\nint main(){return 0;}\n' | c++ -std=c++17 -Wall -Wextra -Werror -Iinclude -x c++ - -fsyntax-only
	@echo "header: clean C99 and C++17"

check-exports: lib
	@tools/check_exports.sh include $(LIB)
	@tools/check_simd_isolation.sh "$$($(SWIFT) build -c release --show-bin-path)"

# The seed loop and the C tests under valgrind: no definite or indirect leaks, no memory errors.
memcheck: $(OUT)/bin/seed_loop $(CTESTS)
	@set -e; for p in $(OUT)/bin/seed_loop $(CTESTS); do \
	    valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=9 $$p > /dev/null; \
	    echo "memcheck: $$p clean"; done

# make install into a scratch prefix, then build the seed loop the way a user
# would: with pkg-config, against the installed header and library only.
install-check: lib
	@rm -rf $(OUT)/prefix
	@$(MAKE) --no-print-directory install PREFIX=$(CURDIR)/$(OUT)/prefix > /dev/null
	@PKG_CONFIG_PATH=$(OUT)/prefix/lib/pkgconfig $(CC) $(CSTRICT) examples/seed_loop.c -o $(OUT)/seed_loop_installed \
	    $$(PKG_CONFIG_PATH=$(OUT)/prefix/lib/pkgconfig pkg-config --cflags --libs ember) -Wl,-rpath,$(CURDIR)/$(OUT)/prefix/lib
	@$(OUT)/seed_loop_installed > /dev/null
	@echo "install-check: built and ran the seed loop against the installed prefix via pkg-config"

test: deps lib check-header check-exports swift-test run-examples c-tests memcheck install-check $(TEST_EXTRA)
	@echo "make test: all passed"

install: lib
	install -d $(DESTDIR)$(INCLUDEDIR)/ember $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 include/ember.h $(DESTDIR)$(INCLUDEDIR)/ember.h
	install -m 644 include/ember/*.h $(DESTDIR)$(INCLUDEDIR)/ember/
	install -m 755 $(LIB) $(DESTDIR)$(LIBDIR)/libember.so.$(VERSION)
	ln -sf libember.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libember.so
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
	    tools/ember.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/ember.pc

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/ember.h $(DESTDIR)$(LIBDIR)/libember.so* $(DESTDIR)$(LIBDIR)/pkgconfig/ember.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/ember

clean:
	rm -rf $(OUT)
	$(SWIFT) package clean
