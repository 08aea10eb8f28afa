# Build, test and run the shift bot and its sync worker. See README.md.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
TAGS    := netgo
BIN     := bin
GO      ?= go
STATICCHECK_VERSION := v0.8.2

.PHONY: all build build-arm64 build-arm64-static dist-arm64 install test lint bench demo clean

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

# The whole system offline: Sheets emulator, syncworker, bot, a scripted employee.
demo: build
	$(GO) run ./cmd/demo --bin $(BIN)

clean:
	rm -rf $(BIN)
