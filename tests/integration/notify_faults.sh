#!/usr/bin/env bash
# Delivery that loses nothing and sends nothing twice once confirmed, against
# a real HTTP listener on loopback that misbehaves on demand: down at first,
# 500s, 429 with Retry-After, Discord's JSON retry_after, 503 with
# Retry-After, a listener that never answers, a permanent 400, and fleetop
# killed with -9 while a request is in flight. Receivers: an Alertmanager-
# format webhook and a Discord webhook.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/notify.sh"
export PYTHONPATH=$LIB

PORT=$(port_free)
SEC=$T/secrets
mkdir -m 700 "$SEC"
HOOK_TOK=whk$(token 24)
DISCORD_TOK=dsc$(token 40)
(umask 077; echo "http://127.0.0.1:$PORT/discord/api/webhooks/77/$DISCORD_TOK" > "$SEC/discord.url")
cat > "$FLEETOP_HOME/notify.conf" <<CONF
[receiver am]
type = webhook
url = http://127.0.0.1:$PORT/webhook/am/$HOOK_TOK
timeout = 2s

[receiver dc]
type = discord
url_file = $SEC/discord.url
timeout = 2s
CONF
chmod 600 "$FLEETOP_HOME/notify.conf"
LOG=$T/rec.log

last_key() { sqlite3 "$DB" "SELECT key FROM outbox ORDER BY id DESC LIMIT 1"; }
row() { sqlite3 "$DB" "SELECT state, tries FROM outbox WHERE key = '$1'"; }
ntest() { # RECEIVER MSG TIMEOUT: notify test; sets RC and TOOK (seconds)
	local t0
	t0=$(now)
	set +e
	"$FLEETOP" notify test "$1" -m "$2" --timeout "$3" >> "$T/out" 2>> "$T/err.$2"
	RC=$?
	set -e
	LAST_MSG=$2
	TOOK=$(awk -v a="$(now)" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')
}

# ---- 1. the listener is down: notifications wait in the outbox ----
DOWN_KEYS=()
for m in down-am-1:am down-dc-2:dc down-am-3:am; do
	ntest "${m#*:}" "${m%%:*}" 200ms
	check "down: notify test ${m#*:} fails (exit $RC) within its timeout (${TOOK}s)" \
		failed_within "$RC" "$TOOK" 2.5
	DOWN_KEYS+=("$(last_key)")
done
check "down: three rows pending with an error" "$PY" - "$DB" <<'PY'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT state, tries, last_error FROM outbox ORDER BY id").fetchall()
assert len(rows) == 3, rows
for state, tries, err in rows:
    assert state == "pending" and tries >= 1 and err, rows
PY
echo "  last error while down: $(sqlite3 "$DB" "SELECT last_error FROM outbox LIMIT 1")"
start_recorder rec "$PORT"
t_up=$(now)
set +e
"$FLEETOP" notify send --timeout 15s > "$T/out.send1" 2> "$T/err.send1"
rc=$?
set -e
exits_0 "down then up: notify send exits 0" "$rc" "$T/err.send1"
check "down then up: each of the three arrived once, confirmed" \
	"$PY" - "$LOG" "$t_up" "${DOWN_KEYS[@]}" <<'PY'
import sys
from recorder_log import load, for_key, ok
reqs = load(sys.argv[1])
for k in sys.argv[3:]:
    rs = for_key(reqs, k)
    assert len(rs) == 1 and ok(rs[0]), (k, [(r["status"]) for r in rs])
last = max(r["start"] for r in reqs)
print("  all three arrived %.2f s after the listener came up" % (last - float(sys.argv[2])))
PY
for k in "${DOWN_KEYS[@]}"; do
	check "down then up: $k sent" [ "$(row "$k" | cut -d'|' -f1)" = sent ]
done

# ---- 2. 500 twice: retried with exponential backoff, arrives once ----
set_mode rec "500 2"
ntest am five-hundred 15s
K500=$(last_key)
exits_0 "500 2: notify test exits 0 after the retries (${TOOK}s)" "$RC" "$T/err.$LAST_MSG"
check "500 2: three tries, about 1 s then 2 s apart, confirmed once" "$PY" - "$LOG" "$K500" <<'PY'
import sys
from recorder_log import load, for_key, ok
rs = for_key(load(sys.argv[1]), sys.argv[2])
assert [r["status"] for r in rs] == [500, 500, rs[2]["status"]] and ok(rs[2]), \
    [r["status"] for r in rs]
g1, g2 = rs[1]["start"] - rs[0]["end"], rs[2]["start"] - rs[1]["end"]
print("  gaps after each 500: %.2f s, %.2f s" % (g1, g2))
# Backoff starts at 1 s and doubles, each with up to 25% jitter either way
# (0.75-1.25 s, then 1.5-2.5 s); a loaded machine only adds (up to 1 s
# here). The second gap's least is over the first's most: it grew.
assert 0.7 <= g1 <= 2.25, g1
assert 1.4 <= g2 <= 3.5, (g1, g2)
PY
check "500 2: outbox row sent after 3 tries" [ "$(row "$K500")" = "sent|3" ]

# ---- 3. 429 with Retry-After: 2 ----
set_mode rec "429 2"
ntest am rate-limited 15s
K429=$(last_key)
exits_0 "429 2: notify test exits 0 (${TOOK}s)" "$RC" "$T/err.$LAST_MSG"
check "429 2: the retry comes no sooner than 2 s after the 429" "$PY" - "$LOG" "$K429" <<'PY'
import sys
from recorder_log import load, for_key, ok
rs = for_key(load(sys.argv[1]), sys.argv[2])
assert [r["status"] for r in rs][:1] == [429] and len(rs) == 2 and ok(rs[1]), \
    [r["status"] for r in rs]
g = rs[1]["start"] - rs[0]["end"]
print("  retry %.3f s after the 429 (Retry-After: 2)" % g)
assert 1.98 <= g <= 4.0, g
PY

# ---- 4. Discord's 429: {"retry_after": 1.5} in the body, no header ----
set_mode rec "discord429 1.5"
ntest dc discord-rate 15s
KD=$(last_key)
exits_0 "discord429: notify test exits 0 (${TOOK}s)" "$RC" "$T/err.$LAST_MSG"
check "discord429: the retry waits the body's retry_after (1.5 s)" "$PY" - "$LOG" "$KD" <<'PY'
import sys
from recorder_log import load, for_key, ok
rs = for_key(load(sys.argv[1]), sys.argv[2])
assert len(rs) == 2 and rs[0]["status"] == 429 and ok(rs[1]), [r["status"] for r in rs]
g = rs[1]["start"] - rs[0]["end"]
print("  retry %.3f s after Discord's 429 (retry_after 1.5)" % g)
assert 1.48 <= g <= 3.5, g
PY

# ---- 5. 503 with Retry-After: 2 ----
set_mode rec "503 2 r"
ntest am unavailable 15s
K503=$(last_key)
exits_0 "503 + Retry-After 2: notify test exits 0 (${TOOK}s)" "$RC" "$T/err.$LAST_MSG"
check "503 + Retry-After 2: the retry waits 2 s" "$PY" - "$LOG" "$K503" <<'PY'
import sys
from recorder_log import load, for_key, ok
rs = for_key(load(sys.argv[1]), sys.argv[2])
assert len(rs) == 2 and rs[0]["status"] == 503 and ok(rs[1]), [r["status"] for r in rs]
g = rs[1]["start"] - rs[0]["end"]
print("  retry %.3f s after the 503 (Retry-After: 2)" % g)
assert 1.98 <= g <= 4.0, g
PY

# ---- 6. a listener that never answers: the receiver's 2 s timeout ----
set_mode rec hang
n0=$(count_requests "$LOG")
t0=$(now)
"$FLEETOP" notify test am -m hang --timeout 20s > "$T/out.hang" 2> "$T/err.hang" &
HANG_PID=$!
PIDS+=("$HANG_PID") # its exit status is checked below
check "hang: the request arrives" wait_requests "$LOG" $((n0 + 1)) 5
set_mode rec ok
set +e
wait "$HANG_PID"
rc=$?
set -e
KH=$(last_key)
exits_0 "hang: notify test exits 0 once the listener answers again" "$rc" "$T/err.hang"
check "hang: fleetop gave up after its 2 s timeout and retried" "$PY" - "$LOG" "$KH" <<'PY'
import sys
from recorder_log import load, for_key, ok
rs = for_key(load(sys.argv[1]), sys.argv[2])
assert len(rs) == 2 and rs[0]["status"] is None and ok(rs[1]), \
    [(r["status"], r["held"]) for r in rs]
held = rs[0]["held"]
print("  hung request dropped by fleetop after %.2f s; retry %.2f s after it started"
      % (held, rs[1]["start"] - rs[0]["start"]))
# The recorder stamps a request when it has read it, which a loaded
# machine can delay: held may fall short of the 2 s by that much.
assert 1.5 <= held <= 3.5, held
assert rs[1]["start"] - rs[0]["start"] >= 2.2
PY

# ---- 7. a permanent error: failed at once, never retried ----
set_mode rec "400 1"
ntest am bad-request 10s
K400=$(last_key)
check "400: notify test fails at once (exit $RC, ${TOOK}s)" \
	failed_within "$RC" "$TOOK" 3
check "400: the row is failed after one try" [ "$(row "$K400")" = "failed|1" ]
check "400: its error names the status" \
	grep -q 400 <<<"$(sqlite3 "$DB" "SELECT last_error FROM outbox WHERE key = '$K400'")"
expect_rc 0 "400: notify send (a failed row is not pending)" "$FLEETOP" notify send --timeout 2s > /dev/null 2> "$T/err.send400"
check "400: not sent again" "$PY" - "$LOG" "$K400" <<'PY'
import sys
from recorder_log import load, for_key
assert len(for_key(load(sys.argv[1]), sys.argv[2])) == 1
PY
"$FLEETOP" notify outbox --json --state failed > "$T/failed.json"
check "notify outbox --state failed --json: only that row" "$PY" - "$T/failed.json" "$K400" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = d if isinstance(d, list) else next(v for v in d.values() if isinstance(v, list))
assert [r["key"] for r in rows] == [sys.argv[2]], rows
assert rows[0]["state"] == "failed" and rows[0]["tries"] == 1 and "400" in rows[0]["last_error"]
PY

# ---- 8. kill -9 while a request is in flight ----
# Five rows wait while the listener is down (Discord ones first), then the
# webhook answers only after 3 s while Discord answers at once: kill -9 the
# sender once a Discord row is confirmed and a webhook request is in flight.
kill "$rec_PID"
wait "$rec_PID" 2> /dev/null || true
KILL_KEYS=()
for m in kill-dc-1:dc kill-dc-2:dc kill-am-3:am kill-am-4:am kill-am-5:am; do
	ntest "${m#*:}" "${m%%:*}" 200ms
	KILL_KEYS+=("$(last_key)")
done
check "kill: five rows pending" \
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE state = 'pending'")" = 5 ]
set_mode rec "webhook: slow 3" "ok"
start_recorder rec "$PORT"
n0=$(count_requests "$LOG")
"$FLEETOP" notify send --timeout 30s > "$T/out.send2" 2> "$T/err.send2" &
SEND_PID=$!
watch_exit "$SEND_PID" "kill: notify send, killed with -9" 137
# Wait for: a Discord row sent, a webhook request read and not answered.
ready=0
for _ in $(seq 200); do
	dc_sent=$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE state = 'sent' AND key IN ('${KILL_KEYS[0]}', '${KILL_KEYS[1]}')")
	inflight=$("$PY" - "$LOG" "$n0" <<'PY'
import sys
from recorder_log import load
rs = load(sys.argv[1])[int(sys.argv[2]):]
print(sum(1 for r in rs if r["service"] == "webhook" and r["end"] is None))
PY
)
	if [ "$dc_sent" -ge 1 ] && [ "$inflight" -ge 1 ]; then ready=1; break; fi
	sleep 0.05
