#!/usr/bin/env bash
# The console's alerts on the simulated fleet, driven in tmux: rules that
# fire at once show in the alerts pane (grouped, with host, state, age and
# value), the fleet rows carry the badge, and the pane's keys acknowledge,
# silence, show the runbook and jump to the host; what they do is checked
# with `fleetop alerts` from another shell. --read-only refuses them.
source "$(dirname "$0")/lib/common.sh"
start_sim "$T/sim" --hosts 6 --flap-every 0
# 6 hosts: mc-eu-01..03 in eu-minecraft, mc-us-01, q3-01, vh-01. Every
# host has a CPU value, so these fire (or wait) as soon as samples come.
cat > "$T/sim/rules.conf" <<'EOF'
[cpu_seen]
expr = cpu.util >= 0
severity = critical
summary = {host}: CPU at {value}%
hosts = mc-eu-01
runbook = https://wiki.example/runbooks/cpu

[busy]
expr = cpu.util >= 0
severity = warning
summary = {host} is busy
hosts = @eu-minecraft,!mc-eu-01

[slow]
expr = cpu.util >= 0
for = 1h
severity = info
summary = {host} would be slow in an hour
hosts = q3-01
EOF
source "$(dirname "$0")/lib/tmux.sh"
alerts() { FLEETOP_HOME=$T/sim "$FLEETOP" alerts "$@"; }
# The alert of a rule (and host) in `fleetop alerts --json`, through a
# python expression on it: a.
json_check() { # rule host expression
	alerts --json | python3 -c '
import json, sys
rule, host, expr = sys.argv[1:4]
a = [x for x in json.load(sys.stdin)["alerts"] if x["rule"] == rule and x["host"] == host]
sys.exit(0 if a and eval(expr, {"a": a[0]}) else 1)' "$1" "$2" "$3"
}
start_console() { # extra options
	tmux kill-session -t "$sess" 2>/dev/null || true
	tmux new-session -d -s "$sess" -x 200 -y 50 \
		"FLEETOP_HOME=$T/sim USER=tester LANG=C.UTF-8 TERM=xterm-256color '$FLEETOP' $*; echo EXITED \$?; sleep 60"
}
start_console

check "the alerts pane lists the firing alert with host and state" \
	wait_for_re '● crit FIRING +mc-eu-01 +[0-9]+s +[0-9.]+ +mc-eu-01: CPU at [0-9.]+%'
check "alerts of one group key fold under a header" \
	wait_for_re '▸ ● warn FIRING +@eu-minecraft · busy · 2 hosts · [0-9]+s'
check "a pending alert shows as pending" wait_for_re '● info pending +q3-01 '
check "the pane's title counts firing and pending" wait_for "Alerts 3 firing · 1 pending"
check "the title bar counts the alerts firing" wait_for " 3 alerts "
check "fleet rows carry the severity badge (crit, warn)" \
	bash -c "tmux capture-pane -p -t $sess | grep -qE '▲mc-eu-01 +up' &&
		 tmux capture-pane -p -t $sess | grep -qE '▲mc-eu-02 +up'"
check "no badge for a host whose alert only pends" \
	bash -c "tmux capture-pane -p -t $sess | grep -qE '│  q3-01 +up'"

# F9 gives the alerts pane the keys; the cursor starts on the first row.
keys F9
keys a
check "a acknowledges the alert under the cursor" wait_for "acknowledged cpu_seen on mc-eu-01"
check "the row shows who acknowledged it" wait_for_re 'mc-eu-01 +[0-9]+s +[0-9.]+ ✓ tester'
check "fleetop alerts --json shows ack.by" json_check cpu_seen mc-eu-01 'a["ack"] and a["ack"]["by"] == "tester"'
keys A
check "A takes the acknowledgement back" wait_for "un-acknowledged cpu_seen on mc-eu-01"
check "... and fleetop alerts --json has no ack" json_check cpu_seen mc-eu-01 'a["ack"] is None'
keys r
check "r shows the runbook" wait_for "runbook for cpu_seen: https://wiki.example/runbooks/cpu"

