# Thin wrapper: `make demo` and `make test` are the only commands a new user
# runs on a fresh Debian 12 machine (as root). Everything else is CMake.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2

# Debian 12 packages the build and the tests need.  chromium (and a font
# for its screenshots) is for tests/e2e/test_recon_html.sh, which opens
# the HTML reconciliation report headless.  openssh-server is for
# tests/e2e/test_sftp.sh, which runs its own sshd: `make deps` installs it
# with a policy-rc.d that lets no service start (the system's sshd is
# neither started nor configured by the build or the tests).
DEB_PKGS = cmake make gcc pkg-config libsqlite3-dev sqlite3 libcsv-dev libxml2-utils \
           libxml2-dev zlib1g-dev libarchive-dev libcmocka-dev \
           libsodium-dev nettle-dev libjansson-dev libinih-dev jq \
           libarchive-tools time tzdata openssh-server openssh-client \
           libsystemd-dev man-db systemd libcurl4-openssl-dev \
           chromium fonts-liberation

PREFIX  ?= /usr/local
DESTDIR ?=

.PHONY: all deps build build-asan test demo bench clean format install

all: build

deps:
	@missing=""; \
	for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	        || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "make deps: installing$$missing"; \
	    prc=""; \
	    if [ ! -e /usr/sbin/policy-rc.d ]; then \
	        prc=/usr/sbin/policy-rc.d; \
	        trap 'rm -f /usr/sbin/policy-rc.d; exit 130' INT TERM HUP; \
	        printf '#!/bin/sh\n# make deps: start no service while installing\nexit 101\n' >$$prc; \
	        chmod 0755 $$prc; \
	    fi; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq --no-install-recommends $$missing; \
	    rc=$$?; [ -z "$$prc" ] || rm -f $$prc; exit $$rc; \
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

# The binary with the FHS defaults (/etc/payspool, /var/spool/payspool,
# /var/lib/payspool), its man pages, the systemd units and timer, the
# logrotate file.  Then: payspool init --system (as root).
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

demo: build
	PAYSPOOL_BIN=$(CURDIR)/$(BUILD)/payspool sh fixtures/demo/run-demo.sh

bench: build
	sh tests/bench/run.sh $(CURDIR)/$(BUILD)/payspool

format:
	clang-format -i src/*/*.c src/*/*.h tests/unit/*.c

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
