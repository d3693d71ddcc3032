#!/usr/bin/env bash
# The history on a full disk: `collect` over 50 simulated hosts with its
# history on a small tmpfs that fills up. It says so once, clearly, and
# keeps its log bounded; collect --stats and status --json show the state;
# memory stays bounded (a backlog that drops its oldest); when space comes
# back it recovers by itself and stores again.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/tmux.sh"

MNT=$T/home
mkdir -p "$MNT"
unmount() { mountpoint -q "$MNT" && umount -l "$MNT" || true; }
trap 'tmux kill-server 2>/dev/null || true; unmount; cleanup' EXIT
if ! mount -t tmpfs -o size=8m,mode=0700 tmpfs "$MNT"; then
	fail "cannot mount a tmpfs at $MNT (this test needs root)"
	finish
	exit 1
fi

start_sim "$T/sim" --hosts 50
cp "$T/sim/fleet.conf" "$MNT/fleet.conf"
cat > "$MNT/fleetop.conf" <<CONF
[ssh]
known_hosts = $T/sim/known_hosts
identity = $T/sim/id_ed25519
config = /dev/null
host_key_policy = strict
connect_timeout = 10s
[collect]
interval = 1s
[store]
backlog = 5000
CONF
export FLEETOP_HOME=$MNT

# A history made while there is room (and files 0600 under a wide umask).
set +e
(umask 000; "$FLEETOP" status --json > "$T/status0.json" 2> "$T/status0.err")
rc=$?
set -e
check "status on an empty disk: exit 0 or 1 ($rc)" [ "$rc" -le 1 ]
store_field() { # file field
	python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["store"][sys.argv[2]]; print("" if v is None else v)' "$@" 2>/dev/null
}
check "status --json: store ok" [ "$(store_field "$T/status0.json" state)" = ok ]
check "status --json: the round stored" [ "$(store_field "$T/status0.json" stored)" -gt 0 ]
for f in fleetop.db fleetop.db-wal fleetop.db-shm; do
	check "$f is 0600 under umask 000" [ "$(stat -c %a "$MNT/$f")" = 600 ]
done

# Collect, then fill the disk under it.
"$FLEETOP" collect --stats 5s > "$T/collect.log" 2>&1 &
CPID=$!
PIDS+=("$CPID")
for _ in $(seq 120); do
	grep -qE "^collect: .* [1-9][0-9]* stored, history ok" "$T/collect.log" && break
	sleep 0.5
done
check "collect stores while there is room" grep -qE "^collect: .* [1-9][0-9]* stored, history ok" "$T/collect.log"
# SQLite would first reuse the room its WAL already has (up to 4 MiB): a
# checkpoint that truncates it leaves none, so the disk is full at once.
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=10); print("checkpoint:", c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()); c.close()' "$MNT/fleetop.db"
dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null || true
check "the disk is full" [ "$(df --output=avail -B1 "$MNT" | tail -1 | tr -d ' ')" -lt 8192 ]
full=0
for _ in $(seq 120); do
	grep -q "disk full (SQLITE_FULL)" "$T/collect.log" && { full=1; break; }
	sleep 0.5
done
check "collect says the disk is full" [ "$full" = 1 ]
[ "$full" = 1 ] || { tail -30 "$T/collect.log"; ls -la "$MNT"; df "$MNT"; }
grep "disk full" "$T/collect.log" | head -2 || true
check "the error names the history, the samples waiting and where to free space" \
	grep -qE "history $MNT/fleetop.db: disk full \(SQLITE_FULL\) - [0-9]+ samples waiting, the oldest dropped past 5000.*; free space on $MNT \(" "$T/collect.log"

# A minute full: the log stays quiet, memory stays put, the backlog drops.
rss() { awk '/^VmRSS/ {print $2}' "/proc/$CPID/status"; }
sleep 10 # past the backlog's 5000 samples at 50 hosts (~1100 samples/s)
rss1=$(rss)
lines1=$(wc -l < "$T/collect.log")
sleep 60
rss2=$(rss)
lines2=$(wc -l < "$T/collect.log")
warns=$(sed -n "$((lines1 + 1)),${lines2}p" "$T/collect.log" | grep -cE "fleetop (warn|error):" || true)
echo "a minute full: $warns warnings/errors; RSS ${rss1} kB -> ${rss2} kB"
check "under 20 warnings in a minute of full disk ($warns)" [ "$warns" -lt 20 ]
check "the disk-full error said once" [ "$(grep -c "disk full (SQLITE_FULL)" "$T/collect.log")" = 1 ]
# ASan holds freed memory back (its quarantine): RSS says nothing there.
if grep -qa __asan_init "$FLEETOP"; then
	echo "RSS not checked: a sanitizer build"
