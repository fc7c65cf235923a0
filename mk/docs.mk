# Documentation and packaging (issue 11).
#
#   make docs                the API reference from the header's doc comments:
#                            build/docs/html/index.html (doxygen; any warning fails)
#   make check-doc-comments  every public function and callback type in the headers has a
#                            /** */ comment; the check must also fail on Tests/docs/undocumented.h
#   make check-doc-names     every ember_* name in docs/TUTORIAL.md and README.md is declared,
#                            in the header its table row names
#   make check-version       the Makefile's VERSION, the EMBER_VERSION_* macros and
#                            CHANGELOG.md agree
#   make consumer-check      make install into build/pkg-prefix, then build and run
#                            examples/consumer with CMake (find_package(ember), ember::ember)
#                            and with pkg-config, against that prefix only
#   make install             (extended here) also installs LIBDIR/cmake/ember/emberConfig.cmake
#                            and emberConfigVersion.cmake
#
# All of them but install run in `make test`.

PYTHON3       ?= python3
CMAKEDIR      ?= $(LIBDIR)/cmake/ember
PKG_PREFIX    := $(CURDIR)/$(OUT)/pkg-prefix
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))

.PHONY: deps-docs docs check-doc-comments check-doc-names check-version install-cmake uninstall-cmake pkg-prefix consumer-check

# doxygen for `make docs`, cmake for the consumer project, python3 for the
# checks; installed with the other system packages when missing.
deps: deps-docs
deps-docs:
	@if ! command -v doxygen >/dev/null 2>&1 || ! command -v cmake >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then \
	    echo "Installing doxygen, cmake and python3"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq doxygen cmake python3 >/dev/null; \
	fi

docs: deps-docs
	@rm -rf $(OUT)/docs && mkdir -p $(OUT)/docs
	@$(PYTHON3) tools/doc_mainpage.py include docs/api/mainpage.md > $(OUT)/docs/mainpage.md
	@EMBER_VERSION=$(VERSION) doxygen docs/api/Doxyfile || { cat $(OUT)/docs/warnings.log; echo "docs: doxygen failed"; exit 1; }
	@if [ -s $(OUT)/docs/warnings.log ]; then cat $(OUT)/docs/warnings.log; echo "docs: doxygen warned"; exit 1; fi
	@echo "docs: $(OUT)/docs/html/index.html, no warnings"

# The check on the real headers, then on a fixture it must reject: it has to
# fail there and name exactly the fixture's *_bad_* declarations.
check-doc-comments: deps-docs
	@$(PYTHON3) tools/check_doc_comments.py include
	@set -e; out=$$($(PYTHON3) tools/check_doc_comments.py Tests/docs/undocumented.h) && status=0 || status=$$?; \
	if [ $$status -ne 1 ]; then echo "$$out"; echo "check-doc-comments: expected exit 1 on Tests/docs/undocumented.h, got $$status"; exit 1; fi; \
	want=$$(grep -oE '\bember_fixture_bad_\w+' Tests/docs/undocumented.h | sort -u); \
	got=$$(echo "$$out" | grep -oE '\bember_fixture_bad_\w+' | sort -u); \
	if [ "$$want" != "$$got" ]; then echo "$$out"; echo "check-doc-comments: the fixture's undocumented declarations were not all reported (or others were)"; exit 1; fi; \
	echo "check-doc-comments: fails as it should on Tests/docs/undocumented.h ($$(echo "$$want" | wc -l) undocumented declarations named)"

check-doc-names: deps-docs
	@$(PYTHON3) tools/check_doc_names.py include docs/TUTORIAL.md README.md

check-version:
	@set -e; h=include/ember/base.h; \
	v=$$(sed -n 's/^#define EMBER_VERSION_MAJOR \([0-9]*\)$$/\1/p' $$h).$$(sed -n 's/^#define EMBER_VERSION_MINOR \([0-9]*\)$$/\1/p' $$h).$$(sed -n 's/^#define EMBER_VERSION_PATCH \([0-9]*\)$$/\1/p' $$h); \
	if [ "$$v" != "$(VERSION)" ]; then echo "check-version: EMBER_VERSION_* say $$v but the Makefile's VERSION is $(VERSION)"; exit 1; fi; \
	if [ "$(VERSION_MAJOR)" != "$(SOVERSION)" ]; then echo "check-version: SOVERSION $(SOVERSION) is not the major version of $(VERSION)"; exit 1; fi; \
	if ! grep -qE '^## \[?$(subst .,\.,$(VERSION))\]?' CHANGELOG.md; then echo "check-version: CHANGELOG.md has no section for $(VERSION)"; exit 1; fi; \
	echo "check-version: $(VERSION) in the Makefile, the header and CHANGELOG.md; SONAME libember.so.$(SOVERSION)"

