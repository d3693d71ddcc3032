#!/usr/bin/env bash
# The hostile game server (lib/hostile_game.py) proved against clients that are
# not fleetop's: gamedig must read what `good` and the a2s split modes serve,
# value for value, and must fail (or give up) on the broken modes; rcon-client
# must log in and run commands, and read a multi-packet reply whole. Then the
# fixture is known to be right where it means to be and wrong where it means
# to be, and fleetop's game collector can be judged against it.
source "$(dirname "$0")/lib/common.sh"
LIB=$SRC/tests/integration/lib
HOSTILE=$LIB/hostile_game.py
CLIENTS=$SRC/tests/clients/node_modules
GAMEDIG=$CLIENTS/.bin/gamedig
started=$(date +%s.%N)
# The interpreter itself, once: a version manager's python3 shim (pyenv)
# costs most of a CPU-second per start, and this test starts Python ~70 times.
PY=$(python3 -c 'import sys; print(sys.executable)')

if [ ! -x "$GAMEDIG" ] || [ ! -d "$CLIENTS/rcon-client" ] || ! command -v node > /dev/null; then
	fail "gamedig/rcon-client missing under $CLIENTS (scripts/install-deps.sh --test installs them)"
	finish
fi

# The fixture's own raw-socket checks of every mode, meanwhile.
"$PY" "$HOSTILE" --self-test > "$T/selftest.txt" 2>&1 &
selftest=$!
PIDS+=($selftest)

# fixture NAME PROTO MODE [ARGS...]: starts one on a port it picks; sets PORT.
# Its "ready PORT" line comes through a FIFO, so waiting costs no polling.
fixture() {
	local name=$1 proto=$2 mode=$3 word=
	shift 3
	mkfifo "$T/$name.ready"
	"$PY" "$HOSTILE" --proto "$proto" --mode "$mode" --port 0 "$@" \
		> "$T/$name.ready" 2> "$T/$name.log" &
	PIDS+=($!)
	PORT=
	read -r -t 60 word PORT < "$T/$name.ready" || true
	[ "$word" = ready ] && [ -n "$PORT" ] && return 0
	fail "fixture $name did not start: $(cat "$T/$name.log")"
	PORT=9 # discard: nothing answers there
}

# gamedig_run NAME TYPE PORT: gamedig's one-line JSON answer in $T/NAME.json.
# Timeouts in ms: generous where an answer is due (it comes at once, but the
# machine may be loaded), short where the mode is meant to make gamedig give
# up. gamedig's minecraft type also probes the port over UDP and waits for
# those probes to time out, so it takes socketTimeout even when all is well.
SOCKET_TIMEOUT=3000 ATTEMPT_TIMEOUT=10000
gamedig_run() {
	timeout 60 "$GAMEDIG" --type "$2" "127.0.0.1:$3" --givenPortOnly --maxRetries 1 \
		--socketTimeout "$SOCKET_TIMEOUT" --attemptTimeout "$ATTEMPT_TIMEOUT" \
		> "$T/$1.json" 2>&1 || true
}

# rcon_run NAME PORT PASSWORD [--multi] COMMAND...: rcon-client's answer as
# JSON; RCON_TIMEOUT (ms) is its wait for each reply.
RCON_TIMEOUT=5000
rcon_run() {
	local name=$1
	shift
	timeout 60 node "$LIB/rcon_client.mjs" "$@" --timeout "$RCON_TIMEOUT" \
		> "$T/$name.json" 2>&1 || true
}

# expect WHAT NAME EXPR: EXPR, Python over d (the client's JSON) and h (the
# fixture's module, for what it serves), is true.
expect() {
	check "$1" "$PY" - "$T/$2.json" "$3" "$LIB" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[3])
import hostile_game as h
text = open(sys.argv[1]).read().strip()
try:
    d = json.loads(text.splitlines()[-1])
except (ValueError, IndexError):
    print("  no JSON from the client:", text[:300])
    sys.exit(1)
try:
    ok = eval("(" + sys.argv[2] + ")")
except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
    print("  not the answer expected:", repr(e))
    ok = False
if not ok:
    print("  got:", json.dumps(d)[:800])
sys.exit(0 if ok else 1)
PY
}

# broken WHAT NAME GOOD_EXPR: gamedig got nothing (an error, or silence until
# the outer timeout), or an answer that is not what `good` serves: gamedig
# parses leniently, so a reply cut in half can still give it half an answer.
broken() {
	check "$1" "$PY" - "$T/$2.json" "$3" "$LIB" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[3])
import hostile_game as h
text = open(sys.argv[1]).read().strip()
if not text:
    print("  gamedig gave up without a word")
    sys.exit(0)
