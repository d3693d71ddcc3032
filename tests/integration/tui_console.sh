#!/usr/bin/env bash
# The console driven for real in tmux on the simulated fleet: rows appear
# and update, / narrows, Enter opens graphs, resize to 80x24 and back, a
# theme switch, ? help lists the keys, q gives the terminal back; warnings
# go to the message line and console.log, never over the screen.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
start_sim "$T/sim" --hosts 30
source "$(dirname "$0")/lib/tmux.sh"
tmux new-session -d -s "$sess" -x 200 -y 50 \
	"FLEETOP_HOME=$T/sim LANG=C.UTF-8 TERM=xterm-256color '$FLEETOP'; echo EXITED \$?; stty -a | grep -o -- '-\\?icanon'; sleep 60"

check "console opens with the fleet pane" wait_for "Fleet 30/30"
check "host rows appear and come up" wait_for "30 up"
check "group headers show" wait_for "@quake ("
row() { screen | grep -E 'mc-eu-01 +up' | head -1 || true; }
first=$(row)
changed=no
for _ in $(seq 40); do
	sleep 0.25
	[ "$(row)" != "$first" ] && { changed=yes; break; }
done
check "rows update live (mc-eu-01's row changed within 10 s)" [ -n "$first" -a "$changed" = yes ]
check "sparklines drawn" bash -c "screen() { tmux capture-pane -p -t $sess; }; screen | grep -q '[▁▂▃▄▅▆▇█]'"
# The simulated game servers answer their protocols: players/max and TPS.
check "PLAYERS and TPS columns filled by the game queries" wait_for_re 'mc-eu-01 +up .* [0-9]+/[0-9]+ +[0-9]+\.[0-9] '
check "quake rows show players (no TPS there)" wait_for_re 'q3-01 +up .* [0-9]+/[0-9]+ +- '
check "the alerts pane lists events" wait_for "Events (24h)"

keys / ; keys -l "q3-0" ; keys Enter
check "/ narrows the rows" wait_for "Fleet 6/30 · /q3-0"
check "only matching hosts are listed" bash -c "! tmux capture-pane -p -t $sess | grep -q 'mc-eu-01'"
keys Escape
keys / ; keys Escape
check "Esc in / clears the filter" wait_for "Fleet 30/30"

keys Enter
check "Enter opens the host pane with graphs" wait_for "CPU %  now"
check "host pane: the game line (map, players, latency)" wait_for_re '(minecraft|openarena|valheim) · .*[0-9]+/[0-9]+ players.* · [0-9]+ ms'
check "host pane: the players list with scores" wait_for_re '│ [A-Za-z0-9_]+ -?[0-9]+ +[A-Za-z0-9_]+ -?[0-9]+'
check "host pane: game graphs too (players, latency, process)" wait_for_re ' of 1[0-9] graphs '
check "graphs are drawn in braille" bash -c "tmux capture-pane -p -t $sess | python3 -c 'import re, sys; sys.exit(len(re.findall(\"[\\u2801-\\u28ff]\", sys.stdin.read())) < 5)'"
check "value axis and time labels" bash -c "tmux capture-pane -p -t $sess | grep -q '100┤' && tmux capture-pane -p -t $sess | grep -q 'now│'"
keys 2
check "range key switches to 1h" wait_for "· 1h "
keys Escape

tmux resize-window -t "$sess" -x 80 -y 24; sleep 1
check "80x24: title and fleet pane" wait_for "Fleet 30/30"
check "80x24: nothing wider than 80 columns" bash -c "tmux capture-pane -p -t $sess | python3 -c 'import sys; sys.exit(max(len(l) for l in sys.stdin.read().split(chr(10))) > 80)'"
check "80x24: F-key bar at the bottom" bash -c "tmux capture-pane -p -t $sess | tail -1 | grep -q 'F10Quit'"
keys Enter
check "80x24: Enter zooms the host pane" wait_for "CPU %  now"
keys Escape
tmux resize-window -t "$sess" -x 200 -y 50; sleep 1
check "back to 200x50: host pane beside the fleet" wait_for " · up · 1h "
check "still live after resizing" wait_for "30 up"

before=$(tmux capture-pane -e -p -t "$sess" | head -3 | md5sum || true)
keys : ; keys -l "theme light" ; keys Enter
sleep 0.8
after=$(tmux capture-pane -e -p -t "$sess" | head -3 | md5sum || true)
check "theme switch changes the colours" [ "$before" != "$after" ]
check "theme choice is saved" grep -q "theme = light" "$T/sim/console.conf"
keys : ; keys -l "theme nosuch" ; keys Enter
check "unknown theme gives a one-line error" wait_for "theme 'nosuch' not found"

keys '?'
check "? opens help" wait_for "Help · Esc closes"
for k in "filter hosts" "quit" "next theme" "mark every host shown" "command line"; do
	check "help lists: $k" wait_for "$k" 2
done
keys Escape

keys : ; keys -l "ho" ; keys Tab
check ": completes commands (ho -> host)" wait_for ":host"
keys -l "vh-0" ; keys Tab
check ": completes host names" wait_for "vh-01"
keys Escape

