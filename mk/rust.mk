# The Rust binding (issue 11): bindings/rust, a crate with no dependencies
# outside std whose build.rs generates the raw bindings from the headers.
#
#   make rust-test   cargo test --offline in bindings/rust, built against the
#                    installed prefix build/pkg-prefix (found with pkg-config); the
#                    tests also check that build.rs declares exactly the functions
#                    tools/gen_api.py finds, and that the seed network's losses are
#                    those of tests/seed_reference.c, the same run as a C program.
#                    Then runs examples/seed_loop.rs, whose last lines must be the
#                    ones docs/TUTORIAL.md shows. Skipped, with a message, without
#                    cargo. (make test)
#   make rust-doc    cargo doc for the crate (target/doc)

CARGO         ?= $(firstword $(shell command -v cargo 2>/dev/null) $(wildcard $(HOME)/.cargo/bin/cargo))
RUST_TARGET   := $(CURDIR)/$(OUT)/rust

.PHONY: rust-test rust-doc

ifeq ($(CARGO),)
rust-test rust-doc:
	@echo "$@: skipped, cargo not found (install Rust, or set CARGO=/path/to/cargo)"
else
rust-test: pkg-prefix
	@set -e; echo "== rust: cargo test --offline against $(PKG_PREFIX)"; \
	$(PYTHON3) tools/gen_api.py $(PKG_PREFIX)/include > $(OUT)/api.json; \
	PKG_CONFIG_PATH=$(PKG_PREFIX)/lib/pkgconfig $(CC) $(CSTRICT) bindings/rust/tests/seed_reference.c -o $(OUT)/seed_reference \
	    $$(PKG_CONFIG_PATH=$(PKG_PREFIX)/lib/pkgconfig pkg-config --cflags --libs ember) -Wl,-rpath,$(PKG_PREFIX)/lib; \
	$(OUT)/seed_reference > $(OUT)/seed_reference.txt; \
	cd bindings/rust && env -u EMBER_LIBRARY -u EMBER_INCLUDE_DIR PATH="$(dir $(CARGO)):$$PATH" PKG_CONFIG_PATH=$(PKG_PREFIX)/lib/pkgconfig \
	    EMBER_API_JSON=$(CURDIR)/$(OUT)/api.json EMBER_SEED_REFERENCE=$(CURDIR)/$(OUT)/seed_reference.txt CARGO_TARGET_DIR=$(RUST_TARGET) \
	    $(CARGO) test --offline --quiet -- --nocapture
	@set -e; echo "== rust: cargo run --example seed_loop (docs/TUTORIAL.md's Rust listing)"; \
	out=$$(cd bindings/rust && env -u EMBER_LIBRARY -u EMBER_INCLUDE_DIR PATH="$(dir $(CARGO)):$$PATH" PKG_CONFIG_PATH=$(PKG_PREFIX)/lib/pkgconfig \
	    CARGO_TARGET_DIR=$(RUST_TARGET) $(CARGO) run --offline --quiet --example seed_loop); \
	echo "$$out" | tail -n 3; \
	echo "$$out" | tail -n 3 | while IFS= read -r line; do grep -qxF "$$line" docs/TUTORIAL.md \
	    || { echo "rust-test: '$$line' is not the output docs/TUTORIAL.md shows"; exit 1; }; done; \
	echo "rust-test: the example prints the tutorial's (and PyTorch's) last epochs and accuracy"

rust-doc: pkg-prefix
	cd bindings/rust && PKG_CONFIG_PATH=$(PKG_PREFIX)/lib/pkgconfig CARGO_TARGET_DIR=$(RUST_TARGET) $(CARGO) doc --offline --no-deps
endif

TEST_EXTRA += rust-test
