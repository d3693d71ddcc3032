#!/usr/bin/env bash
# fleetop events: reads the history file only (no inventory, no SSH); the
# table, --json, --since, --host, --limit, an empty history and bad options.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
export FLEETOP_HOME=$T/home
mkdir -p "$FLEETOP_HOME"
DB=$FLEETOP_HOME/fleetop.db

# An empty history (created on first open): exit 0, nothing on stdout.
"$FLEETOP" events > "$T/out" 2> "$T/err"
check "empty history: no rows" test ! -s "$T/out"
check "empty history: says so" grep -q "no events" "$T/err"
"$FLEETOP" events --json > "$T/out"
check "empty history: empty JSON array" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d == {"events": []}' "$T/out"

# Events as the collector stores them (the schema fleetop created).
now=$(( $(date +%s) * 1000 ))
sqlite3 "$DB" <<SQL
INSERT INTO event(ts, host, severity, kind, message) VALUES
 ($now - 3600000, 'mc-eu-1', 'warning', 'mod_incompatible', 'Dynmap 3.7 needs Paper 1.20.4'),
 ($now - 60000, 'mc-eu-2', 'critical', 'backup.failed', 'rsync: connection closed'),
 ($now - 30000, 'mc-eu-1', 'info', 'backup.done', 'it''s "done"'),
 ($now - 172800000, 'q3-1', 'info', 'old', 'two days ago');
SQL

"$FLEETOP" events > "$T/out"
check "table: header and three rows of the last 24h" test "$(wc -l < "$T/out")" = 4
check "table: header" grep -q "^TIME *HOST *SEVERITY *KIND *MESSAGE" "$T/out"
check "table: newest first" \
	bash -c "sed -n 2p '$T/out' | grep -q 'mc-eu-1 .*info .*backup.done .*it.s \"done\"'"
check "table: local time" \
	bash -c "sed -n 2p '$T/out' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}  '"
check "table: oldest of the period last" bash -c "sed -n 4p '$T/out' | grep -q mod_incompatible"

"$FLEETOP" events --since 3d --json > "$T/out"
check "--since 3d --json: all four, newest first, fields" python3 - "$T/out" "$now" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
now = int(sys.argv[2])
ev = d["events"]
assert [e["kind"] for e in ev] == ["backup.done", "backup.failed", "mod_incompatible", "old"], ev
assert ev[0] == {"id": 3, "ts": now - 30000, "host": "mc-eu-1", "severity": "info",
                 "kind": "backup.done", "message": 'it\'s "done"'}, ev[0]
PY
"$FLEETOP" events --host mc-eu-1 --json > "$T/out"
check "--host: only that host's" python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
assert [e["kind"] for e in ev] == ["backup.done", "mod_incompatible"], ev' "$T/out"
"$FLEETOP" events --since 3d --limit 2 --json > "$T/out"
check "--limit 2: the two newest" python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
assert [e["kind"] for e in ev] == ["backup.done", "backup.failed"], ev' "$T/out"
"$FLEETOP" events --since 3d --limit 0 --json > "$T/out"
check "--limit 0: all" python3 -c '
import json, sys; assert len(json.load(open(sys.argv[1]))["events"]) == 4' "$T/out"
"$FLEETOP" events --since 90s > "$T/out"
check "--since 90s: two" test "$(wc -l < "$T/out")" = 3

expect_usage() { # what, expected text, command...
	local what=$1 text=$2; shift 2
	set +e
	"$@" > "$T/out" 2> "$T/err"
	local rc=$?
	set -e
	if [ "$rc" = 2 ] && grep -q -- "$text" "$T/err" && [ "$(wc -l < "$T/err")" -le 2 ]; then
		ok "$what"
	else
		fail "$what (exit $rc: $(head -3 "$T/err"))"
	fi
}
expect_usage "bad --since" "not a duration" "$FLEETOP" events --since soon
expect_usage "bad --limit" "not a count" "$FLEETOP" events --limit -3
expect_usage "bad --limit text" "not a count" "$FLEETOP" events --limit 5x
expect_usage "a stray argument" "--host mc-1" "$FLEETOP" events mc-1
expect_usage "unknown option" "try 'fleetop events --help'" "$FLEETOP" events --bogus
check "events --help exits 0" "$FLEETOP" events --help
finish