keys Space
check "Space marks a host" wait_for "1 marked"
keys q
check "q quits with exit 0" wait_for "EXITED 0"
check "q restores the terminal (icanon back on)" bash -c "tmux capture-pane -p -t $sess | grep -qx 'icanon'"

# A crash signal gives the terminal back too.
tmux kill-session -t "$sess"
tmux new-session -d -s "$sess" -x 100 -y 30 \
	"FLEETOP_HOME=$T/sim LANG=C.UTF-8 '$FLEETOP' 2>/dev/null; echo EXITED \$?; stty -a | grep -o -- '-\\?icanon'; sleep 60"
check "console up again" wait_for "Fleet 30/30"
# This console only, by its pid (the pane's shell's child): a pkill by name
# would hit every fleetop on the machine.
pane_pid=$(tmux list-panes -t "$sess" -F '#{pane_pid}' | head -1)
console_pid=$(pgrep -P "$pane_pid" | head -1)
check "found the console's pid" [ -n "$console_pid" ]
kill -SEGV "$console_pid"
check "a crash signal ends it (exit 139)" wait_for "EXITED 139"
check "a crash signal restores the terminal (icanon back on)" bash -c "tmux capture-pane -p -t $sess | grep -qx 'icanon'"

# ASCII: no UTF-8 locale, graphs in blocks.
tmux kill-session -t "$sess"
tmux new-session -d -s "$sess" -x 200 -y 50 \
	"FLEETOP_HOME=$T/sim LANG=C LC_ALL=C '$FLEETOP'; sleep 60"
check "ASCII console opens" wait_for "Fleet 30/30"
keys Enter
check "ASCII: frames and graphs without UTF-8" wait_for "CPU %  now"
check "ASCII: no braille or box characters on screen" bash -c "tmux capture-pane -p -t $sess | python3 -c 'import sys; sys.exit(any(ord(c) > 127 and not (0x2500 <= ord(c) <= 0x259f) for c in sys.stdin.read()))'"
keys q

# A warning while the console runs goes to the message line and to
# console.log beside the history, never over the screen (stderr included).
cp "$T/sim/fleet.conf" "$T/fleet.conf.good"
sed -i 's/^\(vh-01 .*\)$/\1 game_timeout=banana/' "$T/sim/fleet.conf"
tmux kill-session -t "$sess"
tmux new-session -d -s "$sess" -x 160 -y 40 \
	"FLEETOP_HOME=$T/sim LANG=C.UTF-8 '$FLEETOP'; echo EXITED \$?; sleep 60"
check "console opens on an inventory with a bad variable" wait_for "Fleet 30/30"
check "the warning shows in the message line" wait_for "vh-01: game_timeout=banana is not a duration"
check "the warning is in console.log, mode 0600" bash -c \
	"grep -q 'fleetop warn: vh-01: game_timeout=banana' '$T/sim/console.log' && [ \$(stat -c %a '$T/sim/console.log') = 600 ]"
check "no log line is written over the screen" bash -c "! tmux capture-pane -p -t $sess | grep -q 'fleetop warn'"
keys q
check "q quits (log given back)" wait_for "EXITED 0"
cp "$T/fleet.conf.good" "$T/sim/fleet.conf"

# Read-only: no marks.
tmux kill-session -t "$sess"
tmux new-session -d -s "$sess" -x 120 -y 40 \
	"FLEETOP_HOME=$T/sim LANG=C.UTF-8 '$FLEETOP' --read-only -t high-contrast; echo EXITED \$?; sleep 60"
check "read-only shows in the title" wait_for "[read-only]"
check "-t picks the theme without saving it" bash -c "grep -q 'theme = light' '$T/sim/console.conf'"
# The title says [read-only] from the start: the refusals are checked by
# their own messages, and no mark may show in the fleet pane's title.
keys Space
check "read-only refuses Space (mark) with a message" wait_for "read-only: marking is off"
keys a
check "read-only refuses a (mark all) with a message" wait_for "read-only console: mark every host shown is off"
check "read-only: no host got marked" bash -c "! tmux capture-pane -p -t $sess | grep -q ' marked'"
# Ctrl-C also gives the terminal back.
keys C-c
check "Ctrl-C quits" wait_for "EXITED"

# A log file that cannot be opened: the console runs and says so in its
# message line.
mv "$T/sim/console.log" "$T/console.log.kept"
mkdir "$T/sim/console.log"
tmux kill-session -t "$sess"
tmux new-session -d -s "$sess" -x 160 -y 40 \
	"FLEETOP_HOME=$T/sim LANG=C.UTF-8 '$FLEETOP'; echo EXITED \$?; sleep 60"
check "an unopenable console.log is said in the message line" \
	wait_for "cannot open log file $T/sim/console.log: Is a directory; the log is lost"
check "the console runs on" wait_for "Fleet 30/30"
keys q
check "and quits with exit 0" wait_for "EXITED 0"
finish
