# Build, test and run the shift bot and its sync worker. See README.md.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
TAGS    := netgo
BIN     := bin
GO      ?= go
STATICCHECK_VERSION := v0.8.2

.PHONY: all build build-arm64 build-arm64-static dist-arm64 install test lint bench bench-pi soak demo systemd-test systemd-test-tools systemd-test-bins systemd-test-broken clean

all: build

build:
	$(GO) build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

# Raspberry Pi 4: linux/arm64 with cgo for SQLite (SPEC §9).
build-arm64:
	@command -v aarch64-linux-gnu-gcc >/dev/null || { apt-get update -qq && apt-get install -y -qq gcc-aarch64-linux-gnu; }
	CC=aarch64-linux-gnu-gcc CGO_ENABLED=1 GOOS=linux GOARCH=arm64 \
		$(GO) build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $(BIN)/arm64/ ./cmd/bot ./cmd/syncworker

# The README's test command: vet, then every test with the race detector.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 15m ./...

lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	shellcheck deploy/*.sh scripts/*.sh .ci/run

# The same, linked statically, for a Pi OS older than bookworm (glibc < 2.34).
build-arm64-static:
	@command -v aarch64-linux-gnu-gcc >/dev/null || { apt-get update -qq && apt-get install -y -qq gcc-aarch64-linux-gnu; }
	CC=aarch64-linux-gnu-gcc CGO_ENABLED=1 GOOS=linux GOARCH=arm64 \
		$(GO) build -tags $(TAGS),osusergo,sqlite_omit_load_extension \
		-ldflags '$(LDFLAGS) -linkmode external -extldflags -static' -o $(BIN)/arm64/ ./cmd/bot ./cmd/syncworker

# Tarball for the Pi: bin/, deploy/, scripts/ laid out as deploy/install.sh expects.
dist-arm64: build-arm64
	rm -rf $(BIN)/dist && mkdir -p $(BIN)/dist/alex12060/bin
	cp $(BIN)/arm64/bot $(BIN)/arm64/syncworker $(BIN)/dist/alex12060/bin/
	tar --exclude='*_test.go' --exclude='testdata' -cf - deploy scripts docs | tar -C $(BIN)/dist/alex12060 -xf -
	tar -C $(BIN)/dist -czf $(BIN)/alex12060-$(VERSION)-linux-arm64.tar.gz alex12060

# Install on this machine from bin/ (as root); see deploy/README.md.
install: build
	deploy/install.sh --bin-dir $(BIN)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./...

# The worker under a Raspberry Pi's CPU budget (docs/BENCHMARKS.md): the real
# binary under CPU_QUOTA_PERCENT % of one core, as systemd's CPUQuota= applies
# it (root; the cpu-quota tool of the shared folder unless CPU_QUOTA is set).
CPU_QUOTA ?= $(abspath ../shared/tools/cpu-quota)
CPU_QUOTA_PERCENT ?= 3
bench-pi:
	@test -x "$(CPU_QUOTA)" || { echo "bench-pi: no cpu-quota tool at $(CPU_QUOTA) (set CPU_QUOTA)"; exit 2; }
	CPU_QUOTA=$(CPU_QUOTA) CPU_QUOTA_PERCENT=$(CPU_QUOTA_PERCENT) \
		$(GO) test -run '^$$' -bench 'PiBudget' -benchtime 1x -timeout 60m ./cmd/syncworker/

# A long soak of worker, bot and admin under Google's faults (make test runs a
# short one): SOAK_CYCLES cycles, a new seed each run unless SOAK_SEED is set.
SOAK_CYCLES ?= 2000
soak:
	SOAK_CYCLES=$(SOAK_CYCLES) $(GO) test -race -count=1 -run '^TestSoak$$' -timeout 60m ./internal/syncmgr/

# The whole system offline: Sheets emulator, syncworker, bot, a scripted employee.
demo: build
	$(GO) run ./cmd/demo --bin $(BIN)

# The deployment under a real systemd: a Debian bookworm container booted
# with systemd-nspawn (deploy/systemd_test.go, deploy/README.md "Tests").
# As root. The container's tree is made once with debootstrap, from the
# mirror the host's apt uses, and kept in SYSTEMD_TEST_CACHE.
SYSTEMD_TEST_CACHE ?= .cache/systemd-test
SYSTEMD_TEST_GO    := SYSTEMD_TEST=1 SYSTEMD_TEST_CACHE=$(abspath $(SYSTEMD_TEST_CACHE)) \
	SYSTEMD_TEST_BIN=$(abspath $(BIN)/systemd-test/v1) SYSTEMD_TEST_BIN2=$(abspath $(BIN)/systemd-test/v2) \
	$(GO) test -count=1 -timeout 30m -run '^TestSystemd$$' -v ./deploy/

systemd-test-tools:
	@missing=""; for p in systemd-container debootstrap; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && apt-get install -y -qq $$missing; fi

# Two builds: the second, stamped differently, is the upgrade.
systemd-test-bins:
	$(GO) build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $(BIN)/systemd-test/v1/ ./cmd/bot ./cmd/syncworker
	$(GO) build -tags $(TAGS) -ldflags '-s -w -X main.version=$(VERSION)-upgrade' -o $(BIN)/systemd-test/v2/ ./cmd/bot ./cmd/syncworker

systemd-test: systemd-test-tools systemd-test-bins
	$(SYSTEMD_TEST_GO)

# The test of the test: the same run with a deliberately broken worker unit
# (not ordered after time-sync.target, a start limit of 5) must fail,
# naming those checks.
systemd-test-broken: systemd-test-tools systemd-test-bins
	rm -rf $(BIN)/systemd-test/broken && mkdir -p $(BIN)/systemd-test/broken
	cp deploy/systemd/*.service $(BIN)/systemd-test/broken/
	sed -i -e 's/^After=network-online.target time-sync.target$$/After=network-online.target/' \
		-e 's/^StartLimitBurst=.*/StartLimitBurst=5/' $(BIN)/systemd-test/broken/alex12060-sync-worker.service
	@if SYSTEMD_TEST_UNITS=$(abspath $(BIN)/systemd-test/broken) $(SYSTEMD_TEST_GO) > $(BIN)/systemd-test/broken.log 2>&1; then \
		cat $(BIN)/systemd-test/broken.log; echo "systemd-test-broken: the broken unit PASSED: the test cannot tell"; exit 1; fi
	@grep -E -- '--- FAIL|systemd_test.go:[0-9]+: .*(before the clock|restart [0-9]: exit)' $(BIN)/systemd-test/broken.log
	@for check in units_start_after_the_clock_is_set six_manual_restarts_leave_the_worker_active; do \
		grep -q -- "--- FAIL: TestSystemd/$$check" $(BIN)/systemd-test/broken.log || \
		{ echo "systemd-test-broken: $$check did not fail (log: $(BIN)/systemd-test/broken.log)"; exit 1; }; done
	@echo "systemd-test-broken: failed on the broken unit, as it must"

clean:
	rm -rf $(BIN)
