#!/usr/bin/env bash
# fleetop alerts against alerts a real engine raised (fleetop collect on the
# simulator): the list and --json, ack/unack with who and comment, silences
# and maintenance windows (and that the running engine mutes and unmutes its
# alerts for them, as its stored rows and audit lines show), history
# and the audit trail, rules --check with file:line, a SIGHUP reload that
# keeps the old rules when the new file is bad, and usage errors.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
start_sim "$T/sim" --hosts 4 --flap-every 0
export FLEETOP_HOME=$T/sim
hosts=($(sed -n 's/^\([a-z0-9-]*\) .*/\1/p' "$FLEETOP_HOME/fleet.conf"))
h1=${hosts[0]} h2=${hosts[1]}
cat > "$FLEETOP_HOME/rules.conf" <<CONF
[always]
expr = cpu.util >= 0
severity = critical
hosts = $h1,$h2
summary = {host} CPU {value}%
runbook = https://wiki.example/always
labels = team=ops
CONF

# rules: what is in force, and --check of a bad file (file:line, exit 1).
"$FLEETOP" alerts rules > "$T/out"
check "rules: lists the rule and its file" grep -q "always .*critical .*cpu.util >= 0" "$T/out"
printf '[ok]\nexpr = cpu.util > 1\n\n[broken]\nexpr = avg(cpu.util, 5m > 3\n' > "$T/bad.conf"
set +e
"$FLEETOP" alerts rules --check "$T/bad.conf" > "$T/out" 2> "$T/err"; rc=$?
set -e
check "rules --check bad: exit 1" test "$rc" = 1
check "rules --check bad: names file:line" grep -q "bad.conf:5" "$T/err"

# An engine raises the alerts; it keeps running for the reload below.
fleetop_bg cpid "collect (the engine), stopped by SIGTERM" -- "$FLEETOP" collect > "$T/collect.log" 2>&1
for _ in $(seq 100); do
	"$FLEETOP" alerts --json > "$T/out" 2>/dev/null || true
	python3 -c 'import json,sys; sys.exit(len(json.load(open(sys.argv[1]))["alerts"]) < 2)' "$T/out" 2>/dev/null && break
	sleep 0.2
done
python3 -c 'import json,sys; sys.exit(len(json.load(open(sys.argv[1]))["alerts"]) < 2)' "$T/out" ||
	{ cat "$T/sim.log"; tail -20 "$T/collect.log"; }
check "two alerts fire" python3 - "$T/out" "$h1" "$h2" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["alerts"]
assert sorted(x["host"] for x in a) == sorted(sys.argv[2:]), a
for x in a:
    assert x["state"] == "firing" and x["severity"] == "critical" and x["rule"] == "always", x
    assert x["labels"]["team"] == "ops" and x["labels"]["host"] == x["host"], x
    assert x["runbook"] == "https://wiki.example/always" and x["ack"] is None, x
    assert x["fired"] >= x["started"] > 0 and x["resolved"] is None, x
PY
id1=$(python3 -c 'import json,sys; print([x["id"] for x in json.load(open(sys.argv[1]))["alerts"] if x["host"]==sys.argv[2]][0])' "$T/out" "$h1")
id2=$(python3 -c 'import json,sys; print([x["id"] for x in json.load(open(sys.argv[1]))["alerts"] if x["host"]==sys.argv[2]][0])' "$T/out" "$h2")
"$FLEETOP" alerts > "$T/out"
check "table: header and two rows" test "$(wc -l < "$T/out")" = 3

# ack with a comment, then unack; an unknown id is exit 1.
USER=alice "$FLEETOP" alerts ack "$id1" -m "on it" > "$T/out"
check "ack: says so" grep -q "alert $id1 acknowledged" "$T/out"
"$FLEETOP" alerts --json > "$T/out"
check "ack: who and comment" python3 -c '
import json, sys
a = [x for x in json.load(open(sys.argv[1]))["alerts"] if x["id"] == int(sys.argv[2])][0]
assert a["ack"]["by"] == "alice" and a["ack"]["comment"] == "on it", a' "$T/out" "$id1"
"$FLEETOP" alerts > "$T/out"
check "table: acked by" grep -q "acked by alice: on it" "$T/out"
"$FLEETOP" alerts unack "$id1" > /dev/null
"$FLEETOP" alerts --json > "$T/out"
check "unack: no ack" python3 -c '
import json, sys
a = [x for x in json.load(open(sys.argv[1]))["alerts"] if x["id"] == int(sys.argv[2])][0]
assert a["ack"] is None, a' "$T/out" "$id1"
set +e
"$FLEETOP" alerts ack 99999 > /dev/null 2> "$T/err"; rc=$?
set -e
check "ack of no alert: exit 1, says so" bash -c "[ $rc = 1 ] && grep -q 'no open alert 99999' '$T/err'"

