#!/usr/bin/env bash
# The simulated fleet through the real client path: status over 200 hosts,
# plausible metrics, history stored, and the demo.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
start_sim "$T/sim" --hosts 200
port=$SIM_PORT
cat "$T/sim.log"
check "simulator wrote an inventory" [ -s "$T/sim/fleet.conf" ]
check "client key is 0600" [ "$(stat -c %a "$T/sim/id_ed25519")" = 600 ]
export FLEETOP_HOME=$T/sim
start=$(date +%s.%N)
set +e
"$FLEETOP" status --json > "$T/status.json"
status_rc=$?
set -e
took=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
python3 - "$T/status.json" "$took" <<'PY' && ok "200 simulated hosts report plausible metrics" || fail "200 simulated hosts report plausible metrics"
import json, sys
d = json.load(open(sys.argv[1]))
hosts = d["hosts"]
up = [h for h in hosts if h["state"] == "up"]
print(f"{len(hosts)} hosts, {len(up)} up, status took {sys.argv[2]}s")
assert len(hosts) == 200
assert len(up) >= 198, [(h["name"], h["error"]) for h in hosts if h["state"] != "up"][:5]
for h in up:
    m = h["metrics"]
    assert 0 <= m["cpu.util"] <= 100, (h["name"], m["cpu.util"])
    assert 0 <= m["mem.used_pct"] <= 100
    assert m["mem.total_bytes"] >= 1 << 30
    assert 0 <= m["disk.used_pct"] <= 100
    assert m["net.rx_bps"] >= 0 and m["uptime"] > 0 and m["procs"] > 0
    assert len(h["group"]) >= 1
PY
check "status exits 0 when every host is up, else 1 (exit $status_rc)" python3 -c "
import json, sys
down = [h for h in json.load(open('$T/status.json'))['hosts'] if h['state'] != 'up']
sys.exit(int('$status_rc') != (1 if down else 0))"
check "status of 200 hosts took under 30s ($took s)" python3 -c "import sys; sys.exit($took >= 30)"
first=$(python3 -c "import json; print(json.load(open('$T/status.json'))['hosts'][0]['name'])")
expect_rc 0 "history of a metric status stored" "$FLEETOP" history "$first" mem.used_pct --since 5m > "$T/hist.txt"
expect_rc 0 "history --csv" "$FLEETOP" history "$first" cpu.util --since 5m --csv > "$T/hist.csv"
# status stored the value it printed: the newest row is that sample.
check "history --csv: the header, then rows ending with the value status showed" python3 - "$T/hist.csv" "$T/status.json" "$first" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1])))
assert rows and rows[0] == ["ts_ms", "time", "avg", "min", "max"], rows[:1]
assert len(rows) >= 2, "no rows under the header"
h = next(h for h in json.load(open(sys.argv[2]))["hosts"] if h["name"] == sys.argv[3])
want = h["metrics"]["cpu.util"]
assert abs(float(rows[-1][2]) - want) < 0.001, (rows[-1], want)
PY
check "history (table) shows the mem.used_pct status showed" python3 - "$T/hist.txt" "$T/status.json" "$first" <<'PY'
import json, sys
lines = [l.split() for l in open(sys.argv[1]) if l.strip()]
h = next(h for h in json.load(open(sys.argv[2]))["hosts"] if h["name"] == sys.argv[3])
assert lines and abs(float(lines[-1][-1]) - h["metrics"]["mem.used_pct"]) < 0.001, (lines[-1:], h["metrics"]["mem.used_pct"])
PY
set +e
"$FLEETOP" history "$first" no.such.metric 2> "$T/hist.err"
rc=$?
set -e
check "unknown metric: exit 1 and a list of stored ones" bash -c "[ $rc = 1 ] && grep -q 'cpu.util' '$T/hist.err'"
check "selection by group" bash -c "'$FLEETOP' hosts @quake | tail -n +2 | grep -q ."
# The demo: its own simulator and console, all under DATA_DIR/demo.
export FLEETOP_HOME=$T/demohome
expect_rc 0 "demo --duration 5s" "$FLEETOP" demo --hosts 6 --port $((port + 300)) --duration 5s > "$T/demo.txt" 2>&1
tail -9 "$T/demo.txt"
check "demo shows 6 hosts up" [ "$(tail -7 "$T/demo.txt" | grep -cE ' up +[0-9]')" = 6 ]
finish
