#!/usr/bin/env bash
# An ssh_config whose `Match exec` runs a slow command for one host (a VPN
# check, a key helper that hangs) must cost only that host: libssh runs it
# and waits while it reads the config, which fleetop does off its loop.
# The other hosts keep their 1 s cadence; the slow host is reported as
# such; fleetop stops at once on SIGINT.
source "$(dirname "$0")/lib/common.sh"
start_sim "$T/sim" --hosts 3 --flap-every 0
export FLEETOP_HOME=$T/sim
cat > "$T/ssh_config" <<CONF
Match host slowhost exec "sleep 20"
    User nobody
CONF
sed -i "s|^config = .*|config = $T/ssh_config|" "$T/sim/fleetop.conf"
printf '\n[slow]\nslowhost ansible_host=127.0.0.1 ansible_port=%s\n' "$SIM_PORT" >> "$T/sim/fleet.conf"
sim_hosts=$("$FLEETOP" hosts --json | python3 -c '
import json, sys
print(" ".join(h["name"] for h in json.load(sys.stdin)["hosts"] if h["name"] != "slowhost"))')
check "inventory has 3 simulator hosts and slowhost" [ "$(echo $sim_hosts | wc -w)" = 3 ]
t0=$(date +%s%3N)
"$FLEETOP" collect --stats 1s 2> "$T/collect.log" &
cpid=$!
sleep 30
t1=$(date +%s%3N)
interrupt_within "$cpid" 10 collect
tail -4 "$T/collect.log"
check "slowhost reported as slow to read its ssh config" \
	grep -q 'slowhost: reading the ssh config took over' "$T/collect.log"
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
