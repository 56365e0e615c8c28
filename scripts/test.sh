#!/usr/bin/env bash
# Runs mwasm's whole test suite: every Go package of every module in the repo, with the toolchains the tests use
# (clang for wasm32-wasi C apps) installed first if they are missing.
#
#   scripts/test.sh            the suite
#   scripts/test.sh -run X     extra arguments go to go test
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -d /usr/local/go/bin ] && ! command -v go >/dev/null 2>&1; then
	export PATH="/usr/local/go/bin:$PATH"
fi

# Quick when everything is installed (a few dpkg queries).
./scripts/setup.sh || echo "test.sh: could not install the packages; tests that need them will skip" >&2

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# The main module, then the nested modules (kept apart so that users of mwasm never
# download their heavy dependencies, such as wasmtime-go in tests/oracle and bench).
for mod in . tests/oracle bench; do
	[ -f "$mod/go.mod" ] || continue
	echo "== go test in module $mod =="
	(cd "$mod" && go test -count=1 -timeout 30m "$@" ./...) 2>&1 | tee -a "$log" || status=$?
done

echo
echo "== go test summary =="
ok=$(grep -c '^ok ' "$log" || true)
fail=$(grep -c '^FAIL[[:space:]]' "$log" || true)
none=$(grep -c '\[no test files\]' "$log" || true)
echo "packages: ${ok} ok, ${fail} failed, ${none} without tests"
grep -E '^(FAIL|--- FAIL)' "$log" || true
if [ "$status" -eq 0 ]; then
	echo "PASS"
else
	echo "FAIL (go test exit status $status)"
fi
exit "$status"
