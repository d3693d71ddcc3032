#!/usr/bin/env bash
# The simulated game servers (src/sim/game*.c) proved with clients that are
# not fleetop's: gamedig reads each protocol (OpenArena getstatus, Valheim
# A2S, Minecraft Server List Ping) and must see what a plain Python query of
# the same port sees; rcon-client logs in with the password from the
# inventory's file and runs list, tps and mspt; the real OpenSSH client runs
# the game-process probe. Then the limits: a connection cap per host, idle
# connections closed, junk dropped without harm, and --spread's standard
# ports.
source "$(dirname "$0")/lib/common.sh"
CLIENTS=$SRC/tests/clients
GAMEDIG=$CLIENTS/node_modules/.bin/gamedig
if [ ! -x "$GAMEDIG" ] || [ ! -d "$CLIENTS/node_modules/rcon-client" ] || ! command -v node > /dev/null; then
	fail "gamedig/rcon-client missing under $CLIENTS (scripts/install-deps.sh --test installs them)"
	finish
fi

# Simulated time nearly stopped: player counts and maps hold still while
# two clients ask, so their answers can be compared value for value.
SIM_GAME_OFFSET=100 start_sim "$T/sim" --hosts 8 --time-scale 0.001 --flap-every 0
port=$SIM_PORT
gport=$(( port + 100 ))
cat "$T/sim.log"

# Raw queries of our own, from the protocols' documentation.
cat > "$T/raw.py" <<'PY'
import json, socket, struct, sys

