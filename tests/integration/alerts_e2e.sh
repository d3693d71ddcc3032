#!/usr/bin/env bash
# Alerting end to end on the simulated fleet: `fleetop collect` watching six
# simulated hosts with a CPU rule (for = 2s) and a host-down rule, sending
# Alertmanager-format webhooks to a recorder on loopback, with an escalation
# step after 5 s to a second receiver. The simulator's control forces CPU on
# hosts; its flapping host drops off by itself at a known time.
#   - a forced host fires: the webhook gets status firing naming it within
#     seconds, and `fleetop alerts --json` lists it firing;
#   - `fleetop alerts ack ID` stops its escalation: the second receiver
#     never hears of it, while an unacknowledged host escalates to it;
#   - CPU back down: a resolved notification (endsAt set), and
#     `fleetop alerts history --json` shows the alert resolved;
#   - the flapping host drops off a moment after its CPU alert fired:
#     host_unreachable fires and inhibits that CPU alert, whose escalation
#     step then never comes.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/notify.sh"

start_recorder rec
P=$rec_PORT
FLAP_EVERY=24 # the flapping host drops off this long after the start, for 12 s
# The flap timer counts from the simulator's first loop time, taken as it
# starts (before its keys and sockets): the moment it is launched, near enough.
start_sim "$T/sim" --hosts 6 --flap-every "$FLAP_EVERY" --flap-down 12
t0=$SIM_T0
check "simulator started with a control FIFO" [ -p "$T/sim/control" ]
export FLEETOP_HOME=$T/sim
DB=$FLEETOP_HOME/fleetop.db
printf '\n[collect]\ninterval = 1s\n' >> "$FLEETOP_HOME/fleetop.conf"

# The flapping host is named in the inventory's header; X (acknowledged)
# and Y (not) are two others.
Z=$(sed -n 's/^# \([^ ]*\) drops off for .*/\1/p' "$T/sim/fleet.conf")
mapfile -t others < <(awk '/ ansible_host=/ {print $1}' "$T/sim/fleet.conf" | grep -vx "$Z")
X=${others[0]}
Y=${others[1]}
echo "hosts: X=$X (acknowledged), Y=$Y (escalates), Z=$Z (drops off)"
check "the flapping host is named" [ -n "$Z" ]

cat > "$FLEETOP_HOME/rules.conf" <<'EOF'
[cpu_high]
expr = cpu.util > 80
for = 2s
severity = critical
summary = {host} CPU {value}%

[host_unreachable]
expr = host.up == 0
severity = critical
summary = {host} is unreachable
EOF
cat > "$FLEETOP_HOME/notify.conf" <<EOF
[receiver hook]
type = webhook
url = http://127.0.0.1:$P/webhook/main
send_resolved = true

[receiver late]
type = webhook
url = http://127.0.0.1:$P/webhook/late
send_resolved = true

[policy all]
group_by = rule, host
group_wait = 0s
group_interval = 1s
step = hook
step = 5s late
EOF
chmod 600 "$FLEETOP_HOME/notify.conf"

# Every host steady at 30% so that nothing but what the test does fires.
echo "cpu * 30" > "$T/sim/control"
fleetop_bg CPID "collect, stopped by SIGINT" -- "$FLEETOP" collect --stats 1s > "$T/collect.log" 2>&1
check "collect sees all 6 hosts up" wait_until 15 grep -q '^collect: 6 up' "$T/collect.log"
sleep 1.5 # two frames: CPU samples for everyone

# What the recorder got, a line an alert: PATH VERSION STATUS ALERT-STATUS
# RULE HOST ENDS-AT STARTS-AT ARRIVED.
webhooks() {
	"$PY" - "$T/rec.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") != "start":
        continue
    try:
        b = json.loads(e["body"])
    except ValueError:
        print(e["path"], "unparsable")
        continue
    for a in b.get("alerts", []):
        lab = a.get("labels", {})
        print(e["path"], b.get("version"), b.get("status"), a.get("status"), lab.get("rule"),
              lab.get("host"), a.get("endsAt"), a.get("startsAt"), "%.3f" % e["t"])
PY
}
# wait_hook PATH STATUS RULE HOST SECONDS: an alert like that arrived.
wait_hook() {
	local end=$(($(date +%s) + $5))
	while [ "$(date +%s)" -le "$end" ]; do
		webhooks 2>/dev/null | awk -v p="$1" -v s="$2" -v r="$3" -v h="$4" \
			'$1 == p && $4 == s && $5 == r && $6 == h {f = 1} END {exit !f}' && return 0
		sleep 0.1
	done
	return 1
}
# (Read whole before a grep -q or an awk exit ends the pipe: under pipefail
# the listing's broken pipe failed the check, or passed a negated one.)
hook_has() { local w; w=$(webhooks); grep -q -- "$1" <<<"$w"; } # REGEX over those lines
first_hook() { # AWK-CONDITION FIELD HOST: that field of the first line matching (h is HOST)
	local w; w=$(webhooks); awk -v h="$3" "$1 {print \$$2; exit}" <<<"$w"
}
not() { ! "$@"; }
# alert_field RULE HOST FIELD: from `fleetop alerts --json` (open alerts).
alert_field() {
	"$FLEETOP" alerts --json | "$PY" -c '
import json, sys
for a in json.load(sys.stdin)["alerts"]:
    if a["rule"] == sys.argv[1] and a["host"] == sys.argv[2]:
        v = a.get(sys.argv[3])
        print("" if v is None else v)
        break' "$@"
}

