#!/usr/bin/env bash
# A real OpenArena dedicated server (Debian openarena-server) with bots on
# loopback, queried by the independent gamedig client, and by fleetop
# (straight and through a real sshd): fleetop's players, bots, max, map,
# name and player names equal gamedig's; the server process's own figures
# (found by its pid file over SSH) equal the kernel's.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/gamedig.sh"

if [ ! -x /usr/games/openarena-server ]; then
	fail "package openarena-server is not installed (apt-get install openarena-server)"
	finish
fi

# A port free for both UDP (the server) and TCP (free_port's notion).
udp_port() {
	python3 - <<'PY'
import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(port)
    break
PY
}

port=$(udp_port)
bots=3
start=$(date +%s.%N)
if ! bash "$SRC/tests/integration/lib/openarena-up.sh" "$T/oa" "$port" "$bots"; then
	[ -s "$T/oa/openarena.pid" ] && PIDS+=("$(cat "$T/oa/openarena.pid")")
	fail "openarena server with $bots bots on 127.0.0.1:$port"
	finish
fi
PIDS+=("$(cat "$T/oa/openarena.pid")")
took=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
ok "openarena server up with $bots bots in ${took}s"

if gamedig_query openarena 127.0.0.1 "$port" > "$T/gamedig.json"; then
	ok "gamedig answers on 127.0.0.1:$port"
else
	fail "gamedig answers on 127.0.0.1:$port"
fi
cat "$T/gamedig.json"

# gamedig files zero-ping clients (ioq3 bots) under "bots", not "players";
# numplayers counts both; maxplayers is sv_maxclients as a string.
gd() { # python expression over d, the gamedig JSON
	python3 -c "import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$T/gamedig.json"
}
check "gamedig map is oa_dm1" gd 'd["map"] == "oa_dm1"'
check "gamedig counts >= $bots bots" gd "len(d['bots']) >= $bots and d['numplayers'] >= $bots"
check "gamedig names the bots" gd '{b["name"] for b in d["bots"]} >= {"Sarge", "Grism", "Kyonshi"}'
check "gamedig maxplayers is 12" gd 'int(d["maxplayers"]) == 12'
check "gamedig server name" gd 'd["name"] == "fleetop test arena"'

# ---- fleetop against the same server ----
start_sshd
cat > "$FLEETOP_HOME/fleet.conf" <<INV
[arena]
oa ansible_host=127.0.0.1 ansible_port=$SSHD_PORT query_via=direct
oa-ssh ansible_host=127.0.0.1 ansible_port=$SSHD_PORT query_via=ssh

[arena:vars]
game=openarena
query_port=$port
game_pidfile=$T/oa/openarena.pid
proc_interval=500ms
INV
expect_rc 0 "fleetop status @arena" "$FLEETOP" status --json @arena > "$T/fleetop.json"
gamedig_query openarena 127.0.0.1 "$port" > "$T/gamedig.json" || true
same() { # what host python-expression over f (fleetop host) and d (gamedig)
	local what=$1 host=$2
	if python3 - "$T/fleetop.json" "$T/gamedig.json" "$host" "$3" <<'PY'
import json, sys
f = next(h for h in json.load(open(sys.argv[1]))["hosts"] if h["name"] == sys.argv[3])
d = json.load(open(sys.argv[2]))
m, i = f.get("metrics", {}), f.get("info", {})
names = sorted(p["name"] for p in f.get("players", []))
ok = eval(sys.argv[4])
if not ok:
    print("  fleetop:", json.dumps({"metrics": {k: v for k, v in m.items() if k.startswith("game")}, "info": i, "players": names}))
    print("  gamedig:", json.dumps({k: d.get(k) for k in ("map", "name", "maxplayers", "numplayers")}), len(d.get("bots", [])), "bots", len(d.get("players", [])), "players")
sys.exit(0 if ok else 1)
PY
	then ok "$what"; else fail "$what"; fi
}
for h in oa oa-ssh; do
	same "$h: game up" $h 'm["game.up"] == 1'
	same "$h: players equal gamedig's numplayers" $h 'm["game.players"] == d["numplayers"]'
	same "$h: bots equal gamedig's bots" $h 'm["game.bots"] == len(d["bots"])'
	same "$h: max equals gamedig's" $h 'm["game.players_max"] == int(d["maxplayers"])'
	same "$h: map equals gamedig's" $h 'i["game.map"] == d["map"]'
	same "$h: server name equals gamedig's" $h 'i["game.name"] == d["name"]'
	same "$h: player names equal gamedig's" $h 'names == sorted(p["name"] for p in d["bots"] + d["players"])'
