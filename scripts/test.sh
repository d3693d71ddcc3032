#!/usr/bin/env bash
# One command from a fresh Debian 12: install what is missing, build twice
# (gcc release and clang with AddressSanitizer + UBSan + libFuzzer), and run
# every test under ctest. Tests start their own servers (sshd, simulator,
# listeners) on loopback and stop them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
jobs=$(nproc)

# Warnings are errors here (FLEETOP_WERROR), not in a user's build.
echo "== build: gcc, -Werror"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLEETOP_WERROR=ON >/dev/null
cmake --build build -j"$jobs"

echo "== build: clang, ASan + UBSan, fuzz targets"
CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFLEETOP_WERROR=ON -DFLEETOP_SANITIZE=ON \
	-DFLEETOP_FUZZ=ON >/dev/null
cmake --build build-asan -j"$jobs"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
# The optimised build runs the unit tests, the quick, broad integration
# tests ("# ctest: smoke") and every bench in its short smoke mode (so the
# benches cannot rot); the ASan build runs every test but the benches, so
# every integration test drives a binary that checks its memory as it goes.
echo "== tests: gcc build (unit, smoke, benches in smoke mode)"
(cd build && ctest --output-on-failure -j"$jobs" -L 'unit|smoke|bench') || status=1
# The 2000-host handshake storm needs the optimised build (the ASan build
# runs it with 300 hosts).
(cd build && ctest --output-on-failure -R '^integration\.ssh_handshake_storm$') || status=1
echo "== tests: ASan + UBSan build, every test but the benches, with fuzzing"
(cd build-asan && ctest --output-on-failure -j"$jobs" -LE bench) || status=1
exit $status
