#!/usr/bin/env bash
# Every key the console's help lists, pressed once in tmux on the real
# binary: the list comes from src/tui/keymap.c's tables (the key table and
# the panes' own keys), so a key added there is pressed here too. After
# each key the console must still run and answer (Esc Esc, then a filter
# typed shows in the prompt and narrows the fleet); the help must list
# every key of the table; q and F10 quit with exit 0.
source "$(dirname "$0")/lib/common.sh"
start_sim "$T/sim" --hosts 4
source "$(dirname "$0")/lib/tmux.sh"
KEYMAP=$SRC/src/tui/keymap.c
console() { # session
	tmux new-session -d -s "$1" -x 200 -y 50 \
		"FLEETOP_HOME=$T/sim LANG=C.UTF-8 TERM=xterm-256color '$FLEETOP'; echo EXITED \$?; sleep 60"
}

# NAME ACTION per line, from the table keymap[] (the help's key names).
python3 - "$KEYMAP" > "$T/keys" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
table = src[src.index("const struct keybind keymap[] = {"):]
table = table[:table.index("\n};")]
ent = re.compile(r"""^\s*\{\s*('(?:\\.|[^'])+'|[^,]+?)\s*,\s*"((?:\\.|[^"])*)"\s*,\s*(act_\w+)\s*,""", re.M)
for m in ent.finditer(table):
    print(m.group(2), m.group(3))
PY
# The panes' own keys, from pane_keys[]: "Up/Down j/k" gives Up Down j k;
# "alerts: a A" gives the alerts pane's a and A (pressed after F9).
python3 - "$KEYMAP" > "$T/pane_keys" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
table = src[src.index("pane_keys[] = {"):]
table = table[:table.index("\n};")]
for m in re.finditer(r'^\s*\{\s*"((?:\\.|[^"])*)"\s*,', table, re.M):
    keys = m.group(1)
    pane = ""
    if keys.startswith("alerts:"):
        pane, keys = "alerts", keys[len("alerts:"):]
    for k in re.split(r"[ /]+", keys.strip()):
        if k:
            print(pane or "-", k)
PY
nkeys=$(wc -l < "$T/keys")
check "the key table was read ($nkeys keys)" [ "$nkeys" -ge 20 ]
check "the panes' keys were read ($(wc -l < "$T/pane_keys"))" [ "$(wc -l < "$T/pane_keys")" -ge 15 ]

# tmux's name for a key as the help names it; empty: not a key to press.
tmux_key() {
	case $1 in
	Esc) echo Escape ;;
	Tab | Space | Enter | Up | Down | Left | Right | Home | End) echo "$1" ;;
	PgUp) echo PPage ;;
	PgDn) echo NPage ;;
	F[0-9] | F1[0-2]) echo "$1" ;;
	^?) echo "C-$(echo "${1:1}" | tr 'A-Z' 'a-z')" ;;
	mouse) echo "" ;;
	?) echo "lit:$1" ;;
	*) echo "?" ;;
	esac
}
send() { # tmux key name (lit:X sends X as typed)
	case $1 in
	lit:*) tmux send-keys -t "$sess" -l "${1#lit:}" ;;
	*) tmux send-keys -t "$sess" "$1" ;;
	esac
	sleep 0.2
}
# Alive and answering: back to the fleet, a filter typed shows and
# narrows the fleet to nothing, Esc drops it. A console that ended is
# started again, so each key after it is still tried on its own.
n=0
answers() {
	n=$((n + 1))
	send Escape; send Escape
	if screen | grep -q EXITED; then
		echo "--- the console ended:"; screen
		tmux kill-session -t "$sess"
		console "$sess"
		wait_for "Fleet 4/4" >/dev/null || true
		return 1
	fi
	send lit:/; send "lit:zz$n"
	wait_for "Fleet 0/4 · /zz$n" 10 || return 1
	send Escape
	wait_for "Fleet 4/4" 10
}

console "$sess"
check "console opens" wait_for "Fleet 4/4"
check "hosts come up" wait_for "4 up"

# The help lists every key of the table, in its key column.
send lit:?
check "? opens help" wait_for "Help · Esc closes"
help_keys=$(screen | python3 -c '
import sys
lines = sys.stdin.read().split("\n")
top = next(i for i, l in enumerate(lines) if "Help · Esc closes" in l)
x0 = lines[top].index("\u250c")
toks = set()
for l in lines[top + 1:]:
    if len(l) <= x0 or l[x0] != "\u2502":
        break
    toks.update(l[x0 + 2:x0 + 20].split())
print(" ".join(sorted(toks)))')
missing=""
while read -r name action; do
	[[ " $help_keys " == *" $name "* ]] || missing="$missing $name"
done < "$T/keys"
check "the help lists every key of the table (missing:${missing:- none})" [ -z "$missing" ]
# ... and every : command of src/tui/commands.c's table.
commands=$(python3 - "$SRC/src/tui/commands.c" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
table = src[src.index("const struct tui_command tui_commands[] = {"):]
table = table[:table.index("\n};")]
print(" ".join(re.findall(r'^\s*\{\s*"(\w+)"', table, re.M)))
PY
)
help_text=$(screen | tr -s ' ,()' '\n\n\n\n')
missing=""
for c in $commands; do
	grep -qx "$c" <<< "$help_text" || missing="$missing $c"
done
check "the : command table was read ($(wc -w <<< "$commands") commands)" [ "$(wc -w <<< "$commands")" -ge 10 ]
check "the help lists every : command of the table (missing:${missing:- none})" [ -z "$missing" ]
send Escape

quit_keys=()
while read -r name action; do
	k=$(tmux_key "$name")
	if [ "$k" = "?" ]; then
		fail "key '$name' of the table has no tmux name here: add it to tmux_key"
		continue
	fi
	if [ "$action" = act_quit ]; then
		quit_keys+=("$name")
		continue
	fi
	send "$k"
	check "after $name ($action) the console runs and answers" answers
done < "$T/keys"
while read -r pane name; do
	k=$(tmux_key "$name")
	if [ "$k" = "?" ]; then
		fail "pane key '$name' has no tmux name here: add it to tmux_key"
		continue
	fi
	[ -z "$k" ] && continue
	[ "$pane" = alerts ] && send F9
	send "$k"
	check "after ${pane/-/fleet} pane key $name the console runs and answers" answers
done < "$T/pane_keys"

check "the table has quit keys (${quit_keys[*]})" [ "${#quit_keys[@]}" -ge 1 ]
for name in "${quit_keys[@]}"; do
	send "$(tmux_key "$name")"
	check "$name quits with exit 0" wait_for "EXITED 0"
	tmux kill-session -t "$sess"
	console "$sess"
	wait_for "Fleet 4/4" >/dev/null || true
done
finish
