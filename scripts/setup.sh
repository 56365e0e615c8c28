#!/usr/bin/env bash
# Installs the Debian packages mwasm's tests need (Debian 12 or newer, run as root or
# with sudo available). Only packages that are missing are installed, so a second run
# is a few dpkg queries and nothing else.
#
#   clang lld wasi-libc libclang-rt-dev-wasm32  C apps -> wasm32-wasi (wasmc/driver)
#   binutils gdb linux-perf                     objdump/readelf/nm, gdb and perf: the independent checks
#                                               of aot/amd64's encoder and aot/link's executables
#   curl iproute2                               end-to-end network tests
set -euo pipefail

packages=(clang lld wasi-libc libclang-rt-dev-wasm32 curl iproute2 binutils gdb linux-perf)

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "setup: not a Debian system; install by hand: ${packages[*]} (wasm32-wasi clang toolchain, curl, iproute2)" >&2
	exit 1
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup: all packages present (${packages[*]})"
	exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	else
		echo "setup: missing packages (${missing[*]}) and not root: run as root or install them: apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
