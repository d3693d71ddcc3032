#!/usr/bin/env bash
# Escalation steps arrive no earlier than their delay, and not much later:
# `fleetop collect` on the simulator, one alert that fires at once, a
# policy with steps at 0 s, 6 s and 12 s to three paths of a real HTTP
# recorder. Each step's arrival at the recorder is measured from the
# alert's fired time (`fleetop alerts --json`, the engine's clock, the same
# wall clock as the recorder's) and must lie in [delay, delay + 3 s].
# Two seconds before the first escalation the engine is killed with SIGKILL and a
# new one started: the steps still count from when the group first fired
# (not from the restart), and the step already sent is not sent again.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/notify.sh"
HOOKS=$LIB/hooks.py
MARGIN=3 # ticks of 1 s, group_interval 1 s, the send itself
start_recorder rec
start_sim "$T/sim" --hosts 2 --flap-every 0
export FLEETOP_HOME=$T/sim
DB=$FLEETOP_HOME/fleetop.db
printf '\n[collect]\ninterval = 1s\n' >> "$FLEETOP_HOME/fleetop.conf"
h1=$(awk '/ ansible_host=/ {print $1; exit}' "$FLEETOP_HOME/fleet.conf")
cat > "$FLEETOP_HOME/rules.conf" <<EOF2
[always]
expr = cpu.util >= 0
severity = critical
hosts = $h1
summary = {host} is busy
EOF2
cat > "$FLEETOP_HOME/notify.conf" <<EOF2
[receiver first]
type = webhook
url = http://127.0.0.1:$rec_PORT/webhook/first

[receiver second]
type = webhook
url = http://127.0.0.1:$rec_PORT/webhook/second

[receiver third]
type = webhook
url = http://127.0.0.1:$rec_PORT/webhook/third

[policy all]
group_by = rule, host
group_wait = 0s
group_interval = 1s
step = first
step = 6s second
step = 12s third
EOF2
chmod 600 "$FLEETOP_HOME/notify.conf"

arrived() { "$PY" "$HOOKS" "$T/rec.log" --first "/webhook/$1" "$h1"; } # RECEIVER
wait_arrived() { # RECEIVER SECONDS
	local end=$(($(date +%s) + $2))
	until arrived "$1" > /dev/null; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}
count_to() { "$PY" "$HOOKS" "$T/rec.log" | grep -c "^/webhook/$1 " || true; }
# within LO HI X: LO <= X <= HI
within() { "$PY" -c "import sys; sys.exit(not ($1 <= $3 <= $2))"; }

"$FLEETOP" collect > "$T/collect1.log" 2>&1 &
CPID=$!
PIDS+=($CPID)
check "step 1 (0 s) arrives within 10 s" wait_arrived first 10
set +e
"$FLEETOP" alerts --json > "$T/alerts.json"
rc=$?
set -e
check "alerts --json: exit 0" [ "$rc" = 0 ]
fired=$("$PY" -c 'import json, sys
print([a["fired"] for a in json.load(open(sys.argv[1]))["alerts"] if a["host"] == sys.argv[2]][0] / 1000)' \
	"$T/alerts.json" "$h1")
t_first=$(arrived first || echo 0)
echo "fired at $fired; step 1 after $("$PY" -c "print(round($t_first - $fired, 2))") s"
check "step 1 no earlier than the alert fired, within ${MARGIN} s" within "$fired" "$fired + $MARGIN" "$t_first"

# SIGKILL 4 s in (2 s before step 2), and a new engine at once: steps
# counted from the restart would come 4 s late, past the margin.
"$PY" -c "import time; time.sleep(max(0, $fired + 4 - time.time()))"
kill -9 "$CPID"
set +e
wait "$CPID"
rc=$?
set -e
check "the first engine died of SIGKILL (exit $rc)" [ "$rc" = 137 ]
check "step 2 has not come before the kill" [ "$(count_to second)" = 0 ]
"$FLEETOP" collect > "$T/collect2.log" 2>&1 &
CPID=$!
PIDS+=($CPID)
restarted=$(now)

check "step 2 (6 s) arrives" wait_arrived second 12
t2=$(arrived second || echo 0)
echo "step 2 after $("$PY" -c "print(round($t2 - $fired, 2))") s (restart at $("$PY" -c "print(round($restarted - $fired, 2))") s)"
check "step 2 no earlier than 6 s after firing, within ${MARGIN} s" within "$fired + 6" "$fired + 6 + $MARGIN" "$t2"
check "step 3 (12 s) arrives" wait_arrived third 12
t3=$(arrived third || echo 0)
echo "step 3 after $("$PY" -c "print(round($t3 - $fired, 2))") s"
check "step 3 no earlier than 12 s after firing, within ${MARGIN} s" within "$fired + 12" "$fired + 12 + $MARGIN" "$t3"
sleep 2
check "step 1 sent once, not again by the new engine ($(count_to first))" [ "$(count_to first)" = 1 ]
check "step 2 sent once ($(count_to second))" [ "$(count_to second)" = 1 ]
check "step 3 sent once ($(count_to third))" [ "$(count_to third)" = 1 ]

kill -TERM "$CPID"
set +e
wait "$CPID"
rc=$?
set -e
check "the second engine exits 0 on SIGTERM" [ "$rc" = 0 ]
[ "$FAILS" -eq 0 ] || { echo "--- recorder"; "$PY" "$HOOKS" "$T/rec.log"; echo "--- collect"; tail -20 "$T/collect1.log" "$T/collect2.log"; }
finish