# CMake package files, with paths relative to their own directory so the
# installed tree can be moved.
install: install-cmake
install-cmake:
	install -d $(DESTDIR)$(CMAKEDIR)
	sed -e 's|@REL_INCLUDEDIR@|$(shell realpath -m --relative-to=$(CMAKEDIR) $(INCLUDEDIR))|; s|@REL_LIBDIR@|$(shell realpath -m --relative-to=$(CMAKEDIR) $(LIBDIR))|' \
	    -e 's|@VERSION@|$(VERSION)|g; s|@SOVERSION@|$(SOVERSION)|g' tools/cmake/emberConfig.cmake.in > $(DESTDIR)$(CMAKEDIR)/emberConfig.cmake
	sed -e 's|@VERSION@|$(VERSION)|g; s|@MAJOR@|$(VERSION_MAJOR)|g' tools/cmake/emberConfigVersion.cmake.in > $(DESTDIR)$(CMAKEDIR)/emberConfigVersion.cmake

uninstall: uninstall-cmake
uninstall-cmake:
	rm -rf $(DESTDIR)$(CMAKEDIR)
	-rmdir $(DESTDIR)$(LIBDIR)/cmake 2>/dev/null

# A scratch installation that the consumer project and the Rust crate build
# against, as they would against /usr/local. The library is built by the
# prerequisite, so the sub-make need not run swift build again (-o lib).
pkg-prefix: lib
	@rm -rf $(PKG_PREFIX)
	@$(MAKE) --no-print-directory -o lib -o deps install PREFIX=$(PKG_PREFIX) > /dev/null
	@echo "pkg-prefix: installed into $(PKG_PREFIX)"

consumer-check: pkg-prefix deps-docs
	@rm -rf $(OUT)/consumer && mkdir -p $(OUT)/consumer
	@echo "== consumer: CMake, find_package(ember) from $(PKG_PREFIX)"
	@cmake -S examples/consumer -B $(OUT)/consumer/cmake -DCMAKE_PREFIX_PATH=$(PKG_PREFIX) -DCMAKE_BUILD_TYPE=Release \
	    -DCMAKE_C_FLAGS="-Wall -Wextra -Werror -pedantic" > $(OUT)/consumer/cmake.log 2>&1 \
	    && cmake --build $(OUT)/consumer/cmake >> $(OUT)/consumer/cmake.log 2>&1 || { cat $(OUT)/consumer/cmake.log; exit 1; }
	@grep -q "ember 0*$(VERSION) in $(PKG_PREFIX)/lib/cmake/ember" $(OUT)/consumer/cmake.log \
	    || { cat $(OUT)/consumer/cmake.log; echo "consumer: CMake found another ember"; exit 1; }
	@$(OUT)/consumer/cmake/consumer
	@if cmake -S examples/consumer -B $(OUT)/consumer/cmake-major -DCMAKE_PREFIX_PATH=$(PKG_PREFIX) \
	    -DEMBER_WANTED=$$(($(VERSION_MAJOR) + 1)).0 > $(OUT)/consumer/cmake-major.log 2>&1; then \
	    echo "consumer: find_package(ember $$(($(VERSION_MAJOR) + 1)).0) accepted $(VERSION)"; exit 1; fi
	@echo "== consumer: pkg-config from $(PKG_PREFIX)"
	@PKG_CONFIG_PATH=$(PKG_PREFIX)/lib/pkgconfig $(CC) $(CSTRICT) examples/consumer/consumer.c -o $(OUT)/consumer/consumer-pkgconfig \
	    $$(PKG_CONFIG_PATH=$(PKG_PREFIX)/lib/pkgconfig pkg-config --cflags --libs ember) -Wl,-rpath,$(PKG_PREFIX)/lib
	@$(OUT)/consumer/consumer-pkgconfig
	@echo "consumer-check: the consumer project built and ran with CMake and with pkg-config; find_package rejected another major version"

TEST_EXTRA += docs check-doc-comments check-doc-names check-version consumer-check
