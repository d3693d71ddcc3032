#!/usr/bin/env bash
# ProxyJump through a real jump host: two OpenSSH sshds on loopback, the
# target on 127.0.0.2 reached through the jump on 127.0.0.1 as the
# ssh_config named in fleetop.conf says (the jump is an alias that only that
# file defines, as `ssh -F FILE target` would resolve it; libssh finds
# ~/.ssh from the passwd entry, so the default files are never ours).
#   - `fleetop check` and `fleetop status` reach the target (exit 0);
#   - the jump's sshd logs a direct-tcpip forward to the target's address
#     and port, and the target's sshd saw its connections come from there
#     (as many as the jump forwarded), never a login of its own otherwise;
#   - a ProxyJump to a jump that refuses forwarding leaves the host down
#     (exit 1) with the target never contacted: the jump carries it all.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/sshd_at.sh"
: > "$T/known_hosts"
sshd_at jump 127.0.0.1 DEBUG1
sshd_at target 127.0.0.2 VERBOSE
sshd_at shut 127.0.0.3 VERBOSE "AllowTcpForwarding no"
me=$(id -un)
cat > "$T/ssh_config" <<CONF
Host jumphost
  HostName 127.0.0.1
  Port $jump_PORT

Host shutjump
  HostName 127.0.0.3
  Port $shut_PORT

Host behind
  HostName 127.0.0.2
  Port $target_PORT
  ProxyJump jumphost

Host behind-shut
  HostName 127.0.0.2
  Port $target_PORT
  ProxyJump shutjump

Host *
  User $me
  IdentityFile $T/id_ed25519
  UserKnownHostsFile $T/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
CONF
export FLEETOP_HOME=$T/home
mkdir -p "$FLEETOP_HOME"
cat > "$FLEETOP_HOME/fleetop.conf" <<CONF
[ssh]
config = $T/ssh_config
connect_timeout = 8s
CONF
printf 'behind\nbehind-shut\n' > "$FLEETOP_HOME/fleet.conf"
# Connections to the target so far: wait_port's probe.
target_at="127.0.0.2 port $target_PORT"
target_conns() { grep -c "^Connection from .* on $target_at " "$T/target/sshd.log" || true; }
conns0=$(target_conns)

set +e
"$FLEETOP" check behind --json > "$T/check.json" 2> "$T/check.err"
rc=$?
set -e
cat "$T/check.json" "$T/check.err"
check "check behind: exit 0" [ "$rc" = 0 ]
check "behind is up through the jump" [ "$(json_field "$T/check.json" behind state)" = up ]

set +e
"$FLEETOP" status behind --json > "$T/status.json" 2> "$T/status.err"
rc=$?
set -e
check "status behind: exit 0" [ "$rc" = 0 ]
check "metrics arrive through the jump" [ -n "$(json_metric "$T/status.json" behind cpu.util)" ]

# What the sshds saw: forwards the jump opened to the target, and the
# target's connections (each from 127.0.0.1, the jump's side of loopback).
# (sshd's debug lines end in CR LF)
jump_log_count() { tr -d '\r' < "$T/jump/sshd.log" | grep -c "$1" || true; }
forwards=$(jump_log_count "^debug1: server_request_direct_tcpip: .*, target $target_at\$")
connected=$(jump_log_count "^debug1: channel [0-9]*: connected to $target_at\$")
conns=$(( $(target_conns) - conns0 ))
echo "jump forwarded $forwards connection(s) to $target_at; the target saw $conns"
check "the jump forwarded to the target (direct-tcpip)" [ "$forwards" -ge 2 ]
check "the jump connected each forward ($connected of $forwards)" [ "$connected" = "$forwards" ]
check "every connection the target saw came through the jump ($conns = $forwards)" [ "$conns" = "$forwards" ]
check "the target saw them from 127.0.0.1" [ "$(grep -c "^Connection from 127.0.0.1 port [0-9]* on $target_at " "$T/target/sshd.log")" -ge "$conns" ]
check "the target accepted the key through the jump" grep -q "Accepted publickey for $me" "$T/target/sshd.log"

before=$(target_conns)
set +e
"$FLEETOP" check behind-shut --json > "$T/shut.json" 2> "$T/shut.err"
rc=$?
set -e
cat "$T/shut.json"
check "check behind-shut: exit 1" [ "$rc" = 1 ]
check "behind-shut is down (its jump forwards nothing)" [ "$(json_field "$T/shut.json" behind-shut state)" = down ]
check "the shut jump was asked" grep -q "Accepted publickey for $me" "$T/shut/sshd.log"
check "the shut jump refused the forward" grep -q "refused local port forward" "$T/shut/sshd.log"
after=$(target_conns)
check "the target never heard of behind-shut" [ "$after" = "$before" ]
[ "$FAILS" -eq 0 ] || { echo "--- jump log"; grep -v "^debug" "$T/jump/sshd.log" | tail; echo "--- target log"; tail "$T/target/sshd.log"; }
finish
