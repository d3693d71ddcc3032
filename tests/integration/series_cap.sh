#!/usr/bin/env bash
# A hostile host cannot make series without end: a custom collector that
# prints a new metric name (a uuid) on every line, thousands of them, over a
# real OpenSSH sshd. The history keeps at most max_series_per_host series of
# that host, the log says so once, the host's other metrics (its /proc ones
# and a custom one it had before) keep being stored, and a well-behaved host
# beside it loses nothing.
source "$(dirname "$0")/lib/common.sh"
start_sshd

cat > "$T/hostile.sh" <<'SH'
#!/bin/sh
# $1: seconds to wait before the first flood (the /proc probe needs two
# frames for its rates); $2: where to write when the first flood began.
echo '{"metric":"steady","value":42}'
if [ ! -e "$2" ]; then
	sleep "$1"
	date +%s%3N > "$2"
fi
python3 -c '
import uuid
for _ in range(2000):
    print("{\"metric\":\"req.%s\",\"value\":1}" % uuid.uuid4())'
echo '{"metric":"steady","value":43}'
SH
chmod +x "$T/hostile.sh"
cat > "$FLEETOP_HOME/fleet.conf" <<INV
[local]
evil ansible_host=127.0.0.1 ansible_port=$SSHD_PORT custom_command="$T/hostile.sh 4 $T/flood.ts" custom_interval=1s custom_timeout=20s
good ansible_host=127.0.0.1 ansible_port=$SSHD_PORT
INV

# The default cap (1024): no setting needed.
rc=0
"$FLEETOP" collect --duration 14s > "$T/collect.out" 2> "$T/collect.err" || rc=$?
check "collect exits 0 (got $rc)" [ "$rc" = 0 ]
check "the first flood happened" [ -s "$T/flood.ts" ]
flood_ts=$(cat "$T/flood.ts" 2>/dev/null || echo 0)

db=$FLEETOP_HOME/fleetop.db
series() { sqlite3 "$db" "SELECT count(*) FROM series WHERE host = '$1'"; }
n_evil=$(series evil)
n_req=$(sqlite3 "$db" "SELECT count(*) FROM series WHERE host = 'evil' AND metric LIKE 'custom.req.%'")
echo "series stored: evil $n_evil ($n_req of them custom.req.*), good $(series good)"
check "evil has at most 1024 series stored ($n_evil)" [ "$n_evil" -le 1024 ]
check "evil filled its 1024 (the cap is not lower than set: $n_evil)" [ "$n_evil" -ge 1000 ]
check "the flood made no more series than the cap left ($n_req)" [ "$n_req" -lt 1024 ]

warn=$(grep -c "evil: reached max_series_per_host=1024" "$T/collect.err" || true)
check "one warning line for evil ($warn)" [ "$warn" = 1 ]
check "the warning names a refused name" grep -q 'max_series_per_host=1024: new metric names are refused (first: "custom\.req\.' "$T/collect.err"
check "no warning for good" bash -c "! grep -q 'good: reached' '$T/collect.err'"
check "no line per refused sample (log has $(wc -l < "$T/collect.err") lines)" \
	[ "$(grep -c 'custom\.req\.' "$T/collect.err")" -le 1 ]
check "collect's last line counts the refused samples" \
	grep -Eq "^collect: done, .*, [0-9]+ refused \(max_series_per_host or bad names\)$" "$T/collect.err"

# Samples stored after the first flood (time stamps in ms).
after() { # host metric min_value: points later than 2 s after the flood began
	"$FLEETOP" history "$1" "$2" --since 2m --json 2>/dev/null | python3 -c "
import json, sys
p = json.load(sys.stdin)['points']
print(sum(1 for x in p if x['ts'] > $flood_ts + 2000 and x['max'] >= $3))"
}
n=$(after evil cpu.util 0)
check "evil's cpu.util still stored after the flood ($n points)" [ "${n:-0}" -ge 3 ]
n=$(after evil mem.used_pct 0)
check "evil's mem.used_pct still stored after the flood ($n points)" [ "${n:-0}" -ge 3 ]
n=$(after evil custom.steady 43)
check "evil's custom.steady (from before the flood) still stored after it ($n points)" [ "${n:-0}" -ge 1 ]
n=$(after good cpu.util 0)
check "good's cpu.util stored ($n points)" [ "${n:-0}" -ge 3 ]

# status --json tells each host's series and refusals; a small cap from
# fleetop.conf refuses even the /proc metrics past it.
mkdir -p "$T/small"
cp "$FLEETOP_HOME/fleetop.conf" "$T/small/fleetop.conf"
printf 'max_series_per_host = 5\n' >> "$T/small/fleetop.conf"
cp "$FLEETOP_HOME/fleet.conf" "$T/small/fleet.conf"
rc=0
"$FLEETOP" status --json -c "$T/small/fleetop.conf" good > "$T/status.json" 2> "$T/status.err" || rc=$?
check "status exits 0 (got $rc)" [ "$rc" = 0 ]
check "status --json: good has 5 series" [ "$(json_field "$T/status.json" good series 2>/dev/null)" = 5 ]
refused=$(json_field "$T/status.json" good series_refused 2>/dev/null || true)
check "status --json: good's series_refused counts the rest ($refused)" [ "${refused:-0}" -gt 0 ]
check "status --json: 5 metrics in the model" python3 -c "
import json, sys
d = json.load(open('$T/status.json'))
sys.exit(len(d['hosts'][0]['metrics']) != 5)" 2>/dev/null
check "status warns once" [ "$(grep -c 'good: reached max_series_per_host=5' "$T/status.err")" = 1 ]

# A cap that is not a number is a config error naming file and line.
printf '[collect]\nmax_series_per_host = lots\n' > "$T/small/fleetop.conf"
rc=0
"$FLEETOP" status -c "$T/small/fleetop.conf" good > /dev/null 2> "$T/bad.err" || rc=$?
check "a bad max_series_per_host is exit 2 (got $rc)" [ "$rc" = 2 ]
check "and says where" grep -q "fleetop.conf:2: \[collect\] max_series_per_host 'lots'" "$T/bad.err"
finish
