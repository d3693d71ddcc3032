#!/usr/bin/env bash
# Installs the Debian 12 packages fleetop needs to build (and, with --test,
# to run its tests). Installs only what is missing; safe to run again.
set -euo pipefail
build=(build-essential cmake pkg-config libssh-dev libsqlite3-dev libcjson-dev
       libncurses-dev libgit2-dev libcurl4-openssl-dev openssh-client)
test=(clang libclang-rt-dev libcmocka-dev openssh-server tmux python3 iproute2
      sqlite3 procps coreutils gawk mawk)
want=("${build[@]}")
[ "${1:-}" = "--test" ] && want+=("${test[@]}")
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "install-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