# Z's CPU goes up so that its alert fires (2 s of for, up to 2 frames to
# see it, a tick) about 2 s before Z drops off, and its escalation step
# would come due about 3 s after.
z_at=$("$PY" -c "print(max(0, $FLAP_EVERY - 5.6 - ($(date +%s.%N) - $t0)))")
(sleep "$z_at"; echo "cpu $Z 95" > "$T/sim/control") &
PIDS+=($!)

forced=$(date +%s.%N)
printf 'cpu %s 95\ncpu %s 95\n' "$X" "$Y" > "$T/sim/control"
check "the simulator took the CPU changes" wait_until 10 grep -q "^control: cpu $X 95 at " "$T/sim.log"
check "webhook: firing for $X within 8 s" wait_hook /webhook/main firing cpu_high "$X" 8
echo "  $X notified $("$PY" -c "print(round($(date +%s.%N) - $forced, 1))") s after its CPU went up (for = 2s)"
check "payload is Alertmanager's: version 4, status firing, endsAt zero" \
	hook_has "^/webhook/main 4 firing firing cpu_high $X 0001-01-01T00:00:00Z "
check "fleetop alerts --json lists $X firing" [ "$(alert_field cpu_high "$X" state)" = firing ]
ID=$(alert_field cpu_high "$X" id)
check "fleetop alerts ack $ID" "$FLEETOP" alerts ack "$ID" -m "looking at it"
check "the ack shows in --json" bash -c "'$FLEETOP' alerts --json | grep -q 'looking at it'"

# Y is not acknowledged: its group escalates to the second receiver after 5 s.
check "escalation: $Y reaches the second receiver" wait_hook /webhook/late firing cpu_high "$Y" 10
# X's own step 2 was due 5 s after X fired: wait until 2 s past that.
x_fired=$(first_hook '$1 == "/webhook/main" && $3 == "firing" && $5 == "cpu_high" && $6 == h' 9 "$X")
sleep "$("$PY" -c "print(max(0, ${x_fired:-0} + 7 - $(date +%s.%N)))")"
check "no escalation for acknowledged $X (2 s past its step's due time)" not hook_has "^/webhook/late .* cpu_high $X "

echo "cpu $X 30" > "$T/sim/control"
check "webhook: resolved for $X" wait_hook /webhook/main resolved cpu_high "$X" 8
ends=$(first_hook '$1 == "/webhook/main" && $4 == "resolved" && $6 == h' 7 "$X")
check "resolved carries endsAt ($ends)" bash -c "[ -n '$ends' ] && [ '$ends' != '0001-01-01T00:00:00Z' ] && [ '$ends' != None ]"
x_resolved() {
	"$FLEETOP" alerts history --json | "$PY" -c '
import json, sys
a = [a for a in json.load(sys.stdin)["alerts"] if a["rule"] == "cpu_high" and a["host"] == sys.argv[1]]
assert a and a[0]["state"] == "resolved" and a[0].get("resolved"), a' "$X"
}
check "alerts history --json: $X resolved" x_resolved
check "$X is no longer open" [ -z "$(alert_field cpu_high "$X" state)" ]

# Z: its CPU alert fires, then Z drops off.
left=$("$PY" -c "print(int($FLAP_EVERY - ($(date +%s.%N) - $t0)) + 1)")
check "$Z fires cpu_high before it drops off" wait_hook /webhook/main firing cpu_high "$Z" "$left"
z_fired=$(first_hook '$1 == "/webhook/main" && $3 == "firing" && $5 == "cpu_high" && $6 == h' 9 "$Z")
echo "  $Z's CPU alert fired $("$PY" -c "print(round(${z_fired:-0} - $t0 - $FLAP_EVERY, 1))") s from its drop"
check "host_unreachable fires for $Z" wait_hook /webhook/main firing host_unreachable "$Z" $((left + 6))
echo "  host_unreachable reached the webhook at $("$PY" -c "print(round($(date +%s.%N) - $t0 - $FLAP_EVERY, 1))") s from the drop"
# Its step 2 was due 5 s after it fired: wait until 2 s past that.
wait_s=$("$PY" -c "print(max(0, ${z_fired:-0} + 7 - $(date +%s.%N)))")
sleep "$wait_s"
check "$Z's CPU alert is still open (no data is not the all-clear)" [ "$(alert_field cpu_high "$Z" state)" = firing ]
check "inhibited: $Z's CPU alert did not escalate" not hook_has "^/webhook/late .* firing cpu_high $Z "
others_quiet() { local w; w=$(webhooks); [ -z "$(grep -v -e " $X " -e " $Y " -e " $Z " <<<"$w")" ]; }
check "nothing for the hosts left alone" others_quiet
echo "cpu * auto" > "$T/sim/control"
stop_expect "$CPID" INT
echo "took $("$PY" -c "print(round($(date +%s.%N) - $t0))") s"
[ "$FAILS" -eq 0 ] || { echo "--- recorder"; webhooks; echo "--- collect"; tail -20 "$T/collect.log"; }
finish
