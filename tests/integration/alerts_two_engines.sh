#!/usr/bin/env bash
# Two fleetop processes on one history, as `fleetop collect` running 24/7
# with a console opened beside it (in tmux): one evaluates the rules, so
# each alert is raised and notified once; the console shows them and says
# whose they are. When collect is killed (-9), the console carries the open
# alert on without announcing it again, and tells its end once.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/notify.sh"
source "$(dirname "$0")/lib/tmux.sh"

start_recorder rec
P=$rec_PORT
start_sim "$T/sim" --hosts 4 --flap-every 0
export FLEETOP_HOME=$T/sim
printf '\n[collect]\ninterval = 1s\n' >> "$FLEETOP_HOME/fleetop.conf"
hosts=($(sed -n 's/^\([a-z0-9-]*\) ansible_host=.*/\1/p' "$FLEETOP_HOME/fleet.conf"))
H=${hosts[0]}
cat > "$FLEETOP_HOME/rules.conf" <<'EOF'
[cpu_high]
expr = cpu.util > 80
severity = critical
summary = {host} CPU {value}%
EOF
cat > "$FLEETOP_HOME/notify.conf" <<EOF
[receiver hook]
type = webhook
url = http://127.0.0.1:$P/webhook
send_resolved = true

[policy all]
group_by = rule, host
group_wait = 0s
group_interval = 1s
step = hook
EOF
chmod 600 "$FLEETOP_HOME/notify.conf"
echo "cpu * 30" > "$T/sim/control"

# what the recorder got: a line an alert, "STATUS HOST"
webhooks() {
	"$PY" - "$T/rec.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") != "start":
        continue
    for a in json.loads(e["body"]).get("alerts", []):
        print(a["status"], a["labels"]["host"])
PY
}
count_hook() { webhooks | grep -c "^$1 $2\$" || true; }
wait_count() { # STATUS HOST N SECONDS
	local end=$(($(date +%s) + $4))
	while [ "$(date +%s)" -le "$end" ]; do
		[ "$(count_hook "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.2
	done
	return 1
}
open_rows() { # HOST: open alert rows of cpu_high on HOST
	"$PY" - "$FLEETOP_HOME/fleetop.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT count(*) FROM alert WHERE rule='cpu_high' AND host=? AND state!='resolved'",
                 (sys.argv[2],)).fetchone()[0])
PY
}

fleetop_bg C1 "collect, killed with -9" 137 -- "$FLEETOP" collect > "$T/c1.log" 2>&1
check "collect evaluates the rules" wait_until 15 grep -q "this process evaluates the rules" "$T/c1.log"
# The console runs in tmux; its exit status comes back on the screen.
tmux new-session -d -s "$sess" -x 160 -y 40 \
	"FLEETOP_HOME=$FLEETOP_HOME LANG=C.UTF-8 TERM=xterm-256color '$FLEETOP'; echo EXITED \$?; sleep 60"
check "the console beside collect says the alerts are another's" wait_for "by another fleetop"

echo "cpu $H 95" > "$T/sim/control"
check "firing for $H reaches the webhook" wait_count firing "$H" 1 10
sleep 3 # both have seen it by now: a tick is 1 s
check "one firing notification, not one a process" [ "$(count_hook firing "$H")" = 1 ]
check "one open alert row for $H" [ "$(open_rows "$H")" = 1 ]
check "fleetop alerts lists it once" bash -c "[ \$('$FLEETOP' alerts | grep -c 'cpu_high.*$H') = 1 ]"
check "the console shows collect's alert" wait_for "$H CPU"

# collect dies without a word; the console takes over.
kill -9 "$C1"
expect_exit "$C1"
check "the console now evaluates the rules" wait_until 15 \
	grep -q 'this process evaluates the rules' "$FLEETOP_HOME/console.log"
not_anothers() { [ -z "$(tmux capture-pane -p -t "$sess" | grep 'by another fleetop')" ]; }
check "its alerts pane no longer says another's" wait_until 10 not_anothers
check "and still shows the alert" wait_for "$H CPU"
sleep 3 # a notification of its own would come on its first ticks (1 s)
check "no new firing notification after the takeover" [ "$(count_hook firing "$H")" = 1 ]
check "still one open alert row for $H" [ "$(open_rows "$H")" = 1 ]

echo "cpu $H 30" > "$T/sim/control"
check "resolved for $H reaches the webhook" wait_count resolved "$H" 1 10
sleep 3 # a second one would come at the next group_interval (1 s)
check "resolved once" [ "$(count_hook resolved "$H")" = 1 ]
check "no open alert row left" [ "$(open_rows "$H")" = 0 ]
tmux send-keys -t "$sess" q
check "the console quits with exit 0" wait_for "EXITED 0"
[ "$FAILS" -eq 0 ] || { echo "--- recorder"; webhooks; echo "--- collect"; tail -5 "$T/c1.log"; echo "--- console"; tail -20 "$FLEETOP_HOME/console.log"; }
finish
