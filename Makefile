# SPDX-License-Identifier: GPL-3.0-or-later
#
# The two commands of the README do all set-up on a fresh Debian 12 or
# Ubuntu 24.04 machine:
#   make run     install what is missing, build, start the sandbox, open the app
#   make check   install what is missing, build with -Werror, run every test
#                headless, then again with AddressSanitizer and UBSan
# Also: make bench, make fuzz, make lambda, make clean.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

BUILD      ?= _build
ASAN_BUILD ?= _build-asan
RELEASE_BUILD ?= _build-release
MESON      ?= meson
NINJA      ?= ninja

# Debian/Ubuntu packages, by what needs them.
BUILD_PACKAGES := meson ninja-build pkg-config gcc clang gettext python3 \
  libglib2.0-dev libglib2.0-dev-bin libglib2.0-bin libgtk-4-dev libadwaita-1-dev \
  libsoup-3.0-dev libjson-glib-dev libwebkitgtk-6.0-dev libsecret-1-dev \
  libcjose-dev libjansson-dev libssl-dev libcurl4-openssl-dev libsqlite3-dev \
  desktop-file-utils appstream ca-certificates
RUN_PACKAGES   := gnome-keyring bubblewrap adwaita-icon-theme hicolor-icon-theme fonts-cantarell
TEST_PACKAGES  := xvfb xauth dbus dbus-x11 gnome-keyring bubblewrap libclang-rt-dev \
  zip unzip curl openssl python3-jwt python3-cryptography python3-yaml
BENCH_PACKAGES := wrk hyperfine python3-jwt openssl time valgrind

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

define install_packages
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
endef

.PHONY: all deps test-deps bench-deps build asan-build run check bench fuzz lambda clean

all: build

deps:
	$(call install_packages,$(BUILD_PACKAGES) $(RUN_PACKAGES))

test-deps: deps
	$(call install_packages,$(TEST_PACKAGES))
	@# Node.js runs one interop test. A machine may already have Node.js from
	@# elsewhere (with its own npm): only what is missing comes from apt.
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    $$(command -v node >/dev/null 2>&1 || echo nodejs) $$(command -v npm >/dev/null 2>&1 || echo npm); \
	fi

bench-deps: test-deps
	$(call install_packages,$(BENCH_PACKAGES))

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) -Dprofile=development --werror

build: deps $(BUILD)/build.ninja
	$(NINJA) -C $(BUILD)

$(ASAN_BUILD)/build.ninja:
	$(MESON) setup $(ASAN_BUILD) -Dprofile=development --werror \
	  -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

asan-build: deps $(ASAN_BUILD)/build.ninja
	$(NINJA) -C $(ASAN_BUILD)

run: build
	@tools/run-app.sh $(BUILD)

check: test-deps
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory build; \
	$(MAKE) --no-print-directory asan-build; \
	tests/interop/install-node-modules.sh $(BUILD)/interop $(ASAN_BUILD)/interop; \
	built=$$(date +%s); \
	status=0; \
	tests/run-headless.sh $(BUILD) || status=1; \
	ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1" \
	UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
	  tests/run-headless.sh $(ASAN_BUILD) || status=1; \
	end=$$(date +%s); \
	echo "Build: $$((built - start)) s, tests: $$((end - built)) s"; \
	python3 tests/summarize.py $(BUILD) $(ASAN_BUILD) || status=1; \
	exit $$status

# Benchmarks measure an optimised build, not the debug one the tests use.
$(RELEASE_BUILD)/build.ninja:
	$(MESON) setup $(RELEASE_BUILD) -Dprofile=development --buildtype=release

bench: bench-deps $(RELEASE_BUILD)/build.ninja
	$(NINJA) -C $(RELEASE_BUILD)
	@tools/bench.sh $(RELEASE_BUILD)

# FUZZ_SECONDS in all, half for the validator, half for the page reader.
fuzz: test-deps build
	@total=$${FUZZ_SECONDS:-300}; status=0; \
	subprojects/token-validator/tests/fuzz.sh $$((total / 2)) || status=$$?; \
	tests/fuzz-json-reader.sh $$((total - total / 2)) || status=$$?; \
	exit $$status

lambda: deps build
	@subprojects/token-validator/deploy/build-lambda-zip.sh $(BUILD)/subprojects/token-validator $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(RELEASE_BUILD)
