#!/usr/bin/env bash
# Metrics read over a real OpenSSH sshd agree with the host's own /proc and df.
source "$(dirname "$0")/lib/common.sh"
start_sshd
cat > "$FLEETOP_HOME/fleet.conf" <<INV
[local]
box ansible_host=127.0.0.1 ansible_port=$SSHD_PORT
INV

# mem.total_bytes equals MemTotal exactly; disk.used_pct within 1 point of df.
"$FLEETOP" status --json > "$T/status.json"
memtotal=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024 ))
got=$(json_metric "$T/status.json" box mem.total_bytes)
check "mem.total_bytes ($got) == MemTotal ($memtotal)" python3 -c "import sys; sys.exit(float('$got') != $memtotal)"
dfpct=$(df -P / | awk 'NR==2 {sub("%","",$5); print $5}')
got=$(json_metric "$T/status.json" box disk.used_pct)
check "disk.used_pct ($got) within 1 of df ($dfpct)" python3 -c "import sys; sys.exit(abs(float('$got') - $dfpct) > 1)"
check "state is up" [ "$(json_field "$T/status.json" box state)" = up ]
for m in cpu.util cpu.iowait cpu.steal load.1 load.5 load.15 mem.used_pct swap.used_pct \
	disk.free_bytes disk.read_bps disk.write_bps net.rx_bps net.tx_bps uptime procs; do
	check "metric $m present" [ -n "$(json_metric "$T/status.json" box $m)" ]
done

# cpu.util follows a CPU burner: the mean of the samples stored inside a
# window against /proc/stat read at both ends of the same window (after
# the connection is up, so start-up costs count in neither).
ncpu=$(nproc)
burners=$(( (ncpu + 1) / 2 ))
for _ in $(seq $burners); do (while :; do :; done) & PIDS+=($!); done
"$FLEETOP" collect --duration 12s 2>/dev/null &
cpid=$!
sleep 4
stat_now() { read -r _ u n s i w q sq st _ < /proc/stat; echo "$((u+n+s+i+w+q+sq+st)) $((i+w)) $(date +%s%3N)"; }
read -r t0 idle0 ms0 <<<"$(stat_now)"
sleep 6
read -r t1 idle1 ms1 <<<"$(stat_now)"
wait $cpid
for p in "${PIDS[@]:1}"; do kill "$p" 2>/dev/null || true; done
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
	sleep 0.5
	( "$FLEETOP" collect --duration 6s 2>/dev/null ) &
	cpid=$!
	sleep 2.5
	python3 -c '
import socket, time
s = socket.create_connection(("10.203.7.2", 9099))
end = time.time() + 2
while time.time() < end: s.sendall(b"x" * 65536)' || true
	wait $cpid
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
