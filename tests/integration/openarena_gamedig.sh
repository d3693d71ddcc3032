#!/usr/bin/env bash
# A real OpenArena dedicated server (Debian openarena-server) with bots on
# loopback, queried by the independent gamedig client: the reference
# answer that fleetop's Quake 3 collector is compared against.
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

# Stopped, not merely a zombie: the server was started by openarena-up.sh,
# so it is not our child and init reaps it when it likes.
alive() { [ -e "/proc/$1" ] && ! grep -q ') Z' "/proc/$1/stat" 2>/dev/null; }
pid=$(cat "$T/oa/openarena.pid")
kill "$pid"
for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
if alive "$pid"; then fail "server stopped on SIGTERM"; else ok "server stopped on SIGTERM"; fi
finish