try:
    d = json.loads(text.splitlines()[-1])
except ValueError:
    print("  not JSON:", text[:300])
    sys.exit(1)
if "error" in d:
    print("  gamedig:", d["error"][:120])
    sys.exit(0)
try:
    same = eval("(" + sys.argv[2] + ")")
except (KeyError, TypeError, ValueError, IndexError):
    same = False
print("  gamedig parsed it", "and got good's answer:" if same else "into a damaged answer:",
      json.dumps(d)[:200])
sys.exit(1 if same else 0)
PY
}

# What gamedig must read from `good`, as Python over d (its answer) and h.
Q3_GOOD='d["name"] == "hostile q3" and d["map"] == h.Q3_MAP and int(d["maxplayers"]) == h.Q3_MAX
and d["numplayers"] == 2
and [(p["name"], p["raw"]["frags"], p["raw"]["ping"]) for p in d["players"]] == [h.Q3_PLAYERS[0]]
and [(p["name"], p["raw"]["frags"], p["raw"]["ping"]) for p in d["bots"]] == [h.Q3_PLAYERS[1]]'
A2S_GOOD='d["name"] == h.A2S_INFO["name"] and d["map"] == h.A2S_INFO["map"]
and d["maxplayers"] == h.A2S_INFO["max"] and d["numplayers"] == h.A2S_INFO["players"]
and d["version"] == h.A2S_INFO["version"] and d["raw"]["folder"] == h.A2S_INFO["folder"]
and d["raw"]["game"] == h.A2S_INFO["game"] and d["raw"]["numbots"] == h.A2S_INFO["bots"]
and sorted((p["name"], p["score"], p["time"]) for p in d["raw"]["players"]) == sorted(h.A2S_PLAYERS)'
SLP_GOOD='d["version"] == "1.20.4" and d["name"] == "hostile mc" and d["maxplayers"] == 20
and d["numplayers"] == 2 and [p["name"] for p in d["players"]] == ["alpha", "beta"]'
declare -A GOOD=([q3]=$Q3_GOOD [a2s]=$A2S_GOOD [slp]=$SLP_GOOD)

# ---- modes gamedig must read ------------------------------------------------
fixture q3_good q3 good
gamedig_run q3_good protocol-quake3 "$PORT"
expect "gamedig quake3 reads q3 good: map, max, players and bots" q3_good "$Q3_GOOD"
check "q3 fixture logs the getstatus it was sent" grep -q "getstatus" "$T/q3_good.log"

fixture a2s_good a2s good
gamedig_run a2s_good protocol-valve "$PORT"
expect "gamedig valve reads a2s good (after the challenge): info and players" a2s_good "$A2S_GOOD"
check "a2s fixture saw INFO without, then with, the challenge" \
	bash -c "grep -q 'A2S_INFO challenge=None' '$T/a2s_good.log' && grep -q 'A2S_INFO challenge=[0-9]' '$T/a2s_good.log'"

for mode in split split_reversed split_dup; do
	fixture "a2s_$mode" a2s "$mode"
	gamedig_run "a2s_$mode" protocol-valve "$PORT"
	expect "gamedig valve reassembles a2s $mode: 60 players, max 64, map" "a2s_$mode" '
d["map"] == h.A2S_INFO["map"] and d["maxplayers"] == 64 and d["numplayers"] == h.A2S_SPLIT_PLAYERS
and [p["name"] for p in d["raw"]["players"]] == h.a2s_split_names()'
done

fixture slp_good slp good
gamedig_run slp_good minecraft "$PORT"
expect "gamedig minecraft reads slp good: version, MOTD, players" slp_good "$SLP_GOOD"

# The oversized modes are well formed, only far too big: gamedig, which has
# no limits, reads them whole, which proves they are what they claim to be
# (a client that refuses them does so for their size alone).
fixture q3_oversized q3 oversized
gamedig_run q3_oversized protocol-quake3 "$PORT"
expect "gamedig reads the 65000-byte q3 reply whole: thousands of players" q3_oversized '
len(d["players"]) + len(d["bots"]) > 2000 and d["map"] == h.Q3_MAP'
fixture a2s_oversized a2s oversized
# (INFO only: gamedig lets the player list time out. A loaded machine may
# drop some of a megabyte of datagrams before gamedig reads them, as UDP
# allows; the fixture is proved well formed by one whole read in 3 tries.)
for try in 1 2 3; do
	gamedig_run a2s_oversized protocol-valve "$PORT"
	grep -q '"map"' "$T/a2s_oversized.json" && break
	echo "  try $try: $(head -c 200 "$T/a2s_oversized.json")"
