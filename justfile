# mwasm's everyday tasks. Every recipe is one plain command: copy it to run it without just.

# Build the mwasm CLI into bin/mwasm.
build:
    go build -o bin/mwasm ./cmd/mwasm

# The whole test suite (installs the Debian packages the tests need if missing).
test:
    ./scripts/test.sh

# go vet over every package.
vet:
    go vet ./...

# Build the hello app (apps/hello) from source and run it under mwasm run.
run-hello:
    go run ./cmd/mwasm run ./apps/hello

# Fuzz the Wasm decoder and validator for a minute (crashers land in wasmc/testdata/fuzz).
fuzz:
    go test -run '^$' -fuzz '^FuzzDecodeValidate$' -fuzztime 60s ./wasmc

# Run every benchmark once (no tests).
bench:
    go test -run '^$' -bench . ./...

# What CI runs on a fresh Debian 12: install packages, vet, the whole suite.
ci:
    ./.ci/run

# The hosted network benchmark (mwasm run vs native Go, httpd req/s and TCP echo MB/s); writes bench/REPORT.md.
netbench:
    cd bench && go run ./cmd/netbench -o REPORT.md

# The CPU benchmark (native, wasmtime, wazero, mwasm build: run and compile times); writes bench/CPU-REPORT.md.
cpubench:
    cd bench && go run ./cmd/cpubench -o CPU-REPORT.md
