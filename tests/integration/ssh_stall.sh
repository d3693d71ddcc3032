#!/usr/bin/env bash
# After the loop stood still (the process stopped with SIGSTOP for 20 s,
# longer than the 15 s of silence that declares a peer dead), healthy
# hosts must not be declared lost: silence counts only while fleetop ran.
# (Every host was dropped with "connection lost (no answer for 20s)" on
# SIGCONT and reconnected.)
source "$(dirname "$0")/lib/common.sh"
start_sim "$T/sim" --hosts 4 --flap-every 0
export FLEETOP_HOME=$T/sim
"$FLEETOP" collect --stats 1s 2> "$T/collect.log" &
cpid=$!
up=0
for _ in $(seq 100); do
	grep -q 'collect: 4 up, 0 down' "$T/collect.log" && { up=1; break; }
	sleep 0.2
done
check "4 simulator hosts up" [ "$up" = 1 ]
sleep 3
kill -STOP "$cpid"
sleep 20
kill -CONT "$cpid"
mark=$(wc -l < "$T/collect.log")
# Past DEAD_MS (15 s) after SIGCONT, with margin: a late verdict shows too.
sleep 18
kill -INT "$cpid"
set +e
wait "$cpid"
rc=$?
set -e
check "collect exits 0 on SIGINT (was $rc)" [ "$rc" = 0 ]
tail -n +"$mark" "$T/collect.log" | head -8
check "no host declared lost after the stop" bash -c "! grep -E 'connection lost|retry in' '$T/collect.log'"
check "all 4 up in every figure after the stop" bash -c \
	"tail -n +$mark '$T/collect.log' | grep '^collect: [0-9]* up' | grep -v '^collect: done' | grep -qv 'collect: 4 up, 0 down' && exit 1 || exit 0"
check "figures were printed after the stop" bash -c "[ \$(tail -n +$mark '$T/collect.log' | grep -c 'collect: 4 up, 0 down') -ge 10 ]"
"$FLEETOP" alerts history --json > "$T/alerts.json" 2>&1 || true
check "no probe taken for silent after the stop (a stall is not the host's silence)" bash -c \
	"! grep -E 'probe silent|printed nothing for' '$T/collect.log'"
check "no host_unreachable alert" bash -c "! grep -q host_unreachable '$T/alerts.json'"
if [ "$FAILS" -gt 0 ]; then
	echo "--- collect.log"; tail -40 "$T/collect.log"
	echo "--- sim.log"; tail -20 "$T/sim.log"
fi
finish
