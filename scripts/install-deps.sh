#!/usr/bin/env bash
# Installs the Debian 12 packages fleetop needs to build (and, with --test,
# to run its tests). Installs only what is missing; safe to run again.
set -euo pipefail
build=(build-essential cmake pkg-config libssh-dev libsqlite3-dev libcjson-dev
       libncurses-dev libgit2-dev libcurl4-openssl-dev openssh-client)
# openarena-server: a real Quake 3 protocol server for the game query tests
# (about 420 MB of game data, once). python3-aiosmtpd and openssl: the SMTP
# server with STARTTLS (and its throwaway certificate) the email notifier is
# tested against.
test=(clang libclang-rt-dev libcmocka-dev openssh-server tmux python3 iproute2
      sqlite3 procps coreutils gawk mawk perl openarena-server
      python3-aiosmtpd openssl)
want=("${build[@]}")
[ "${1:-}" = "--test" ] && want+=("${test[@]}")
# The independent game protocol clients (gamedig, rcon-client) are npm
# packages: Node.js from Debian unless the machine has one already.
if [ "${1:-}" = "--test" ] && ! command -v npm > /dev/null; then
	want+=(nodejs npm)
fi
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

# The clients, at the versions tests/clients/package-lock.json pins.
if [ "${1:-}" = "--test" ]; then
	clients=$(cd "$(dirname "$0")/../tests/clients" && pwd)
	if [ ! -e "$clients/node_modules/.package-lock.json" ] ||
	   [ "$clients/package-lock.json" -nt "$clients/node_modules/.package-lock.json" ]; then
		(cd "$clients" && npm ci --no-audit --no-fund --loglevel=error)
	fi
fi
