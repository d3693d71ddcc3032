#!/usr/bin/env bash
# openarena-up.sh DIR PORT [BOTS]: starts a real OpenArena dedicated server
# (Debian package openarena-server, ioquake3's ioq3ded) on 127.0.0.1:PORT/udp
# with BOTS bots (default 3) on oa_dm1, its home, config and games.log in DIR.
# Writes DIR/openarena.pid and DIR/openarena.log; returns 0 once a getstatus
# query on 127.0.0.1:PORT lists the bots (the server keeps running), 1 with
# the log tail otherwise. Stop it with: kill $(cat DIR/openarena.pid).
#
# ioq3ded runs as root without complaint, so no user switch is needed.
# Nothing leaves loopback: IPv4 only (net_enabled 1) bound to 127.0.0.1,
# dedicated 1 never sends master heartbeats and the master list is emptied.
set -euo pipefail
dir=$1
port=$2
bots=${3:-3}
wrapper=/usr/games/openarena-server
timeout_s=${OPENARENA_UP_TIMEOUT:-30}

if [ ! -x "$wrapper" ]; then
	echo "openarena-up: $wrapper missing: apt-get install openarena-server" >&2
	exit 1
fi
mkdir -p "$dir/baseoa"
dir=$(cd "$dir" && pwd)

# Bots come from explicit addbot lines: bot_minplayers adds only one bot
# every 10 s. Names cycle through OpenArena's stock bots.
names=(Sarge Grism Kyonshi Major Merman Angelyss Ayumi Gargoyle Penguin Tony)
maxclients=$((bots + 4 > 12 ? bots + 4 : 12))
{
	echo 'set sv_hostname "fleetop test arena"'
	for i in 1 2 3 4 5; do echo "set sv_master$i \"\""; done
	echo 'set sv_pure 0'
	echo 'set g_gametype 0'
	# No frag or time limit: the match never reaches intermission, so
	# the map and the bots stay put for the whole test.
	echo 'set fraglimit 0'
	echo 'set timelimit 0'
	echo 'set g_doWarmup 0'
	echo 'set bot_enable 1'
	echo 'set bot_minplayers 0'
	echo 'map oa_dm1'
	for ((i = 0; i < bots; i++)); do
		echo "addbot ${names[i % ${#names[@]}]} 2"
	done
} > "$dir/baseoa/fleetop-test.cfg"

# Startup cvars (+set) are applied before the network opens; the rest is
# in the cfg. The wrapper sets Debian's protocol cvars and execs ioq3ded,
# so $! is the server itself.
start=$(date +%s.%N)
"$wrapper" \
	+set dedicated 1 \
	+set ttycon 0 \
	+set fs_homepath "$dir" \
	+set com_homepath "$dir" \
	+set net_enabled 1 \
	+set net_ip 127.0.0.1 \
	+set net_port "$port" \
	+set sv_maxclients "$maxclients" \
	+exec fleetop-test.cfg \
	< /dev/null > "$dir/openarena.log" 2>&1 &
pid=$!
echo "$pid" > "$dir/openarena.pid"

give_up() {
	echo "openarena-up: $*" >&2
	tail -n 30 "$dir/openarena.log" >&2 || true
	kill "$pid" 2>/dev/null || true
	exit 1
}

# getstatus until the reply names the map and at least BOTS players.
query() {
	python3 - "$port" "$bots" <<'PY'
import socket, sys
port, want = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
try:
    s.sendto(b"\xff\xff\xff\xffgetstatus\n", ("127.0.0.1", port))
    data = s.recv(65535)
except OSError:
    sys.exit(1)
lines = data.split(b"\n")
if not lines[0].endswith(b"statusResponse") or len(lines) < 2:
    sys.exit(1)
players = [l for l in lines[2:] if l.strip()]
sys.exit(0 if b"\\mapname\\oa_dm1" in lines[1] and len(players) >= want else 1)
PY
}

deadline=$(($(date +%s) + timeout_s))
while :; do
	kill -0 "$pid" 2>/dev/null || give_up "server exited"
	# ioq3 moves to the next free port when PORT is taken: fail at once
	# rather than wait for an answer on the wrong port.
	bound=$(sed -n 's/^Opening IP socket: //p' "$dir/openarena.log" | tail -n 1)
	if [ -n "$bound" ] && [ "$bound" != "127.0.0.1:$port" ]; then
		give_up "127.0.0.1:$port/udp is taken (server bound $bound)"
	fi
	if [ -n "$bound" ] && query; then
		took=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
		echo "openarena-up: pid $pid on 127.0.0.1:$port with $bots bots after ${took}s"
		exit 0
	fi
	[ "$(date +%s)" -lt "$deadline" ] || give_up "no $bots bots on 127.0.0.1:$port after ${timeout_s}s"
	sleep 0.2
done
