#!/usr/bin/env bash
# What the console shows first, on an inventory of two groups whose names
# sort differently as strings: the title counts the inventory's groups
# (not Ansible's implicit all and ungrouped), rows come in natural order
# (db-7 before db-10, mc-eu-2 before mc-eu-10) grouped or not and
# reversed, and the host pane opened seconds after start fits its range
# to the history there is (5m, a graph several columns wide, not a dot at
# the edge of 1h) until a range is picked.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
start_sim "$T/sim" --hosts 6
ports=($(sed -n 's/.*ansible_port=\([0-9]*\).*/\1/p' "$T/sim/fleet.conf"))
cat > "$T/natural.conf" <<INV
[db]
db-12 ansible_host=127.0.0.1 ansible_port=${ports[0]}
db-7 ansible_host=127.0.0.1 ansible_port=${ports[1]}
db-10 ansible_host=127.0.0.1 ansible_port=${ports[2]}
db-11 ansible_host=127.0.0.1 ansible_port=${ports[3]}
[mc]
mc-eu-10 ansible_host=127.0.0.1 ansible_port=${ports[4]}
mc-eu-2 ansible_host=127.0.0.1 ansible_port=${ports[5]}
[all:vars]
ansible_user=fleetop
INV
source "$(dirname "$0")/lib/tmux.sh"
tmux new-session -d -s "$sess" -x 200 -y 50 \
	"FLEETOP_HOME=$T/sim LANG=C.UTF-8 TERM=xterm-256color '$FLEETOP' -i '$T/natural.conf'; echo EXITED \$?; sleep 60"

check "console opens" wait_for "Fleet 6/6"
check "the title counts 2 groups (not all and ungrouped)" wait_for "6 hosts · 2 groups · "
# The host names in the fleet pane, top to bottom.
rows() { tmux capture-pane -p -t "$sess" | sed -n 's/^│.\{1,3\}\(db-[0-9]*\|mc-eu-[0-9]*\) .*/\1/p' | tr '\n' ' '; }
rows_are() { # want [seconds]
	local end=$(( $(date +%s) + ${2:-10} ))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ "$(rows)" = "$1" ] && return 0
		sleep 0.2
	done
	echo "--- rows: '$(rows)', want '$1'"
	return 1
}
natural="db-7 db-10 db-11 db-12 mc-eu-2 mc-eu-10 "
check "grouped rows in natural order" rows_are "$natural"
check "group headers as the inventory has them" bash -c "tmux capture-pane -p -t $sess | grep -q '@db (4)' && tmux capture-pane -p -t $sess | grep -q '@mc (2)'"

# The host pane, opened a few seconds after start: the range that holds
# the history (5m), and the CPU graph drawn over several columns.
check "hosts come up" wait_for "6 up"
keys Enter
check "Enter opens the host pane on the first row's host, range 5m" wait_for "db-7 · up · 5m "
cpu_columns() { # columns of the CPU graph with a braille dot in them
	tmux capture-pane -p -t "$sess" | python3 -c '
import sys
lines = sys.stdin.read().split("\n")
cols = set()
graph = False
for l in lines:
    if "CPU %  now" in l:
        graph = True
        continue
    if not graph:
        continue
    axis = max(l.rfind("\u2524"), l.rfind("\u253c"))
    if axis < 0:
        break
    inner = l[axis + 1:].split("\u2502")[0]
    cols |= {i for i, c in enumerate(inner) if 0x2801 <= ord(c) <= 0x28ff}
print(len(cols))'
}
wide_graph() {
	local end=$(( $(date +%s) + 30 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ "$(cpu_columns)" -ge 3 ] && return 0
		sleep 0.5
	done
	echo "--- CPU graph columns: $(cpu_columns)"; tmux capture-pane -p -t "$sess"
	return 1
}
check "the CPU graph spans 3 columns or more within 30 s (not a dot at the edge)" wide_graph
check "the range is still 5m" wait_for "db-7 · up · 5m " 2
keys Escape
keys Down
check "the next host in natural order fits its own history (5m)" wait_for "db-10 · up · 5m "
# A range picked stays, whichever host is shown.
keys 2
check "2 picks 1h" wait_for "db-10 · up · 1h "
keys Down
check "the picked range stays for the next host" wait_for "db-11 · up · 1h "

keys g
check "ungrouped rows in natural order" rows_are "$natural"
keys r
check "reversed: natural order backwards" rows_are "mc-eu-10 mc-eu-2 db-12 db-11 db-10 db-7 "
keys q
check "q quits with exit 0" wait_for "EXITED 0"
finish
