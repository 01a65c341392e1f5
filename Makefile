# Thin wrapper: `make demo` and `make test` are the only commands a new user
# runs on a fresh Debian 12 machine (as root). Everything else is CMake.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2

# Debian 12 packages the build and the tests need.
DEB_PKGS = cmake make gcc pkg-config libsqlite3-dev sqlite3 libcsv-dev \
           libxml2-dev zlib1g-dev libarchive-dev libcmocka-dev \
           libsodium-dev libjansson-dev libinih-dev jq \
           libarchive-tools time tzdata

.PHONY: all deps build build-asan test demo bench clean format

all: build

deps:
	@missing=""; \
	for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	        || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "make deps: installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	    echo "make deps: all Debian packages present"; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPS_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Asan -DPS_WERROR=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)

# ctest twice: the normal build, then the whole suite under ASan+UBSan.
test: build build-asan
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)

demo: build
	PAYSPOOL_BIN=$(CURDIR)/$(BUILD)/payspool sh fixtures/demo/run-demo.sh

bench: build
	sh tests/bench/run.sh $(CURDIR)/$(BUILD)/payspool

format:
	clang-format -i src/*/*.c src/*/*.h tests/unit/*.c

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
