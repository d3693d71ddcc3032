#!/usr/bin/env bash
# Regenerates docs/console-160x48.txt: the console on the simulated fleet,
# captured from tmux at 160x48 after it has collected for a while (one
# host drops off 25 s in, so the alerts pane shows it).
# Usage: scripts/capture-demo.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-45}
T=$(mktemp -d /tmp/fleetop-capture.XXXXXX)
export TMUX_TMPDIR=$T LC_ALL=C.UTF-8
sess=flcap$$
trap 'tmux kill-server 2>/dev/null || true; kill $simpid 2>/dev/null || true; wait 2>/dev/null; rm -rf "$T"' EXIT
port=$((12000 + RANDOM % 8000))
"$build/fleetop" sim --hosts 24 --dir "$T/sim" --port "$port" --time-scale 60 --flap-first 25 > "$T/sim.log" 2>&1 &
simpid=$!
for _ in $(seq 300); do [ -s "$T/sim/fleet.conf" ] && break; sleep 0.1; done
tmux new-session -d -s "$sess" -x 160 -y 48 \
	"FLEETOP_HOME=$T/sim LANG=C.UTF-8 TERM=xterm-256color $build/fleetop; sleep 60"
sleep "$secs"
tmux send-keys -t "$sess" j j Enter 1
sleep 2
mkdir -p docs
tmux capture-pane -p -t "$sess" > docs/console-160x48.txt
echo "wrote docs/console-160x48.txt ($(wc -l < docs/console-160x48.txt) lines)"