keys s
check "s asks how long, 2h by default" wait_for "silence rule=cpu_seen,host=mc-eu-01 for (and a comment): 2h"
keys C-u; keys -l "30m night shift"; keys Enter
check "the silence is added" wait_for_re "silence [0-9]+ added: rule=cpu_seen,host=mc-eu-01 for 30m"
check "fleetop alerts silences lists it with the comment" \
	bash -c "FLEETOP_HOME=$T/sim '$FLEETOP' alerts silences | grep -qE 'rule=cpu_seen,host=mc-eu-01 .* (in 29m|in 30m) +tester +night shift'"

keys Down
keys Enter
check "Enter on a group header unfolds it" wait_for_re '▾ ● warn FIRING +@eu-minecraft · busy · 2 hosts'
check "the group's alerts are listed under it" \
	bash -c "tmux capture-pane -p -t $sess | grep -qE '^│     ● warn FIRING +mc-eu-02 ' &&
		 tmux capture-pane -p -t $sess | grep -qE '^│     ● warn FIRING +mc-eu-03 '"
keys a
check "a on a group acknowledges its alerts" wait_for "acknowledged 2 alerts of @eu-minecraft · busy"
check "the header counts them" wait_for "· ✓ 2/2"
check "both are acknowledged in the history (mc-eu-02)" json_check busy mc-eu-02 'a["ack"]["by"] == "tester"'
check "both are acknowledged in the history (mc-eu-03)" json_check busy mc-eu-03 'a["ack"]["by"] == "tester"'
keys s
check "s on a group silences the group's labels" wait_for "silence rule=busy,group=eu-minecraft for"
keys Enter
check "... for the default 2h" wait_for_re "silence [0-9]+ added: rule=busy,group=eu-minecraft for 2h"
check "fleetop alerts silences lists the group's silence" \
	bash -c "FLEETOP_HOME=$T/sim '$FLEETOP' alerts silences | grep -qE 'rule=busy,group=eu-minecraft .* in (119|120)m'"
keys -
check "- folds the group again" wait_for_re '▸ ● warn FIRING +@eu-minecraft · busy'
keys Enter
# The group lists its alerts oldest first: which of the two fired first
# depends on whose sample came first, so find mc-eu-03's row.
wait_for_re '^│     ● warn FIRING +mc-eu-0[23] ' > /dev/null
first=$(screen | grep -oE '^│     ● warn FIRING +mc-eu-0[23]' | head -1 | grep -oE 'mc-eu-0[23]')
keys Down
[ "$first" = mc-eu-03 ] || keys Down
keys Enter
check "Enter on an alert jumps to its host (the host pane shows it)" wait_for "mc-eu-03 · up · "
keys Escape
keys '?'
check "help lists the alerts pane's keys" \
	bash -c "tmux capture-pane -p -t $sess | grep -q 'acknowledge / un-acknowledge the alert or its group' &&
		 tmux capture-pane -p -t $sess | grep -q 'silence the alert (rule+host) or group'"
keys Escape
# :reload: a bad rules.conf is refused with file:line and the alerts stay;
# the good one comes back.
cp "$T/sim/rules.conf" "$T/rules.good"
printf '[bad]\nexpr = avg(cpu.util 5m) > 3\n' > "$T/sim/rules.conf"
keys : r e l o a d Enter
check ":reload of a bad file names file:line and keeps the rules" \
	wait_for_re 'rules.conf:2.*keeping the rules'
check "the alerts are still listed after the refused reload" wait_for_re '● crit FIRING +mc-eu-01 '
cp "$T/rules.good" "$T/sim/rules.conf"
keys : r e l o a d Enter
check ":reload of a good file says what it loaded" wait_for_re 'reload: [0-9]+ rules from .*rules.conf'
keys q
check "q quits with exit 0" wait_for "EXITED 0"

# Read-only: the alerts show, the actions do not.
start_console --read-only
check "read-only console lists the alerts" wait_for_re '● crit FIRING +mc-eu-01 '
keys F9
keys a
check "read-only refuses acknowledging" wait_for "read-only console: acknowledging is off"
keys s
check "read-only refuses silencing" wait_for "read-only console: silencing is off"
check "nothing was acknowledged" json_check cpu_seen mc-eu-01 'a["ack"] is None'
keys q
check "read-only console quits" wait_for "EXITED 0"
finish
