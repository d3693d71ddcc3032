#!/usr/bin/env bash
# Silences and maintenance windows withhold real notifications, and only
# while they last: `fleetop collect` on four simulated hosts whose alert
# fires at once, webhooks to a real HTTP recorder on loopback.
#   - h3 (nothing mutes it) is notified within seconds: the control that
#     shows notifications flow, so the silence checks below can fail;
#   - h4 has a silence that starts only in an hour (--in): notified too;
#   - h1 is silenced (host=h1 --for 15s) before the engine starts: it fires
#     and shows "silenced", nothing reaches the recorder until the silence
#     ends, then its notification arrives (no earlier than the silence's
#     end, within 8 s of it);
#   - h2 is in a maintenance window for an hour: it fires and shows
#     "maintenance", nothing arrives; `alerts maintenance --end ID` ends it
#     and its notification arrives within 8 s, none before.
# Exit statuses of every fleetop command are asserted; collect exits 0 on
# SIGINT.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/notify.sh"
HOOKS=$LIB/hooks.py
start_recorder rec
start_sim "$T/sim" --hosts 4 --flap-every 0
export FLEETOP_HOME=$T/sim
DB=$FLEETOP_HOME/fleetop.db
printf '\n[collect]\ninterval = 1s\n' >> "$FLEETOP_HOME/fleetop.conf"
mapfile -t hosts < <(awk '/ ansible_host=/ {print $1}' "$FLEETOP_HOME/fleet.conf")
h1=${hosts[0]} h2=${hosts[1]} h3=${hosts[2]} h4=${hosts[3]}
echo "h1=$h1 (silenced) h2=$h2 (maintenance) h3=$h3 (control) h4=$h4 (silence --in 1h)"
cat > "$FLEETOP_HOME/rules.conf" <<'EOF2'
[always]
expr = cpu.util >= 0
severity = critical
summary = {host} is busy
EOF2
cat > "$FLEETOP_HOME/notify.conf" <<EOF2
[receiver hook]
type = webhook
url = http://127.0.0.1:$rec_PORT/webhook/main

[policy all]
group_by = rule, host
group_wait = 0s
group_interval = 1s
step = hook
EOF2
chmod 600 "$FLEETOP_HOME/notify.conf"

# run NAME CMD...: runs a fleetop command, its stdout in $T/NAME.out, its
# stderr in $T/NAME.err, its exit status in RC.
run() {
	local name=$1; shift
	set +e
	"$@" > "$T/$name.out" 2> "$T/$name.err"
	RC=$?
	set -e
}
first() { "$PY" "$HOOKS" "$T/rec.log" --first /webhook/main "$1"; } # HOST: arrival time
wait_first() { # HOST SECONDS
	local end=$(($(date +%s) + $2))
	until first "$1" > /dev/null; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}
not_first() { ! first "$1" > /dev/null; }
muted_as() { # HOST: the "muted" field of its open alert
	"$FLEETOP" alerts --json | "$PY" -c '
import json, sys
for a in json.load(sys.stdin)["alerts"]:
    if a["host"] == sys.argv[1] and a["state"] == "firing":
        print(a["muted"] or "unmuted")' "$1"
}

run sil "$FLEETOP" alerts silence "host=$h1" --for 15s -m "map vote"
check "alerts silence: exit 0" [ "$RC" = 0 ]
sil_id=$(sed -n 's/^silence \([0-9]*\) until .*/\1/p' "$T/sil.out")
run later "$FLEETOP" alerts silence "host=$h4" --in 1h --for 1h
check "alerts silence --in 1h: exit 0" [ "$RC" = 0 ]
run maint "$FLEETOP" alerts maintenance "$h2" --for 1h -m "disk swap"
check "alerts maintenance: exit 0" [ "$RC" = 0 ]
win_id=$(sed -n 's/^maintenance \([0-9]*\) until .*/\1/p' "$T/maint.out")
run sils "$FLEETOP" alerts silences --json
check "alerts silences --json: exit 0" [ "$RC" = 0 ]
sil_end=$("$PY" -c 'import json, sys
print([s["ends"] for s in json.load(open(sys.argv[1]))["silences"] if s["id"] == int(sys.argv[2])][0] / 1000)' \
	"$T/sils.out" "$sil_id")
echo "silence $sil_id ends at $sil_end, window $win_id"

"$FLEETOP" collect > "$T/collect.log" 2>&1 &
CPID=$!
PIDS+=($CPID)
check "h3 (not muted) is notified within 10 s" wait_first "$h3" 10
check "h4 (its silence starts in an hour) is notified" wait_first "$h4" 5
m1=$(muted_as "$h1") m2=$(muted_as "$h2") # "silenced ID" names the silence
check "h1 fires, silenced ($m1)" [ "$m1" = "silenced $sil_id" ]
check "h2 fires, in maintenance ($m2)" [ "$m2" = maintenance ]

# Nothing for h1 until its silence ends (checked again by its arrival time
# below), nor for h2 in its window: wait until 2 s before the silence ends.
"$PY" -c "import time; time.sleep(max(0, $sil_end - 2 - time.time()))"
check "nothing for silenced h1 while the silence lasts" not_first "$h1"
check "nothing for h2 in maintenance" not_first "$h2"
check "h1 is notified once its silence ended" wait_first "$h1" 10
t1=$(first "$h1" || echo 0)
echo "  h1 notified $("$PY" -c "print(round($t1 - $sil_end, 1))") s after its silence ended"
check "h1's notification came no earlier than the silence's end" \
	"$PY" -c "import sys; sys.exit(not ($sil_end <= $t1 <= $sil_end + 8))"
check "h2 still withheld" not_first "$h2"

ended=$(now)
run end "$FLEETOP" alerts maintenance --end "$win_id"
check "alerts maintenance --end $win_id: exit 0" [ "$RC" = 0 ]
check "h2 is notified once its window ended" wait_first "$h2" 8
t2=$(first "$h2" || echo 0)
echo "  h2 notified $("$PY" -c "print(round($t2 - $ended, 1))") s after its window was ended"
check "h2's notification came after the end" "$PY" -c "import sys; sys.exit(not $ended <= $t2)"
check "h1 shows unmuted now" [ "$(muted_as "$h1")" = unmuted ]

run end2 "$FLEETOP" alerts maintenance --end "$win_id"
check "ending it again: exit 1" [ "$RC" = 1 ]
run unsil "$FLEETOP" alerts unsilence 99999
check "unsilence of no silence: exit 1" [ "$RC" = 1 ]
run badfor "$FLEETOP" alerts silence "host=$h1" --for soon
check "silence --for soon: exit 2" [ "$RC" = 2 ]

kill -INT "$CPID"
set +e
wait "$CPID"
rc=$?
set -e
check "collect exits 0 on SIGINT" [ "$rc" = 0 ]
[ "$FAILS" -eq 0 ] || { echo "--- recorder"; "$PY" "$HOOKS" "$T/rec.log"; echo "--- collect"; tail -20 "$T/collect.log"; }
finish
