#!/usr/bin/env bash
# The RCON password (clear text in Source RCON) takes the host's SSH
# session whenever there is one, with query_via=auto even when the status
# query answered directly; straight to the server only with query_via=direct
# or without a session. Each host's RCON port has two listeners on the same
# port number: one on 127.0.0.1 (where sshd's forwarded channel arrives)
# and one on 127.0.0.3 (the host's address, where a direct login goes), so
# which one saw the login tells the way it took.
source "$(dirname "$0")/lib/common.sh"
start_sshd
FIX=$SRC/tests/integration/lib/hostile_game.py
PY=$(python3 -c 'import sys; print(sys.executable)')

# fixture NAME ADDR PORT PROTO [args]: one in the background; waits for it
# and sets FIX_PORT. Not in $(...): its pid must reach PIDS of this shell,
# or it outlives the test holding the test's output open.
fixture() {
	local name=$1 addr=$2 port=$3 proto=$4
	shift 4
	"$PY" "$FIX" --proto "$proto" --mode good --addr "$addr" --port "$port" "$@" \
		> "$T/fx-$name.out" 2> "$T/fx-$name.err" 7>&- &
	PIDS+=($!)
	for _ in $(seq 400); do
		grep -q '^ready' "$T/fx-$name.out" 2>/dev/null && break
		sleep 0.05
	done
	grep -q '^ready' "$T/fx-$name.out" || { echo "fixture $name: $(cat "$T/fx-$name.err")" >&2; exit 1; }
	FIX_PORT=$(awk '/^ready/ { print $2 }' "$T/fx-$name.out")
}
printf 'fleetop-test-pw\n' > "$T/rcon.pw"
chmod 600 "$T/rcon.pw"

# Status answers only at 127.0.0.3 (directly), never through SSH.
fixture slp 127.0.0.3 0 slp
SLP=$FIX_PORT
declare -A RP
for h in auto direct nossh; do
	fixture "$h-lo" 127.0.0.1 0 rcon --password fleetop-test-pw
	RP[$h]=$FIX_PORT
	fixture "$h-host" 127.0.0.3 "${RP[$h]}" rcon --password fleetop-test-pw
done
CLOSED=$(free_port)
M="game=minecraft query_port=$SLP rcon_password_file=$T/rcon.pw"
cat > "$FLEETOP_HOME/fleet.conf" <<CONF
rcon-auto ansible_host=127.0.0.3 ansible_port=$SSHD_PORT $M rcon_port=${RP[auto]}
rcon-direct ansible_host=127.0.0.3 ansible_port=$SSHD_PORT $M rcon_port=${RP[direct]} query_via=direct
rcon-nossh ansible_host=127.0.0.3 ansible_port=$CLOSED $M rcon_port=${RP[nossh]}
CONF

set +e
"$FLEETOP" status --json --accept-new > "$T/status.json" 2> "$T/status.err"
rc=$?
set -e
# rcon-nossh is down: exit 1 (some hosts failed), never a crash.
check "status: exit 1, one host down (got $rc)" test "$rc" = 1
logins() { grep -c ': connection' "$T/fx-$1.err" || true; }
expect() { # what host python-expression over m (metrics) and i (info)
	if python3 - "$T/status.json" "$2" "$3" <<'PY'
import json, sys
h = next(x for x in json.load(open(sys.argv[1]))["hosts"] if x["name"] == sys.argv[2])
m, i = h.get("metrics", {}), h.get("info", {})
ok = eval(sys.argv[3])
if not ok:
    print("  host:", json.dumps({"state": h.get("state"), "metrics": m, "info": i}))
sys.exit(0 if ok else 1)
PY
	then ok "$1"; else fail "$1"; fi
}
expect "auto: the status query answered directly, RCON went through SSH" rcon-auto \
	'm.get("game.up") == 1 and i.get("game.via") == "direct" and i.get("game.rcon_via") == "ssh" and m.get("game.tps") == 19.5'
check "auto: the login arrived through sshd (127.0.0.1: $(logins auto-lo))" test "$(logins auto-lo)" -ge 1
check "auto: no login straight at the host address (127.0.0.3: $(logins auto-host))" test "$(logins auto-host)" = 0
expect "query_via=direct: RCON straight, as asked" rcon-direct \
	'm.get("game.up") == 1 and i.get("game.rcon_via") == "direct" and m.get("game.tps") == 19.5'
check "direct: the login went straight to the host address ($(logins direct-host))" test "$(logins direct-host)" -ge 1
check "direct: none through sshd ($(logins direct-lo))" test "$(logins direct-lo)" = 0
expect "no SSH session: RCON straight" rcon-nossh \
	'm.get("game.up") == 1 and i.get("game.rcon_via") == "direct" and m.get("game.tps") == 19.5'
check "no session: the login went straight ($(logins nossh-host))" test "$(logins nossh-host)" -ge 1
finish
