#!/usr/bin/env bash
# Every failure state produced for real, each shown with its reason, while
# the good host keeps reporting metrics in the same run.
CONNECT_TIMEOUT=3s
source "$(dirname "$0")/lib/common.sh"
start_sshd
closed=$(free_port)
silent=$(free_port)
# A listener that accepts and never says a word.
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $silent)); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)" &
PIDS+=($!)
wait_port 127.0.0.1 "$silent"
cat > "$FLEETOP_HOME/fleet.conf" <<INV
[good]
ok-1 ansible_host=127.0.0.1 ansible_port=$SSHD_PORT

[bad]
wrong-key ansible_host=127.0.0.1 ansible_port=$SSHD_PORT ansible_user=daemon
changed-key ansible_host=127.0.0.2 ansible_port=$SSHD_PORT
unknown-key ansible_host=127.0.0.3 ansible_port=$SSHD_PORT
closed-port ansible_host=127.0.0.1 ansible_port=$closed
silent ansible_host=127.0.0.1 ansible_port=$silent
INV

start=$(date +%s.%N)
set +e
"$FLEETOP" status --json > "$T/status.json"
rc=$?
set -e
took=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
cat "$T/status.json"
echo "status took ${took}s, exit $rc"
check "exit code 1 when some hosts failed" [ "$rc" = 1 ]
check "good host up despite the others" [ "$(json_field "$T/status.json" ok-1 state)" = up ]
check "good host has cpu.util" [ -n "$(json_metric "$T/status.json" ok-1 cpu.util)" ]
check "good host has mem.total_bytes" [ -n "$(json_metric "$T/status.json" ok-1 mem.total_bytes)" ]
expect() { # host fault text
	local st fault err
	st=$(json_field "$T/status.json" "$1" state)
	fault=$(json_field "$T/status.json" "$1" fault)
	err=$(json_field "$T/status.json" "$1" error)
	check "$1: down/$2 ($err)" [ "$st" = down -a "$fault" = "$2" ]
	check "$1: reason mentions '$3'" grep -qi -- "$3" <<<"$err"
}
expect wrong-key auth "auth failed"
expect changed-key hostkey_changed "changed"
expect unknown-key hostkey_unknown "unknown"
expect closed-port refused "refused"
expect silent timeout "timed out"
# Both fingerprints are shown for a changed key.
known_fp=$(ssh-keygen -lf "$T/impostor_key.pub" | awk '{print $2}')
real_fp=$(ssh-keygen -lf "$T/ssh_host_ed25519_key.pub" | awk '{print $2}')
err=$(json_field "$T/status.json" changed-key error)
check "changed key shows the known fingerprint" grep -qF -- "$known_fp" <<<"$err"
check "changed key shows the offered fingerprint" grep -qF -- "$real_fp" <<<"$err"
check "a silent host does not stall the round (took ${took}s < 10s)" python3 -c "import sys; sys.exit($took >= 10)"

# --accept-new learns an unknown key (and only that), then strict accepts it.
expect_rc 1 "check --accept-new with a changed key among them" \
	"$FLEETOP" check --accept-new unknown-key,changed-key > "$T/check.txt"
cat "$T/check.txt"
check "accept-new learned the unknown key" grep -q "\[127.0.0.3\]:$SSHD_PORT" "$T/known_hosts"
check "accept-new still refuses a changed key" grep -q "changed-key.*down.*changed" "$T/check.txt"
check "after learning, strict check passes" "$FLEETOP" check unknown-key

# The table form names each reason too.
expect_rc 1 "status (table) with failed hosts" "$FLEETOP" status > "$T/status.txt"
cat "$T/status.txt"
check "table shows refused" grep -q "closed-port.*down.*refused" "$T/status.txt"
check "table shows the good host with metrics" grep -qE "ok-1 +up +[0-9]" "$T/status.txt"
finish