def q3(port, challenge="c0ffee"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(b"\xff\xff\xff\xffgetstatus " + challenge.encode() + b"\n", ("127.0.0.1", port))
    d = s.recv(65536)
    assert d.startswith(b"\xff\xff\xff\xffstatusResponse\n"), d[:40]
    lines = d.decode("latin1").split("\n")
    kv = lines[1].split("\\")[1:]
    info = dict(zip(kv[0::2], kv[1::2]))
    players = []
    for l in lines[2:]:
        if not l:
            continue
        score, ping, name = l.split(" ", 2)
        players.append({"score": int(score), "ping": int(ping), "name": name.strip('"')})
    return {"info": info, "players": players}

def a2s(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    a = ("127.0.0.1", port)
    q = b"\xff\xff\xff\xffTSource Engine Query\0"
    s.sendto(q, a)
    d = s.recv(65536)
    assert d[4:5] == b"A", d
    ch = d[5:9]
    s.sendto(q + ch, a)
    d = s.recv(65536)
    assert d[4:5] == b"I", d
    p = 6
    def cstr():
        nonlocal p
        e = d.index(b"\0", p)
        v = d[p:e].decode()
        p = e + 1
        return v
    name, mapn, folder, game = cstr(), cstr(), cstr(), cstr()
    p += 2
    players, maxp, bots = d[p], d[p + 1], d[p + 2]
    s.sendto(b"\xff\xff\xff\xffU\xff\xff\xff\xff", a)
    d2 = s.recv(65536)
    assert d2[4:5] == b"A"
    s.sendto(b"\xff\xff\xff\xffU" + d2[5:9], a)
    d2 = s.recv(65536)
    assert d2[:5] == b"\xff\xff\xff\xffD", d2[:8]
    n, p, names = d2[5], 6, []
    for _ in range(n):
        p += 1
        e = d2.index(b"\0", p)
        names.append(d2[p:e].decode())
        p = e + 9
    return {"name": name, "map": mapn, "folder": folder, "game": game, "players": players,
            "max": maxp, "bots": bots, "names": names}

def varint(v):
    out = b""
    while True:
        b = v & 0x7f
        v >>= 7
        out += bytes([b | (0x80 if v else 0)])
        if not v:
            return out

def read_varint(s):
    v = 0
    for i in range(5):
        b = s.recv(1)[0]
        v |= (b & 0x7f) << (7 * i)
        if not b & 0x80:
            return v

def recv_n(s, n):
    d = b""
    while len(d) < n:
        c = s.recv(n - len(d))
        assert c, "closed"
        d += c
    return d

def slp(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    hs = varint(0) + varint(765) + varint(9) + b"127.0.0.1" + struct.pack(">H", port) + varint(1)
    s.sendall(varint(len(hs)) + hs + b"\x01\x00")
    n = read_varint(s)
    body = recv_n(s, n)
    assert body[0] == 0
    i, ln, sh = 1, 0, 0
    while True:
        b = body[i]; i += 1
        ln |= (b & 0x7f) << sh; sh += 7
        if not b & 0x80:
            break
    status = json.loads(body[i:i + ln].decode())
    s.sendall(b"\x09\x01" + b"12345678")
    n = read_varint(s)
    pong = recv_n(s, n)
    assert pong == b"\x0112345678", pong
    assert s.recv(1) == b"", "the server closes after the pong"
    return status

def rcon_pkt(i, t, body):
    b = body.encode()
    return struct.pack("<iii", len(b) + 10, i, t) + b + b"\0\0"

def rcon_read(s):
    size = struct.unpack("<i", recv_n(s, 4))[0]
    d = recv_n(s, size)
    i, t = struct.unpack("<ii", d[:8])
    return i, t, d[8:-2].decode()

def rcon_marker(port, password):
    # A command, then an empty RESPONSE_VALUE: the reply, then the marker
    # mirrored with its own id (how clients find the end of a long reply).
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(rcon_pkt(5, 3, password))
    assert rcon_read(s)[:2] == (5, 2)
    s.sendall(rcon_pkt(6, 2, "list") + rcon_pkt(7, 0, ""))
    a, b = rcon_read(s), rcon_read(s)
    assert a[0] == 6 and a[1] == 0 and a[2].startswith("There are "), a
    assert b == (7, 0, ""), b
    return "ok"

kind, port = sys.argv[1], int(sys.argv[2])
if kind == "q3":
    print(json.dumps(q3(port)))
elif kind == "a2s":
    print(json.dumps(a2s(port)))
elif kind == "slp":
    print(json.dumps(slp(port)))
elif kind == "rcon-marker":
    print(rcon_marker(port, sys.argv[3]))
PY

# The inventory names each host's game and ports.
conf=$T/sim/fleet.conf
hostvar() { # host var
	sed -n "s/^$1 .* $2=\\([^ ]*\\).*/\\1/p" "$conf"
}
mc=mc-eu-01 q3=q3-01 vh=vh-01
mc_port=$(hostvar $mc query_port)
rcon_port=$(hostvar $mc rcon_port)
pwfile=$(hostvar $mc rcon_password_file)
q3_port=$(hostvar $q3 query_port)
vh_port=$(hostvar $vh query_port)
check "inventory: $mc at $gport and RCON at $((gport + 1))" [ "$mc_port" = "$gport" -a "$rcon_port" = $((gport + 1)) ]
check "inventory: $q3 is openarena with its process and world" \
	grep -q "^$q3 .* game=openarena query_port=$q3_port game_process=ioq3ded game_world=/srv/openarena/world query_via=direct custom_command=fleetop-sim-plugins custom_interval=30s$" "$conf"
check "inventory: $vh is valheim" grep -q "^$vh .* game=valheim query_port=$vh_port game_process=valheim_server.x86_64 " "$conf"
check "rcon password file is 0600 and not empty" bash -c "[ \"\$(stat -c %a '$pwfile')\" = 600 ] && [ -s '$pwfile' ]"

gamedig() { # type port
	timeout 30 "$GAMEDIG" --type "$1" "127.0.0.1:$2" --givenPortOnly --socketTimeout 1500 > "$T/gd-$1.json" 2>&1 || true
}

# compare WHAT GAMEDIG_JSON RAW_JSON EXPR: Python over g and r.
compare() {
	check "$1" python3 - "$2" "$3" "$4" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
r = json.load(open(sys.argv[2]))
ok = eval("(" + sys.argv[3] + ")")
if not ok:
    print("gamedig:", json.dumps(g)[:600])
    print("raw:", json.dumps(r)[:600])
sys.exit(0 if ok else 1)
PY
}

# OpenArena (Quake 3 getstatus).
python3 "$T/raw.py" q3 "$q3_port" > "$T/raw-q3.json" || fail "raw getstatus on $q3_port"
gamedig openarena "$q3_port"
compare "gamedig openarena: players, bots, max and map as served" "$T/gd-openarena.json" "$T/raw-q3.json" '
len(g["players"]) == len([p for p in r["players"] if p["ping"] > 0]) and
len(g["bots"]) == len([p for p in r["players"] if p["ping"] == 0]) and
int(g["maxplayers"]) == int(r["info"]["sv_maxclients"]) and
g["map"] == r["info"]["mapname"] and g["map"] in ("oa_dm1", "oa_dm2", "oa_dm3", "oa_dm4") and
r["info"]["challenge"] == "c0ffee"'
compare "openarena: 2 bots (ping 0) exactly when someone plays" "$T/gd-openarena.json" "$T/raw-q3.json" '
len(g["bots"]) == (min(2, int(r["info"]["sv_maxclients"]) - len(g["players"])) if g["players"] else 0)'

# Valheim (A2S with the challenge).
python3 "$T/raw.py" a2s "$vh_port" > "$T/raw-a2s.json" || fail "raw A2S on $vh_port"
gamedig valheim "$vh_port"
compare "gamedig valheim: players, max, map, folder, game and names as served" "$T/gd-valheim.json" "$T/raw-a2s.json" '
g["numplayers"] == r["players"] and g["maxplayers"] == r["max"] == 10 and
g["map"] == r["map"] == "Dedicated" and g["raw"]["folder"] == "valheim" and
g["raw"]["game"] == "Valheim" and g["raw"]["appId"] == 892970 and
sorted(p["name"] for p in g["players"]) == sorted(r["names"]) and len(r["names"]) == r["players"] and
g["connect"] == "127.0.0.1:%d" % ('"$vh_port"' - 1)'

# Minecraft (Server List Ping).
python3 "$T/raw.py" slp "$mc_port" > "$T/raw-slp.json" || fail "raw Server List Ping on $mc_port"
gamedig minecraft "$mc_port"
compare "gamedig minecraft: online, max, version and sample as served" "$T/gd-minecraft.json" "$T/raw-slp.json" '
g["numplayers"] == r["players"]["online"] and g["maxplayers"] == r["players"]["max"] and
g["version"] == "1.20.4" and r["version"]["protocol"] == 765 and
[p["name"] for p in g["players"]] == [p["name"] for p in r["players"].get("sample", [])] and
len(g["players"]) == min(12, r["players"]["online"]) and "mc-eu-01" in g["name"]'

# RCON with rcon-client and the password from the inventory's file.
cat > "$T/rcon.cjs" <<'JS'
const { Rcon } = require("rcon-client");
(async () => {
  const [port, password] = process.argv.slice(2);
  const r = await Rcon.connect({ host: "127.0.0.1", port: +port, password, timeout: 3000 });
  const out = {};
  for (const c of ["list", "tps", "mspt", "op someone"]) out[c] = await r.send(c);
  await r.end();
  try {
    await Rcon.connect({ host: "127.0.0.1", port: +port, password: password + "x", timeout: 3000 });
    out.wrong = "accepted";
  } catch (e) {
    out.wrong = e.message;
  }
  console.log(JSON.stringify(out));
})().catch(e => { console.log(JSON.stringify({ error: String(e) })); });
JS
NODE_PATH="$CLIENTS/node_modules" timeout 30 node "$T/rcon.cjs" "$rcon_port" "$(cat "$pwfile")" > "$T/rcon.json" 2>&1 || true
compare "rcon-client: list, tps and mspt in Paper's words; a wrong password refused" "$T/rcon.json" "$T/raw-slp.json" '
g.get("wrong") == "Authentication failed" and
g["list"].startswith("There are %d of a max of %d players online: " % (r["players"]["online"], r["players"]["max"])) and
len([n for n in g["list"].split(": ", 1)[1].split(", ") if n]) == r["players"]["online"] and
__import__("re").fullmatch(r"\u00a76TPS from last 1m, 5m, 15m: (\u00a7[ace]\d+\.\d\d?(, |$)){3}", g["tps"]) is not None and
__import__("re").fullmatch(r"\u00a76Server tick times \u00a7e\(\u00a77avg\u00a7e/\u00a77min\u00a7e/\u00a77max\u00a7e\)\u00a76 from last 5s\u00a77,\u00a76 10s\u00a77,\u00a76 1m\u00a7e:\n\u00a76\u25f4 (\u00a7[ace]\d+\.\d(\u00a77/)?){3}(\u00a7e, (\u00a7[ace]\d+\.\d(\u00a77/)?){3}){2}", g["mspt"]) is not None and
g["op someone"].startswith("Unknown or incomplete command")'
check "rcon: an empty RESPONSE_VALUE after a command comes back with its id" \
	python3 "$T/raw.py" rcon-marker "$rcon_port" "$(cat "$pwfile")"

# The game-process probe over a real ssh client.
probe() { # host-port args...
	timeout "$1" ssh -F /dev/null -i "$T/sim/id_ed25519" -o UserKnownHostsFile="$T/sim/known_hosts" \
		-o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes -p "$2" 127.0.0.1 \
		"$3" < /dev/null || true
}
probe 4.5 "$port" '/bin/sh -s fleetop-gameprobe 1000 2000 "" "" java /srv/minecraft/world' > "$T/probe.txt"
check "game probe: frames every second, world size every other one" python3 - "$T/probe.txt" <<'PY'
import sys
frames = open(sys.argv[1]).read().split("game-frame\n")[1:]
assert len(frames) >= 3, len(frames)
prev = None
for i, f in enumerate(frames[:3]):
    kv = dict(l.split(" ", 1) for l in f.splitlines() if " " in l)
    assert f.endswith("game-end\n"), f
    assert kv["hz"] == "100"
    st = kv["stat"]
    assert st.split(" ")[0] == kv["pid"] and " (java) S " in st, st
    fields = st[st.rindex(")") + 2:].split(" ")
    assert len(fields) + 2 == 52, len(fields)
    assert int(fields[20 - 3]) == int(kv["threads"])
    ticks = int(fields[14 - 3]) + int(fields[15 - 3])
    assert int(kv["rss_kb"]) > 100000
    assert ("world_kb" in kv) == (i % 2 == 0), (i, f)
    if prev:
        assert float(kv["uptime"]) > float(prev["uptime"]) and ticks >= prev["ticks"]
        assert kv["pid"] == prev["pid"]
    prev = {"uptime": kv["uptime"], "ticks": ticks, "pid": kv["pid"]}
PY
probe 3 "$port" "/bin/sh -s fleetop-gameprobe 1000 1000 '' '' ioq3ded /srv/openarena/world" > "$T/probe2.txt"
check "game probe: another game's process and world are not found" bash -c \
	"grep -qx 'error no process named ioq3ded' '$T/probe2.txt' && grep -q '^world_error du: cannot access' '$T/probe2.txt'"

# Limits: 8 connections a host (more are hung up on), idle ones closed
# after 10 s, junk closes a connection and harms nothing else.
check "connection cap, idle close and junk" python3 - "$mc_port" "$q3_port" <<'PY'
import socket, sys, time
mc, q3 = int(sys.argv[1]), int(sys.argv[2])
t0 = time.time()
socks = [socket.create_connection(("127.0.0.1", mc), timeout=2) for _ in range(11)]
for s in socks:
    s.setblocking(False)
def hung_up(s):
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
# The 3 over the cap are hung up on at once; the idle close comes at 10 s,
# so up to 5 s of polling sees those 3 and no others.
deadline = time.time() + 5
closed = set()
while time.time() < deadline and len(closed) < 3:
    closed |= {i for i, s in enumerate(socks) if i not in closed and hung_up(s)}
    time.sleep(0.1)
time.sleep(1)  # a fourth would be hung up on by now too
closed |= {i for i, s in enumerate(socks) if i not in closed and hung_up(s)}
assert len(closed) == 3, len(closed)
socks = [s for i, s in enumerate(socks) if i not in closed]
junk = socket.create_connection(("127.0.0.1", mc + 1), timeout=2)  # RCON of the same host: full
assert junk.recv(1) == b""
for s in socks:
    s.setblocking(True)
    s.settimeout(15)
    try:
        s.recv(1)
    except ConnectionResetError:
        pass
idle = time.time() - t0  # from before the connections were made
assert 9 <= idle <= 13, idle
# Now free again: junk on SLP and RCON is dropped at once.
for port, data in ((mc, b"\xfe\x01\xfa"), (mc + 1, b"\x01\x00\x00\x00" * 4)):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(data)
    assert s.recv(1) == b""
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(2)  # an answer would come at once
u.sendto(b"\xff\xff\xff\xffrcon secret status", ("127.0.0.1", q3))
u.sendto(b"garbage", ("127.0.0.1", q3))
try:
    u.recv(100)
    raise SystemExit("answered junk")
except socket.timeout:
    pass
print("cap ok, idle closed after %.1fs" % idle)
PY
check "servers still answer after the junk" bash -c \
	"python3 '$T/raw.py' q3 '$q3_port' > /dev/null && python3 '$T/raw.py' slp '$mc_port' > /dev/null"

# A crash on demand: `game HOST down 4` closes its ports (queries and RCON
# refused at once), and they answer again 4 s later.
echo "game $mc down 4" > "$T/sim/control"
check "game down: the simulator said when" wait_until 10 grep -q "^control: game $mc down for 4s at [0-9]*$" "$T/sim.log"
ports_refused() {
	! python3 "$T/raw.py" slp "$mc_port" 2> /dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$rcon_port") 2> /dev/null
}
check "game down: the query and RCON ports are refused" ports_refused
slp_answers() { python3 "$T/raw.py" slp "$mc_port" > /dev/null 2>&1; }
check "game down 4: back and answering" wait_until 15 slp_answers
check "game down 4: the simulator said it came back 4 s after it went down" python3 - "$T/sim.log" "$mc" <<'PY'
import re, sys
log = open(sys.argv[1]).read()
down = int(re.search(r"^control: game %s down for 4s at (\d+)$" % sys.argv[2], log, re.M).group(1))
up = int(re.search(r"^control: game %s up at (\d+)$" % sys.argv[2], log, re.M).group(1))
print("  back after %.2f s" % ((up - down) / 1000))
assert 4000 <= up - down <= 6000, up - down
PY

# --spread: every host its own address and the games' standard ports.
start_sim "$T/spread" --hosts 4 --spread --flap-every 0
check "spread: standard ports in the inventory" bash -c "
grep -q '^mc-eu-01 ansible_host=127.0.1.1 .* query_port=25565 rcon_port=25575 ' '$T/spread/fleet.conf' &&
grep -q '^q3-01 ansible_host=127.0.1.3 .* query_port=27960 ' '$T/spread/fleet.conf' &&
grep -q '^vh-01 ansible_host=127.0.1.4 .* query_port=2457 ' '$T/spread/fleet.conf'"
timeout 30 "$GAMEDIG" --type openarena 127.0.1.3:27960 --givenPortOnly > "$T/spread-q3.json" 2>&1 || true
timeout 30 "$GAMEDIG" --type valheim 127.0.1.4:2456 > "$T/spread-vh.json" 2>&1 || true
check "spread: gamedig finds openarena on 27960 and valheim's query port from its game port" python3 - "$T/spread-q3.json" "$T/spread-vh.json" <<'PY'
import json, sys
q, v = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert q["map"].startswith("oa_dm") and q["name"].startswith("q3-01"), q
assert v["map"] == "Dedicated" and v["queryPort"] == 2457, v
PY
finish
