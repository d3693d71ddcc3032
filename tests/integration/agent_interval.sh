#!/usr/bin/env bash
# Authentication through ssh-agent (no key file named anywhere, the key
# only in the agent), and a per-host collection interval from a host var.
source "$(dirname "$0")/lib/common.sh"
start_sshd
eval "$(ssh-agent -s)" > /dev/null
PIDS+=("$SSH_AGENT_PID")
ssh-add -q "$T/id_ed25519"
mv "$T/id_ed25519" "$T/id_ed25519.hidden" # only the agent has it now
cat > "$FLEETOP_HOME/fleetop.conf" <<CONF
[ssh]
config = none
known_hosts = $T/known_hosts
connect_timeout = 5s
CONF
cat > "$FLEETOP_HOME/fleet.conf" <<INV
[fast]
quick ansible_host=127.0.0.1 ansible_port=$SSHD_PORT

[slow]
steady ansible_host=127.0.0.1 ansible_port=$SSHD_PORT

[fast:vars]
collect_interval=500ms
INV
set +e
"$FLEETOP" check --json > "$T/check.json"
rc=$?
set -e
check "agent authentication works (exit $rc)" [ "$rc" = 0 ]
check "quick is up through the agent" [ "$(json_field "$T/check.json" quick state)" = up ]
"$FLEETOP" collect --duration 6s 2>/dev/null
count() { "$FLEETOP" history "$1" uptime --since 1m --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)['points']))"; }
q=$(count quick); s=$(count steady)
echo "samples in 6 s: quick (500ms) $q, steady (1s) $s"
check "group var collect_interval=500ms doubles the rate ($q vs $s)" python3 -c "import sys; sys.exit(not ($q >= 1.6 * $s and $s >= 4))"
kill "$SSH_AGENT_PID" 2>/dev/null || true
set +e
"$FLEETOP" check quick > "$T/noagent.txt"
rc=$?
set -e
check "without the agent (and no key file) auth fails: exit $rc" [ "$rc" = 1 ]
check "and says why" grep -q "auth failed" "$T/noagent.txt"
finish