# Silence one host's, a maintenance window for the other's.
"$FLEETOP" alerts silence "host=$h1" rule=always --for 2h -m "map vote" > "$T/out"
check "silence: id and end" grep -Eq "^silence [0-9]+ until" "$T/out"
sid=$(sed -n 's/^silence \([0-9]*\) .*/\1/p' "$T/out")
"$FLEETOP" alerts silences > "$T/out"
check "silences: listed with matchers and comment" grep -q "host=$h1,rule=always.*map vote" "$T/out"
"$FLEETOP" alerts maintenance "$h2" --for 30m -m upgrade > "$T/out"
check "maintenance: id" grep -Eq "^maintenance [0-9]+ until" "$T/out"
"$FLEETOP" alerts --json > "$T/out"
check "list: muted marks" python3 - "$T/out" "$h1" "$h2" <<'PY'
import json, sys
a = {x["host"]: x for x in json.load(open(sys.argv[1]))["alerts"]}
assert a[sys.argv[2]]["muted"].startswith("silenced"), a
assert a[sys.argv[3]]["muted"] == "maintenance", a
PY
# The list works the marks out itself; what the running engine made of
# them is in the history: its alert rows' muted bits (1 silenced, 2
# maintenance) and its audit lines for the alert.
DB=$FLEETOP_HOME/fleetop.db
engine_muted() { # ID BITS: the engine stored the alert with exactly these mute bits
	[ "$(sqlite3 -cmd ".timeout 5000" "$DB" "SELECT muted FROM alert WHERE id = $1")" = "$2" ]
}
engine_logged() { # ID WHAT: the engine logged WHAT for the alert
	[ "$(sqlite3 -cmd ".timeout 5000" "$DB" "SELECT count(*) FROM alert_log WHERE alert = $1 AND what = '$2'")" -ge 1 ]
}
check "the running engine mutes $h1's alert for the silence" wait_until 15 engine_muted "$id1" 1
check "... and logs it silenced" engine_logged "$id1" silenced
check "the running engine mutes $h2's alert for the maintenance window" wait_until 15 engine_muted "$id2" 2
check "... and logs it in maintenance" engine_logged "$id2" "in maintenance"
set +e
"$FLEETOP" alerts silence "host=~[" --for 1h > /dev/null 2> "$T/err"; rc1=$?
"$FLEETOP" alerts silence "host=x" > /dev/null 2> "$T/err2"; rc2=$?
"$FLEETOP" alerts maintenance "@nosuchgroup" --for 1h > /dev/null 2> "$T/err3"; rc3=$?
set -e
check "silence: bad regex refused" bash -c "[ $rc1 = 2 ] && grep -q 'host' '$T/err'"
check "silence: --for required" bash -c "[ $rc2 = 2 ] && grep -q -- '--for' '$T/err2'"
check "maintenance: unknown group refused" bash -c "[ $rc3 = 2 ] && grep -q nosuchgroup '$T/err3'"
"$FLEETOP" alerts unsilence "$sid" > "$T/out"
check "unsilence: ended" grep -q "silence $sid ended" "$T/out"
check "the running engine unmutes $h1's alert once the silence ends" wait_until 15 engine_muted "$id1" 0
check "... and logs it unmuted" engine_logged "$id1" unmuted
check "$h2's alert stays in maintenance" engine_muted "$id2" 2

# SIGHUP with a bad rules.conf keeps the rules; a good one adds a rule.
cp "$T/bad.conf" "$FLEETOP_HOME/rules.conf"
kill -HUP "$cpid"
check "reload of a bad file: refused with file:line" wait_until 10 grep -q "rules.conf:5.*keeping" "$T/collect.log"
check "engine still running" kill -0 "$cpid"
cat > "$FLEETOP_HOME/rules.conf" <<CONF
[always]
expr = cpu.util >= 0
severity = critical
hosts = $h1,$h2
[also]
expr = mem.used_pct >= 0
severity = info
hosts = $h1
CONF
kill -HUP "$cpid"
for _ in $(seq 50); do
	"$FLEETOP" alerts --json > "$T/out"
	grep -q '"also"' "$T/out" && break
	sleep 0.2
done
check "reload of a good file: the new rule fires" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["alerts"]
assert [x["host"] for x in a if x["rule"] == "also"] == [sys.argv[2]], a' "$T/out" "$h1"
stop_expect "$cpid" TERM

# History and the audit trail.
"$FLEETOP" alerts history --json > "$T/out"
check "history: the alerts of the period" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["alerts"]
assert {x["rule"] for x in a} >= {"always", "also"}, a' "$T/out"
"$FLEETOP" alerts history --log --json > "$T/out"
check "audit trail: firing, ack, unack, silence, maintenance, unsilence" python3 - "$T/out" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))["log"]
what = [l["what"] for l in log]
for w in ("firing", "acknowledged", "unacknowledged", "silenced", "maintenance", "unsilenced"):
    assert w in what, (w, what)
ack = [l for l in log if l["what"] == "acknowledged"][0]
assert ack["who"] == "alice" and ack["detail"] == "on it", ack
PY
"$FLEETOP" alerts history --log > "$T/out"
check "audit trail table" grep -q "acknowledged .*alice: on it" "$T/out"

set +e
"$FLEETOP" alerts frobnicate > /dev/null 2> "$T/err"; rc=$?
set -e
check "unknown subcommand: exit 2, names it" bash -c "[ $rc = 2 ] && grep -q frobnicate '$T/err'"
finish
