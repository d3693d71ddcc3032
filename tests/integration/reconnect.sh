#!/usr/bin/env bash
# A host that goes away (sshd and its sessions killed) is shown down and
# reconnected with backoff once it is back, while the others keep reporting.
source "$(dirname "$0")/lib/common.sh"
start_sshd
sshd_pid=${PIDS[0]}
port2=$(free_port)
# A second, independent sshd for the host that stays up.
sed "s/^Port .*/Port $port2/; s|^PidFile .*|PidFile $T/sshd2.pid|" "$T/sshd_config" > "$T/sshd2_config"
/usr/sbin/sshd -D -e -f "$T/sshd2_config" 2>"$T/sshd2.log" &
PIDS+=($!)
wait_port 127.0.0.1 "$port2"
echo "[127.0.0.1]:$port2 $(cut -d' ' -f1,2 "$T/ssh_host_ed25519_key.pub")" >> "$T/known_hosts"
cat > "$FLEETOP_HOME/fleet.conf" <<INV
flaky ansible_host=127.0.0.1 ansible_port=$SSHD_PORT
steady ansible_host=127.0.0.1 ansible_port=$port2
INV
fleetop_bg cpid "collect --duration 24s" -- "$FLEETOP" collect --duration 24s --stats 1s 2> "$T/collect.log"
sleep 5
# The host goes away: the sshd, and the sessions it forked.
pkill -P "$sshd_pid" || true
kill "$sshd_pid"
wait "$sshd_pid" 2>/dev/null || true
sleep 6
/usr/sbin/sshd -D -e -f "$T/sshd_config" 2>>"$T/sshd.log" &
PIDS+=($!)
wait_port 127.0.0.1 "$SSHD_PORT"
expect_exit "$cpid"
cat "$T/collect.log"
check "both up at first" grep -q "collect: 2 up, 0 down" "$T/collect.log"
check "flaky shown down while its sshd is gone" grep -q "collect: 1 up, 1 down" "$T/collect.log"
check "back up after sshd returns" bash -c "tail -4 '$T/collect.log' | grep -q 'collect: 2 up, 0 down'"
check "steady kept reporting through it" bash -c "! grep -q 'collect: 0 up' '$T/collect.log'"
"$FLEETOP" history steady cpu.util --since 30s --json > "$T/steady.json"
check "steady has samples across the outage (>= 18)" python3 -c "
import json; p=json.load(open('$T/steady.json'))['points']; print(len(p)); assert len(p) >= 18"
"$FLEETOP" history flaky cpu.util --since 30s --json > "$T/flaky.json"
check "flaky has samples again after it came back" python3 -c "
import json, time; p=json.load(open('$T/flaky.json'))['points']
assert p and p[-1]['ts'] > (time.time() - 8) * 1000, p[-3:]"
finish
