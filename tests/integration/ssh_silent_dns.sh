#!/usr/bin/env bash
# A host whose name cannot be resolved, behind a nameserver that never
# answers (resolv.conf: timeout:15 attempts:2, so a lookup takes 30 s),
# must cost only that host: the others keep their 1 s cadence in the
# history, the host is reported as a resolve failure, and fleetop stops
# at once on SIGINT. (fleetop waited for the lookup on its loop when it
# gave up on it: every host's samples stopped for ~20 s, again and again.)
# fleetop runs in a private mount namespace whose /etc/resolv.conf names
# the silent nameserver on a loopback address; nothing leaves the machine.
source "$(dirname "$0")/lib/common.sh"
if ! unshare -m true 2>/dev/null; then
	fail "this test needs unshare -m (root or CAP_SYS_ADMIN) for its own resolv.conf"
	finish
	exit 1
fi
ns=127.$((20 + RANDOM % 200)).$((1 + RANDOM % 250)).53
python3 -u "$SRC/tests/integration/lib/silent_dns.py" "$ns" > "$T/dns.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$T/dns.log" && break; sleep 0.05; done
check "silent nameserver listens on $ns" grep -q listening "$T/dns.log"
printf 'nameserver %s\noptions timeout:15 attempts:2\n' "$ns" > "$T/resolv.conf"

start_sim "$T/sim" --hosts 4 --flap-every 0
export FLEETOP_HOME=$T/sim
printf '\n[nodns]\nghost ansible_host=nowhere.invalid.example\n' >> "$T/sim/fleet.conf"
sim_hosts=$("$FLEETOP" hosts --json | python3 -c '
import json, sys
print(" ".join(h["name"] for h in json.load(sys.stdin)["hosts"] if h["name"] != "ghost"))')
check "inventory has 4 simulator hosts and ghost" [ "$(echo $sim_hosts | wc -w)" = 4 ]

t0=$(date +%s%3N)
unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh \
	"$T/resolv.conf" "$FLEETOP" collect --stats 1s 2> "$T/collect.log" &
cpid=$!
sleep 40
t1=$(date +%s%3N)
# Stopping must not wait for the lookup still running (up to 30 s).
interrupt_within "$cpid" 10 collect
tail -5 "$T/collect.log"
check "the silent nameserver was asked" grep -q '^query' "$T/dns.log"
check "ghost reported as a resolve failure" \
	grep -q 'ghost: cannot resolve nowhere.invalid.example' "$T/collect.log"
check "no simulator host went down" bash -c "! grep -E 'collect: [0-9]+ up, [1-9][0-9]* down' '$T/collect.log' | grep -qv '4 up, 1 down'"

# Every simulator host: samples from its first until SIGINT, never more
# than 2 s apart (the old code left holes of ~20 s).
for h in $sim_hosts; do
	"$FLEETOP" history "$h" cpu.util --since 5m --tier raw --csv > "$T/$h.csv"
	check "$h: no gap over 2 s in its history" python3 - "$T/$h.csv" "$t0" "$t1" <<'PY'
import sys
rows = [l.split(",") for l in open(sys.argv[1]).read().split("\n")[1:] if l]
ts = sorted(int(r[0]) for r in rows)
t0, t1 = int(sys.argv[2]), int(sys.argv[3])
assert ts, "no samples"
assert ts[0] - t0 < 15000, f"first sample {ts[0] - t0} ms after start"
gaps = [b - a for a, b in zip(ts, ts[1:])] + [t1 - ts[-1]]
print(f"{len(ts)} samples, largest gap {max(gaps)} ms")
assert max(gaps) <= 2000, f"gaps over 2 s: {[g for g in gaps if g > 2000]}"
PY
done
finish