done
same "oa-ssh went through ssh" oa-ssh 'i["game.via"] == "ssh"'
# The server's own process, found by its pid file over SSH; its CPU time
# read from the kernel around the collection.
pid=$(cat "$T/oa/openarena.pid")
read -r ticks0 ms0 <<<"$(cpu_ticks "$pid")"
expect_rc 0 "collect --duration 4s oa" "$FLEETOP" collect --duration 4s oa > "$T/collect.log" 2>&1
read -r ticks1 ms1 <<<"$(cpu_ticks "$pid")"
last() {
	"$FLEETOP" history oa "$1" --since 1m --json 2>/dev/null |
		python3 -c 'import json,sys; p=json.load(sys.stdin)["points"]; v=p[-1]["avg"] if p else ""; print(int(v) if v != "" and v == int(v) else v)'
}
rss=$(last proc.rss_bytes)
threads=$(last proc.threads)
kernel_rss=$(awk '/VmRSS/ { print $2 * 1024 }' "/proc/$pid/status")
kernel_threads=$(awk '/Threads/ { print $2 }' "/proc/$pid/status")
echo "ioq3ded pid $pid: fleetop rss $rss threads $threads cpu $(last proc.cpu)%; kernel rss $kernel_rss threads $kernel_threads"
check "proc.rss_bytes within 5% of the kernel's" python3 -c "import sys; sys.exit(0 if abs(float('${rss:-0}') - $kernel_rss) <= 0.05 * $kernel_rss else 1)"
check "proc.threads equals the kernel's" [ "${threads%.*}" = "$kernel_threads" ]
"$FLEETOP" history oa proc.cpu --since 1m --json > "$T/cpu.json"
kcpu=$(python3 -c "print(($ticks1 - $ticks0) / $(getconf CLK_TCK) / (($ms1 - $ms0) / 1000) * 100)")
mcpu=$(python3 -c "
import json; v = [p['avg'] for p in json.load(open('$T/cpu.json'))['points'] if $ms0 <= p['ts'] <= $ms1]
print(sum(v) / len(v) if v else -1)")
echo "ioq3ded cpu: fleetop's mean $mcpu%, the kernel's $kcpu% over the collection"
check "proc.cpu: the bots make the server work (fleetop $mcpu% > 0, kernel $kcpu% > 0)" \
	python3 -c "import sys; sys.exit(0 if $mcpu > 0 and $kcpu > 0 else 1)"
check "proc.cpu: fleetop's mean within 3 points + 30% of the kernel's" \
	python3 -c "import sys; sys.exit(0 if abs($mcpu - $kcpu) <= 3 + 0.3 * $kcpu else 1)"
up=$(last proc.uptime)
age=$(age_at "$pid" "$("$FLEETOP" history oa proc.uptime --since 1m --json | python3 -c 'import json,sys; p=json.load(sys.stdin)["points"]; print(p[-1]["ts"] if p else 0)')")
check "proc.uptime ($up) is the server's age at the sample ($age, within 3 s)" \
	python3 -c "import sys; sys.exit(0 if abs(float('$up' or -99) - $age) <= 3 else 1)"

# Stopped, not merely a zombie: the server was started by openarena-up.sh,
# so it is not our child and init reaps it when it likes.
alive() { [ -e "/proc/$1" ] && ! grep -q ') Z' "/proc/$1/stat" 2>/dev/null; }
pid=$(cat "$T/oa/openarena.pid")
kill "$pid"
for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
if alive "$pid"; then fail "server stopped on SIGTERM"; else ok "server stopped on SIGTERM"; fi
finish
