# Short verbs around CMake + Ninja. Every verb that builds first runs
# scripts/install-deps, which does nothing when all packages are present.
#
#   make / make build   Release build in $(BUILD_DIR); the CLI is $(BUILD_DIR)/outbreak
#   make web-deps       npm packages of the web UI (web/node_modules), when missing or stale
#   make test           both test trees (Release, then ASan+UBSan), the fuzz
#                       targets for 10 s each (fuzz-smoke), then format-check
#   make fuzz           libFuzzer targets (clang-14, ASan+UBSan) in $(FUZZ_DIR), each
#                       run for FUZZ_SECONDS from its seed corpus (docs/reliability.md)
#   make serve          build, then start the service on http://127.0.0.1:8080
#   make run            build, then run the default scenario
#   make bench          build, then the CLI benchmark and the Google Benchmark binary
#   make format         clang-format -i on every source file
#   make format-check   fail (listing the files) if any source file is not formatted
#   make clean          remove the build trees
#
# Variables: BUILD_DIR, ASAN_DIR, FUZZ_DIR, FUZZ_SECONDS (per target, default
# 60), FUZZ_CXX (default clang++-14), JOBS (build and ctest parallelism),
# CLANG_FORMAT, INSTALL_DEPS (set INSTALL_DEPS=true to skip the package check).

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CXX ?= clang++-14
JOBS ?= 2
CLANG_FORMAT ?= clang-format-14
INSTALL_DEPS ?= bash scripts/install-deps

CMAKE_COMMON := -G Ninja -DOUTBREAK_WERROR=ON
RELEASE_FLAGS := -DCMAKE_BUILD_TYPE=Release -DOUTBREAK_BUILD_TESTS=ON
ASAN_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOUTBREAK_SANITIZE=ON \
              -DOUTBREAK_BUILD_BENCH=OFF -DOUTBREAK_BUILD_TESTS=ON
# The fuzz tree builds only the libraries its targets link, not the tests.
FUZZ_CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) \
                    -DOUTBREAK_FUZZ=ON -DOUTBREAK_BUILD_TESTS=OFF -DOUTBREAK_BUILD_BENCH=OFF
CTEST_FLAGS = --output-on-failure --no-tests=error -j$(JOBS)
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
                 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
                 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

FORMAT_DIRS := include src apps tests bench
# Recursively expanded, so files created by earlier steps are included.
FORMAT_FILES = $(shell find $(or $(wildcard $(FORMAT_DIRS)),/dev/null) -type f \( -name '*.cpp' -o -name '*.hpp' \) | sort)

.DEFAULT_GOAL := build
.PHONY: build test serve run bench format format-check clean deps configure test-release test-asan web-deps \
        fuzz fuzz-build fuzz-smoke

deps:
	@$(INSTALL_DEPS)

# The web UI's npm packages: uPlot (compiled into the binary) and
# playwright-core (the browser tests drive Debian's chromium, so it must not
# download browsers). `npm ci` runs only when web/node_modules is missing or
# older than web/package-lock.json.
web-deps: web/node_modules/.package-lock.json

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	@touch $@

configure: deps web-deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_COMMON) $(RELEASE_FLAGS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test-release: build
	ctest --test-dir $(BUILD_DIR) $(CTEST_FLAGS)

test-asan: deps web-deps
	cmake -S . -B $(ASAN_DIR) $(CMAKE_COMMON) $(ASAN_FLAGS)
	cmake --build $(ASAN_DIR) -j $(JOBS)
	$(SANITIZER_ENV) ctest --test-dir $(ASAN_DIR) $(CTEST_FLAGS)

fuzz-build: deps web-deps
	cmake -S . -B $(FUZZ_DIR) $(CMAKE_COMMON) $(FUZZ_CMAKE_FLAGS)
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target outbreak_fuzzers

# Every target for FUZZ_SECONDS from a copy of its corpus; crashes are kept
# in $(FUZZ_DIR)/fuzz/artifacts/, and any failure fails the make.
fuzz: fuzz-build
	scripts/run-fuzzers $(FUZZ_DIR) $(FUZZ_SECONDS)

fuzz-smoke:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

# Sequential sub-makes, so that the order holds even under `make -j`; the
# packages were checked once above.
test: deps
	$(MAKE) --no-print-directory test-release INSTALL_DEPS=true
	$(MAKE) --no-print-directory test-asan INSTALL_DEPS=true
	$(MAKE) --no-print-directory fuzz-smoke INSTALL_DEPS=true
	$(MAKE) --no-print-directory format-check INSTALL_DEPS=true

serve: build
	$(BUILD_DIR)/outbreak serve

run: build
	$(BUILD_DIR)/outbreak run

bench: build
	$(BUILD_DIR)/outbreak bench
	@if [ -x $(BUILD_DIR)/bench/outbreak_bench ]; then \
	  echo "$(BUILD_DIR)/bench/outbreak_bench"; \
	  $(BUILD_DIR)/bench/outbreak_bench; \
	else \
	  echo "bench: $(BUILD_DIR)/bench/outbreak_bench not built; skipped"; \
	fi

format: deps
	@files="$(FORMAT_FILES)"; [ -z "$$files" ] || $(CLANG_FORMAT) -i $$files

format-check: deps
	@command -v $(CLANG_FORMAT) >/dev/null || { echo "format-check: $(CLANG_FORMAT) not found" >&2; exit 1; }
	@bad=""; \
	for f in $(FORMAT_FILES); do \
	  $(CLANG_FORMAT) --dry-run -Werror "$$f" >/dev/null 2>&1 || bad="$$bad $$f"; \
	done; \
	if [ -n "$$bad" ]; then \
	  echo "format-check: these files are not clang-formatted (run 'make format'):" >&2; \
	  for f in $$bad; do echo "  $$f" >&2; done; \
	  exit 1; \
	fi; \
	echo "format-check: all files formatted"

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
