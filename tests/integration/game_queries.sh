#!/usr/bin/env bash
# Game queries through the real binary: Quake 3, A2S (split replies in any
# order), Minecraft status and RCON (multi-packet) against protocol
# fixtures; straight, through a real sshd (forwarded TCP, perl relay for
# UDP) and the automatic fallback; every hostile reply giving a clear
# per-host state in one bounded run while the good hosts report; the game
# process and world size probe; custom collectors' metrics and events.
source "$(dirname "$0")/lib/common.sh"
start_sshd
FIX=$SRC/tests/integration/lib/hostile_game.py
# The interpreter itself: a version manager's shim costs most of a second
# of CPU per start, and this test starts 40 fixtures.
PY=$(python3 -c 'import sys; print(sys.executable)')
declare -A PORT
FIXTURES=()

# fixture NAME PROTO MODE [args]: starts one in the background.
fixture() {
	local name=$1 proto=$2 mode=$3
	shift 3
	"$PY" "$FIX" --proto "$proto" --mode "$mode" --port 0 "$@" > "$T/fx-$name.out" 2> "$T/fx-$name.err" &
	PIDS+=($!)
	FIXTURES+=("$name")
}
# Waits for every fixture's "ready PORT" line; PORT[NAME].
fixtures_ready() {
	for name in "${FIXTURES[@]}"; do
		for _ in $(seq 400); do
			grep -q '^ready' "$T/fx-$name.out" 2>/dev/null && break
			sleep 0.05
		done
		if ! grep -q '^ready' "$T/fx-$name.out"; then
			echo "fixture $name did not start: $(cat "$T/fx-$name.err")" >&2
			return 1
		fi
		PORT[$name]=$(awk '/^ready/ { print $2 }' "$T/fx-$name.out")
	done
}

printf 'fleetop-test-pw\n' > "$T/rcon.pw"
chmod 600 "$T/rcon.pw"
printf 'wrong\n' > "$T/wrong.pw"
chmod 600 "$T/wrong.pw"
cp "$T/rcon.pw" "$T/open.pw"
chmod 644 "$T/open.pw"

fixture q3 q3 good
fixture a2s a2s good
fixture a2s-split a2s split
fixture a2s-rev a2s split_reversed
fixture a2s-dup a2s split_dup
fixture slp slp good
fixture rcon rcon good --password fleetop-test-pw
fixture rcon-multi rcon multipacket --password fleetop-test-pw
fixture rcon-src rcon good --password fleetop-test-pw --rcon-style source
for m in truncated oversized wrongtype garbage silent spoof; do fixture "q3-$m" q3 "$m"; done
for m in truncated oversized wrongtype garbage silent; do fixture "a2s-$m" a2s "$m"; done
for m in truncated oversized wrongtype garbage silent slowloris refuse; do fixture "slp-$m" slp "$m"; done
for m in truncated oversized wrongtype garbage silent slowloris; do
	fixture "rcon-$m" rcon "$m" --password fleetop-test-pw
done
fixtures_ready