else
	check "RSS bounded while full (${rss1} -> ${rss2} kB)" [ $((rss2 - rss1)) -lt 8192 ]
	check "RSS under 100 MB ($rss2 kB)" [ "$rss2" -lt 102400 ]
fi
tail -2 "$T/collect.log"
last_stats() { grep '^collect: ' "$T/collect.log" | tail -1; }
check "collect --stats shows the history FULL" bash -c "last_stats() { grep '^collect: ' '$T/collect.log' | tail -1; }; last_stats | grep -qE 'history FULL: [0-9]+ waiting, [1-9][0-9]* dropped'"
waiting=$(last_stats | sed -nE 's/.*history FULL: ([0-9]+) waiting.*/\1/p')
check "the backlog stays within 5000 ($waiting)" bash -c "[ -n '$waiting' ] && [ '${waiting:-0}' -le 5000 ]"
check "collect still runs" kill -0 "$CPID"

# While full: status --json (its own round cannot be written either).
set +e
"$FLEETOP" status --json > "$T/status1.json" 2> "$T/status1.err"
rc=$?
set -e
check "status on a full disk: exit 0 or 1 ($rc)" [ "$rc" -le 1 ]
check "status --json: store full" [ "$(store_field "$T/status1.json" state)" = full ]
check "status --json: the message says disk full" bash -c "[[ '$(store_field "$T/status1.json" message)' == *'disk full (SQLITE_FULL)'* ]]"
check "status --json: samples waiting" [ "$(store_field "$T/status1.json" waiting)" -gt 0 ]
check "status --json: failures counted" [ "$(store_field "$T/status1.json" failures)" -gt 0 ]

# While full: the console says it in its title line (and once in its
# message line).
tmux new-session -d -s "$sess" -x 200 -y 50 \
	"FLEETOP_HOME=$MNT LANG=C.UTF-8 TERM=xterm-256color '$FLEETOP' --read-only; echo EXITED \$?; sleep 60"
check "console: the title line shows the history FULL" wait_for_re "history FULL: [0-9]+ waiting, [0-9]+ dropped" 30
check "console: the message line says disk full" wait_for "disk full (SQLITE_FULL)" 10
keys q
check "console quits with 0" wait_for "EXITED 0" 10


# Space again: it recovers by itself.
stored_before=$(last_stats | sed -nE 's/.* ([0-9]+) stored.*/\1/p')
rm -f "$MNT/filler"
ok_again=0
for _ in $(seq 80); do # the retries back off to 16 s
	last_stats | grep -q "history ok" && { ok_again=1; break; }
	sleep 0.5
done
check "collect --stats shows the history ok again" [ "$ok_again" = 1 ]
rec=0
for _ in $(seq 100); do # said when writes have gone through for 30 s
	grep -q "recovered" "$T/collect.log" && { rec=1; break; }
	sleep 0.5
done
check "collect says it recovered" [ "$rec" = 1 ]
grep "recovered" "$T/collect.log" || true
stored_after=$(last_stats | sed -nE 's/.* ([0-9]+) stored.*/\1/p')
check "the backlog was stored ($stored_before -> $stored_after)" [ "$((stored_after - stored_before))" -ge "${waiting:-1}" ]
set +e
"$FLEETOP" status --json > "$T/status2.json" 2> "$T/status2.err"
rc=$?
set -e
check "status after recovery: exit 0 or 1 ($rc)" [ "$rc" -le 1 ]
check "status --json: store ok again" [ "$(store_field "$T/status2.json" state)" = ok ]
host=$(python3 -c "import json; print(json.load(open('$T/status2.json'))['hosts'][0]['name'])")
"$FLEETOP" history "$host" cpu.util --since 20s --json > "$T/hist.json" || true
recent=$(python3 -c "
import json, time
d = json.load(open('$T/hist.json'))
print(sum(1 for p in d['points'] if p['ts'] > time.time() * 1000 - 15000))" 2>/dev/null || echo 0)
check "samples stored again after recovery ($recent in the last 15s)" [ "$recent" -ge 5 ]
check "recovered said once" [ "$(grep -c "recovered" "$T/collect.log")" = 1 ]

kill -TERM "$CPID"
set +e
wait "$CPID"
rc=$?
set -e
check "collect exits 0 on SIGTERM ($rc)" [ "$rc" = 0 ]
check "collect's last line counts what it stored" grep -qE "^collect: done, .*, [0-9]+ stored, history ok" "$T/collect.log"
[ "$FAILS" -eq 0 ] || { echo "--- collect stderr"; head -40 "$T/collect.log"; echo "--- stats"; tail -5 "$T/collect.log"; }
finish