done
check "kill: a Discord row confirmed and a webhook request in flight before the kill" [ "$ready" = 1 ]
t_kill=$(now)
kill -9 "$SEND_PID"
expect_exit "$SEND_PID" 137 2> /dev/null
# What the database says was confirmed is what counts, read after the kill.
sqlite3 "$DB" "SELECT key FROM outbox WHERE state = 'sent'" > "$T/confirmed-at-kill"
set_mode rec ok
t_restart=$(now)
set +e
"$FLEETOP" notify send --timeout 15s > "$T/out.send3" 2> "$T/err.send3"
rc=$?
set -e
exits_0 "kill: notify send after the restart exits 0" "$rc" "$T/err.send3"
check "kill: every row sent after the restart" \
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE state = 'pending'")" = 0 ]
check "kill: every key arrived; repeats only for rows in flight at the kill; confirmed ones once" \
	"$PY" - "$LOG" "$T/confirmed-at-kill" "$t_kill" "$t_restart" "${KILL_KEYS[@]}" <<'PY'
import sys
from recorder_log import load, for_key, ok
reqs = load(sys.argv[1])
confirmed = set(open(sys.argv[2]).read().split())
t_kill, t_restart = float(sys.argv[3]), float(sys.argv[4])
keys = sys.argv[5:]
# What the killed process sent: everything that reached the listener before
# the restart (the recorder stamps a request when it has read it, which can
# be a moment after the kill for one written just before it).
inflight = {r["key"] for r in reqs if r["start"] < t_restart and r["key"] not in confirmed}
twice = set()
for k in keys:
    rs = for_key(reqs, k)
    assert rs and any(ok(r) for r in rs), (k, "never arrived")
    if len(rs) > 1:
        twice.add(k)
        assert k in inflight, (k, "sent again though it was not in flight at the kill")
        # The repeat is the same notification: same key, same body.
        assert len({r["body"] for r in rs}) == 1, (k, "repeat with another body")
    if k in confirmed:
        assert len(rs) == 1, (k, "confirmed before the kill, yet sent %d times" % len(rs))