S="ansible_host=127.0.0.1 ansible_port=$SSHD_PORT"
{
	echo "[good]"
	echo "q3-good $S game=openarena query_port=${PORT[q3]}"
	echo "a2s-good $S game=valheim query_port=${PORT[a2s]}"
	echo "a2s-split $S game=a2s query_port=${PORT[a2s-split]}"
	echo "a2s-rev $S game=a2s query_port=${PORT[a2s-rev]}"
	echo "a2s-dup $S game=a2s query_port=${PORT[a2s-dup]}"
	echo "mc-good $S game=minecraft query_port=${PORT[slp]} rcon_port=${PORT[rcon]} rcon_password_file=$T/rcon.pw"
	echo "mc-multi $S game=minecraft query_port=${PORT[slp]} rcon_port=${PORT[rcon-multi]} rcon_password_file=$T/rcon.pw"
	echo "mc-source $S game=minecraft query_port=${PORT[slp]} rcon_port=${PORT[rcon-src]} rcon_password_file=$T/rcon.pw"
	echo "q3-ssh $S game=openarena query_via=ssh query_port=${PORT[q3]}"
	echo "mc-ssh $S game=minecraft query_via=ssh query_port=${PORT[slp]} rcon_port=${PORT[rcon]} rcon_password_file=$T/rcon.pw"
	# Direct goes to 127.0.0.3, where nothing listens; the host reaches
	# the fixture on its own 127.0.0.1.
	echo "q3-auto ansible_host=127.0.0.3 ansible_port=$SSHD_PORT game=openarena query_port=${PORT[q3]}"
	echo "mc-auto ansible_host=127.0.0.3 ansible_port=$SSHD_PORT game=minecraft query_port=${PORT[slp]}"
	echo "[config]"
	echo "mc-badpw $S game=minecraft query_port=${PORT[slp]} rcon_port=${PORT[rcon]} rcon_password_file=$T/wrong.pw"
	echo "mc-openpw $S game=minecraft query_port=${PORT[slp]} rcon_password_file=$T/open.pw"
	echo "doom $S game=doom"
	echo "[hostile]"
	for m in truncated oversized wrongtype garbage silent spoof; do
		echo "q3-$m $S game=quake3 query_via=direct query_port=${PORT[q3-$m]}"
	done
	for m in truncated oversized wrongtype garbage silent; do
		echo "a2s-$m $S game=a2s query_via=direct query_port=${PORT[a2s-$m]}"
	done
	for m in truncated oversized wrongtype garbage silent slowloris refuse; do
		echo "slp-$m $S game=minecraft query_via=direct query_port=${PORT[slp-$m]}"
	done
	for m in truncated oversized wrongtype garbage silent slowloris; do
		echo "rcon-$m $S game=minecraft query_via=direct query_port=${PORT[slp]} rcon_port=${PORT[rcon-$m]} rcon_password_file=$T/rcon.pw"
	done
	echo "[hostile:vars]"
	echo "game_timeout=2s"
	echo "game_interval=4s"
} > "$FLEETOP_HOME/fleet.conf"

start=$(date +%s.%N)
set +e
"$FLEETOP" status --json --accept-new '@good,@config,@hostile' > "$T/status.json" 2> "$T/status.err"
rc=$?
set -e
took=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
echo "status over $(grep -c ansible_host "$FLEETOP_HOME/fleet.conf") game hosts took ${took}s (exit $rc)"
check "one status run with every hostile server ends in bounded time (${took}s < 30s)" \
	python3 -c "import sys; sys.exit(0 if $took < 30 else 1)"
# Every host's SSH is up; a game that fails is the host's game state, not a
# failed host.
check "status exits 0 (every host reached; game errors are per host): exit $rc" [ "$rc" = 0 ]

# jq-like checks in python: host key expected
expect() { # what host python-expression-over-h
	local what=$1 host=$2 expr=$3
	if python3 - "$T/status.json" "$host" "$expr" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
h = next((x for x in d["hosts"] if x["name"] == sys.argv[2]), None)
if h is None:
    sys.exit("no host " + sys.argv[2])
m = h.get("metrics", {})
i = h.get("info", {})
p = [x["name"] for x in h.get("players", [])]
ok = eval(sys.argv[3])
if not ok:
    print("  host:", json.dumps({"metrics": m, "info": i, "players": p[:5], "nplayers": len(p)}))
sys.exit(0 if ok else 1)
PY
	then ok "$what"; else fail "$what"; fi
}

expect "q3: players, bots, max, map, names" q3-good \
	'm["game.up"] == 1 and m["game.players"] == 2 and m["game.bots"] == 1 and m["game.players_max"] == 16 and i["game.map"] == "hostile_map" and p == ["alpha", "beta"] and i["game.via"] == "direct"'
