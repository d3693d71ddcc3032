#!/usr/bin/env bash
# One command from a fresh Debian 12: install what is missing, build, and
# open the console on the built-in simulated fleet.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLEETOP_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
exec build/fleetop demo "$@"