assert confirmed & set(keys), "no row was confirmed before the kill: nothing tested"
assert inflight & set(keys), "no row was in flight at the kill: nothing tested"
print("  confirmed before the kill (sent once): %d; in flight (may repeat): %d; "
      "repeated: %d" % (len(confirmed & set(keys)), len(inflight & set(keys)), len(twice)))
PY

# ---- the whole run: no key confirmed twice, shapes valid, no secret out ----
check "no notification confirmed twice (only kill -9 in-flight rows may repeat)" \
	"$PY" - "$LOG" "$DB" "$T/confirmed-at-kill" "$t_restart" <<'PY'
import sqlite3, sys
from recorder_log import load, for_key, ok
reqs = load(sys.argv[1])
confirmed = set(open(sys.argv[3]).read().split())
t_restart = float(sys.argv[4])
keys = [k for (k,) in sqlite3.connect(sys.argv[2]).execute("SELECT key FROM outbox")]
for k in keys:
    rs = for_key(reqs, k)
    n_ok = sum(1 for r in rs if ok(r))
    killed = any(r["start"] < t_restart for r in rs) and k not in confirmed and \
        any(r["start"] > t_restart for r in rs)
    assert n_ok <= 1 or killed, (k, n_ok)
PY
check "every request in the documented shape, no secret in a body" \
	"$PY" "$LIB/check_payloads.py" --log "$LOG" --quiet \
	--secret "$HOOK_TOK" --secret "$DISCORD_TOK"
sqlite3 "$DB" .dump > "$T/db.dump"
"$FLEETOP" notify outbox --json > "$T/outbox.json"
check "no secret in output, errors, --json or the database" bash -c "! grep -laF -e '$HOOK_TOK' -e '$DISCORD_TOK' '$T'/out* '$T'/err.* '$T/outbox.json' '$T/db.dump'"
finish