expect "a2s: info and players after the challenge" a2s-good \
	'm["game.up"] == 1 and m["game.players"] == 2 and m["game.players_max"] == 16 and m["game.bots"] == 1 and i["game.map"] == "de_hostile" and i["game.version"] == "1.0.0.0" and p == ["alpha", "beta"]'
for h in a2s-split a2s-rev a2s-dup; do
	expect "a2s: split reply ($h) reassembled: 60 players" $h \
		'm["game.up"] == 1 and len(p) == 60 and p[0].startswith("hostile_split_player_00")'
done
expect "minecraft: status, ping latency, rcon list/tps/mspt" mc-good \
	'm["game.up"] == 1 and m["game.players"] == 2 and m["game.players_max"] == 20 and m["game.tps"] == 19.5 and m["game.mspt"] == 12.5 and i["game.version"] == "1.20.4" and i["game.name"] == "hostile mc" and 0 <= m["game.latency_ms"] < 1000 and p == ["alpha", "beta"] and "game.error" not in i'
expect "rcon: a multi-packet list of 200 players" mc-multi \
	'm["game.players"] == 200 and len(p) == 200 and m["game.tps"] == 19.5'
expect "rcon: Source-style servers (empty packet before the auth reply)" mc-source \
	'm["game.tps"] == 19.5 and p == ["alpha", "beta"]'
expect "quake 3 over ssh (perl UDP relay on the host)" q3-ssh \
	'm["game.up"] == 1 and m["game.players"] == 2 and i["game.via"] == "ssh"'
expect "minecraft and rcon over ssh (forwarded TCP)" mc-ssh \
	'm["game.up"] == 1 and m["game.tps"] == 19.5 and i["game.via"] == "ssh"'
expect "auto: UDP port closed straight, answered through ssh" q3-auto \
	'm["game.up"] == 1 and i["game.via"] == "ssh"'
expect "auto: TCP refused straight, answered through ssh" mc-auto \
	'm["game.up"] == 1 and i["game.via"] == "ssh"'
expect "rcon password refused: game still up, error says so" mc-badpw \
	'm["game.up"] == 1 and "refused the password" in i["game.error"] and "game.tps" not in m'
expect "rcon password file readable by others is refused" mc-openpw \
	'"game.up" not in m and "chmod 600" in i["game.error"]'
expect "unknown game named with the known ones" doom \
	'"game=doom" in i["game.error"] and "openarena" in i["game.error"]'

for m in truncated wrongtype garbage silent spoof; do
	expect "q3 $m: down with a reason" q3-$m 'm["game.up"] == 0 and len(i["game.error"]) > 10'
done
expect "q3 silent: says nothing came back" q3-silent '"no reply in 2s" in i["game.error"]'
expect "q3 spoof: reply with another challenge refused" q3-spoof '"challenge" in i["game.error"]'
expect "q3 oversized: bounded (list capped at 256)" q3-oversized \
	'm["game.up"] == 0 or len(p) <= 256'
for m in truncated oversized wrongtype garbage silent; do
	expect "a2s $m: down with a reason" a2s-$m 'm["game.up"] == 0 and len(i["game.error"]) > 10'
done
for m in truncated oversized wrongtype garbage silent slowloris refuse; do
	expect "slp $m: down with a reason" slp-$m 'm["game.up"] == 0 and len(i["game.error"]) > 10'
done
expect "slp slowloris: cut off at the timeout" slp-slowloris '"incomplete after 2s" in i["game.error"]'
for m in truncated oversized wrongtype garbage silent slowloris; do
	expect "rcon $m: game up (status answered), rcon error shown" rcon-$m \
		'm["game.up"] == 1 and i["game.error"].startswith("rcon") and "game.tps" not in m'
done
check "the password never reaches the output" bash -c "! grep -q fleetop-test-pw '$T/status.json' '$T/status.err'"
grep -h '"game.error"' "$T/status.json" | sed 's/^[[:space:]]*/  /' | sort | uniq | sed -n 1,40p

