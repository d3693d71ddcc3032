#!/usr/bin/env bash
# Metrics read over a real OpenSSH sshd agree with the host's own /proc and df.
source "$(dirname "$0")/lib/common.sh"
start_sshd
cat > "$FLEETOP_HOME/fleet.conf" <<INV
[local]
box ansible_host=127.0.0.1 ansible_port=$SSHD_PORT
INV

# mem.total_bytes equals MemTotal exactly; disk.used_pct within 1 point of df.
# The host is this machine: what changes while status runs (load, uptime,
# processes, swap) is read before and after it and must lie between, give
# or take what can change in that time on a busy shared machine.
nprocs() { set -- /proc/[0-9]*; echo $#; }
read -r la1 la5 la15 _ < /proc/loadavg; read -r up0 _ < /proc/uptime; np0=$(nprocs)
swap_pct() { awk '/^SwapTotal:/ {t=$2} /^SwapFree:/ {f=$2} END {print t ? 100 * (t - f) / t : 0}' /proc/meminfo; }
sw0=$(swap_pct)
expect_rc 0 "status of the local host" "$FLEETOP" status --json > "$T/status.json"
read -r lb1 lb5 lb15 _ < /proc/loadavg; read -r up1 _ < /proc/uptime; np1=$(nprocs)
sw1=$(swap_pct)
memtotal=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024 ))
got=$(json_metric "$T/status.json" box mem.total_bytes)
check "mem.total_bytes ($got) == MemTotal ($memtotal)" python3 -c "import sys; sys.exit(float('$got') != $memtotal)"
dfpct=$(df -P / | awk 'NR==2 {sub("%","",$5); print $5}')
got=$(json_metric "$T/status.json" box disk.used_pct)
check "disk.used_pct ($got) within 1 of df ($dfpct)" python3 -c "import sys; sys.exit(abs(float('$got') - $dfpct) > 1)"
check "state is up" [ "$(json_field "$T/status.json" box state)" = up ]
for m in cpu.util cpu.iowait cpu.steal mem.used_pct \
	disk.free_bytes disk.read_bps disk.write_bps net.rx_bps net.tx_bps; do
	check "metric $m present" [ -n "$(json_metric "$T/status.json" box $m)" ]
done
# between WHAT METRIC LO HI SLACK: the metric lies in [LO - SLACK, HI + SLACK]
# (LO and HI the host's own figure before and after, either order).
between() {
	local got
	got=$(json_metric "$T/status.json" box "$2")
	check "$1: $2 ($got) within $(python3 -c "print(round($5, 2))") of /proc's $3 .. $4" python3 -c "
import sys
got = float('${got:-nan}'); lo, hi = sorted(($3, $4)); slack = $5
sys.exit(not (lo - slack <= got <= hi + slack))"
}
# Load averages move by at most a fraction of the run queue in a second.
between "load" load.1 "$la1" "$lb1" "0.5 + 0.2 * max($la1, $lb1)"
between "load" load.5 "$la5" "$lb5" "0.3 + 0.1 * max($la5, $lb5)"
between "load" load.15 "$la15" "$lb15" "0.2 + 0.05 * max($la15, $lb15)"
between "uptime" uptime "$up0" "$up1" 1
# Other engineers' tests start and end processes meanwhile.
between "processes" procs "$np0" "$np1" "10 + 0.1 * max($np0, $np1)"
between "swap" swap.used_pct "$sw0" "$sw1" 1

# cpu.util follows a CPU burner: the mean of the samples stored inside a
# window against /proc/stat read at both ends of the same window (after
# the connection is up, so start-up costs count in neither).
ncpu=$(nproc)
burners=$(( (ncpu + 1) / 2 ))
BURNERS=()
for _ in $(seq $burners); do (while :; do :; done) & PIDS+=($!); BURNERS+=($!); done
fleetop_bg cpid "collect --duration 12s (cpu)" -- "$FLEETOP" collect --duration 12s 2> "$T/collect-cpu.log"
sleep 4
stat_now() { read -r _ u n s i w q sq st _ < /proc/stat; echo "$((u+n+s+i+w+q+sq+st)) $((i+w)) $(date +%s%3N)"; }
read -r t0 idle0 ms0 <<<"$(stat_now)"
sleep 6
read -r t1 idle1 ms1 <<<"$(stat_now)"
expect_exit "$cpid"
for p in "${BURNERS[@]}"; do kill "$p" 2>/dev/null || true; done
ref=$(python3 -c "print(100.0 * (1 - ($idle1-$idle0)/($t1-$t0)))")
"$FLEETOP" history box cpu.util --since 30s --json > "$T/cpu.json"
mean=$(python3 -c "
import json; p=json.load(open('$T/cpu.json'))['points']
# a sample stamped t covers the second before t
v=[x['avg'] for x in p if $ms0 + 1000 <= x['ts'] <= $ms1]; print(sum(v)/len(v))")
echo "cpu.util mean $mean vs /proc/stat $ref over the same 6 s (burners: $burners of $ncpu cpus)"
check "cpu.util ($mean) within 10 points of /proc/stat ($ref)" python3 -c "import sys; sys.exit(abs($mean - $ref) > 10)"
check "cpu.util shows the burner (> 30%)" python3 -c "import sys; sys.exit($mean < 30)"

# Network counters grow under traffic: a veth pair into a namespace of our
# own, and a few MB sent to a listener inside it.
ns=fltest$$
if ip netns add "$ns" 2>/dev/null; then
	ip link add fv$$a type veth peer name fv$$b
	ip link set fv$$b netns "$ns"
	ip addr add 10.203.7.1/30 dev fv$$a && ip link set fv$$a up
	ip -n "$ns" addr add 10.203.7.2/30 dev fv$$b && ip -n "$ns" link set fv$$b up
	ip -n "$ns" link set lo up
	ip netns exec "$ns" python3 -c '
import socket
s = socket.socket(); s.bind(("10.203.7.2", 9099)); s.listen(1)
c, _ = s.accept()
while c.recv(65536): pass' &
	PIDS+=($!)
	listening() { [ -n "$(ip netns exec "$ns" ss -Hltn 'sport = :9099')" ]; }
	check "a listener in the namespace" wait_until 10 listening
	fleetop_bg cpid "collect --duration 6s (net)" -- "$FLEETOP" collect --duration 6s 2> "$T/collect-net.log"
	sleep 2.5
	python3 -c '
import socket, time
s = socket.create_connection(("10.203.7.2", 9099))
end = time.time() + 2
while time.time() < end: s.sendall(b"x" * 65536)' || true
	expect_exit "$cpid"
	"$FLEETOP" history box "net.tx_bps:fv$$a" --since 8s --json > "$T/net.json"
	peak=$(python3 -c "
import json; p=json.load(open('$T/net.json'))['points']; print(max([x['max'] for x in p] or [0]))")
	echo "peak net.tx_bps on fv$$a: $peak"
	check "net.tx_bps grows under traffic (peak $peak > 1 MB/s)" python3 -c "import sys; sys.exit($peak < 1e6)"
	"$FLEETOP" history box net.tx_bps --since 8s --json > "$T/nettot.json"
	tot=$(python3 -c "
import json; p=json.load(open('$T/nettot.json'))['points']; print(max([x['max'] for x in p] or [0]))")
	check "total net.tx_bps includes it ($tot)" python3 -c "import sys; sys.exit($tot < 1e6)"
	ip link del fv$$a 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
else
	fail "cannot create a network namespace for the traffic test (needs root)"
fi
finish