done
expect "gamedig reassembles a2s oversized INFO (200 parts, 1 MB): good's answer in it" \
	a2s_oversized 'd["name"] == h.A2S_INFO["name"] and d["map"] == h.A2S_INFO["map"]
and d["maxplayers"] == h.A2S_INFO["max"] and d["numplayers"] == h.A2S_INFO["players"]'

# ---- rcon through rcon-client ------------------------------------------------
fixture rcon_good rcon good --password s3cret
rcon_run rcon_good "$PORT" s3cret list tps mspt
expect "rcon-client: auth, list, tps, mspt in rcon good" rcon_good '
d["authenticated"] and d["error"] is None and d["replies"] == {"list": h.RCON_LIST, "tps": h.RCON_TPS, "mspt": h.RCON_MSPT}'
rcon_run rcon_badpw "$PORT" wrong list
expect "rcon-client: a wrong password fails authentication" rcon_badpw '
not d["authenticated"] and d["error"] == "Authentication failed"'

# (Only with the right password: rcon-client takes whatever packet comes
# first for the login's answer, so SRCDS's empty RESPONSE_VALUE would log it
# in with a wrong one too.)
fixture rcon_source rcon good --password s3cret --rcon-style source
rcon_run rcon_source "$PORT" s3cret list tps
expect "rcon-client: the Source-style login (empty RESPONSE_VALUE first) works" rcon_source '
d["authenticated"] and d["replies"] == {"list": h.RCON_LIST, "tps": h.RCON_TPS}'

fixture rcon_multi rcon multipacket --password s3cret
rcon_run rcon_multi "$PORT" s3cret --multi list tps
expect "rcon-client: the multi-packet list read whole (end marker), first packet 4096 bytes" rcon_multi '
d["error"] is None and d["full"]["list"] == h.rcon_multi_list() and len(h.rcon_multi_list()) > 2 * 4096
and len(d["replies"]["list"].encode()) == 4096 and h.rcon_multi_list().startswith(d["replies"]["list"])
and d["full"]["tps"] == h.RCON_TPS'

# ---- broken modes: the clients must get nothing (good) out of them -----------
# All at once, each on its own fixture, so their timeouts overlap. Not here:
# q3 spoof and slp wrongtype, which gamedig reads as good because it checks
# neither the challenge echo nor the packet id (the self-test checks what
# they send). rcon wrongtype fails rcon-client on the first connection (an
# AUTH_RESPONSE with another id); the second kind (a lone RESPONSE_VALUE
# with the right id) it would take for a login, as it takes any first packet.
SOCKET_TIMEOUT=1000 ATTEMPT_TIMEOUT=4000 RCON_TIMEOUT=1500
bad=(q3:truncated q3:wrongtype q3:garbage q3:silent
	a2s:truncated a2s:wrongtype a2s:garbage a2s:silent
	slp:truncated slp:oversized slp:garbage slp:silent slp:slowloris slp:refuse)
declare -A gdtype=([q3]=protocol-quake3 [a2s]=protocol-valve [slp]=minecraft)
jobs_=()
for pm in "${bad[@]}"; do
	proto=${pm%%:*} mode=${pm#*:}
	fixture "${proto}_$mode" "$proto" "$mode"
	gamedig_run "${proto}_$mode" "${gdtype[$proto]}" "$PORT" &
	jobs_+=($!)
done
rcon_bad=(truncated oversized wrongtype garbage silent slowloris refuse)
for mode in "${rcon_bad[@]}"; do
	fixture "rcon_$mode" rcon "$mode" --password s3cret
	rcon_run "rcon_$mode" "$PORT" s3cret list &
	jobs_+=($!)
done
for j in "${jobs_[@]}"; do wait "$j" || true; done
for pm in "${bad[@]}"; do
	proto=${pm%%:*} mode=${pm#*:}
	broken "gamedig gets no good answer from $proto $mode" "${proto}_$mode" "${GOOD[$proto]}"
done
for mode in "${rcon_bad[@]}"; do
	expect "rcon-client gets no list from rcon $mode" "rcon_$mode" '
d["error"] is not None and "list" not in d["replies"]'
done

wait "$selftest" && selftest_rc=0 || selftest_rc=$?
tail -2 "$T/selftest.txt"
grep '^FAIL' "$T/selftest.txt" || true
check "fixture self-test (its own raw-socket client, every mode)" [ "$selftest_rc" = 0 ]
took=$("$PY" -c "print(round($(date +%s.%N) - $started, 1))")
echo "took ${took}s"
finish