# ---- the game process, its world, custom collectors ----
cp /bin/sleep "$T/fakegame"
"$T/fakegame" 600 &
PIDS+=($!)
echo $! > "$T/fake.pid"
mkdir -p "$T/world/region"
head -c 3000000 /dev/urandom > "$T/world/region/r.0.0.mca"
cat > "$T/collector.sh" <<'SH'
#!/bin/sh
echo '{"metric":"plugin.dynmap.tick_ms","value":3.2}'
echo '{"metrics":{"backup.age_s":120,"ok":true}}'
echo 'this is not json'
echo '{"event":"mod_incompatible","severity":"warning","message":"journeymap 5.9 needs forge 47"}'
SH
chmod +x "$T/collector.sh"
cat >> "$FLEETOP_HOME/fleet.conf" <<INV
[probe]
proc-name $S game=openarena query_port=${PORT[q3]} game_process=fakegame game_world=$T/world proc_interval=500ms world_interval=1s custom_command=$T/collector.sh custom_interval=1s
proc-pidfile $S game=openarena query_port=${PORT[q3]} game_pidfile=$T/fake.pid proc_interval=500ms
proc-missing $S game=openarena query_port=${PORT[q3]} game_process=nosuchgame proc_interval=500ms
INV
expect_rc 0 "collect --duration 4s @probe" "$FLEETOP" collect --duration 4s @probe > "$T/collect.out" 2>&1
expect_rc 0 "status @probe" "$FLEETOP" status --json @probe > "$T/probe.json" 2>/dev/null
last() { # host metric
	"$FLEETOP" history "$1" "$2" --since 1m --json 2>/dev/null |
		python3 -c 'import json,sys; p=json.load(sys.stdin)["points"]; v=p[-1]["avg"] if p else ""; print(int(v) if v != "" and v == int(v) else v)'
}
last_ts() { # host metric: the newest sample's time (ms)
	"$FLEETOP" history "$1" "$2" --since 1m --json 2>/dev/null |
		python3 -c 'import json,sys; p=json.load(sys.stdin)["points"]; print(p[-1]["ts"] if p else 0)'
}
rss=$(last proc-name proc.rss_bytes)
real_rss=$(awk '/VmRSS/ { print $2 * 1024 }' /proc/"$(cat "$T/fake.pid")"/status)
echo "proc.rss_bytes $rss (kernel says $real_rss)"
check "game process found by name: rss equals the kernel's" [ "${rss%.*}" = "$real_rss" ]
check "game process found by pid file: threads 1" [ "$(last proc-pidfile proc.threads)" = 1 ]
cpu=$(last proc-name proc.cpu)
check "sleeping game process: cpu about 0 ($cpu)" python3 -c "import sys; sys.exit(0 if 0 <= float('$cpu' or -1) < 5 else 1)"
up=$(last proc-name proc.uptime)
age=$(age_at "$(cat "$T/fake.pid")" "$(last_ts proc-name proc.uptime)")
check "proc.uptime ($up) is the process's age at the sample ($age, within 3 s)" \
	python3 -c "import sys; sys.exit(0 if abs(float('$up' or -99) - $age) <= 3 else 1)"
world=$(last proc-name game.world_bytes)
check "world size from du ($world >= 3000000)" python3 -c "import sys; sys.exit(0 if float('$world' or 0) >= 3000000 else 1)"
check "missing process: proc.up 0" [ "$(last proc-missing proc.up)" = 0 ]
check "custom metric stored as custom.plugin.dynmap.tick_ms" [ "$(last proc-name custom.plugin.dynmap.tick_ms)" = 3.2 ]
check "custom batch metric and a boolean" [ "$(last proc-name custom.ok)" = 1 ]
"$FLEETOP" events --json > "$T/events.json"
check "custom event stored and listed" grep -q "journeymap 5.9 needs forge 47" "$T/events.json"
check "bad line reported with host, collector and line number" \
	grep -q "proc-name: custom collector: line 3" "$T/collect.out"
finish
