#!/usr/bin/env bash
# A first run: with no inventory every command that needs one says where
# it looked, what to write there (an example that is itself a valid
# inventory) and points to `fleetop demo`, exit 2; a file that exists but
# cannot be read gets no such advice. Hosts are listed in natural order
# (db-7 before db-10) by hosts, check and status, table and --json.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
export FLEETOP_HOME=$T/home
mkdir -p "$FLEETOP_HOME"
inv=$FLEETOP_HOME/fleet.conf

# first_run_advice WHAT PATH COMMAND...: exit 2, the error names PATH on
# the first line, then the example inventory and fleetop demo.
first_run_advice() {
	local what=$1 path=$2; shift 2
	set +e
	"$@" < /dev/null > "$T/out" 2> "$T/err"
	local rc=$?
	set -e
	if [ "$rc" = 2 ] && head -1 "$T/err" | grep -qF "cannot open $path: No such file" &&
		grep -qxF "    [minecraft]" "$T/err" && grep -qF "fleetop demo" "$T/err" &&
		[ "$(grep -c ansible_host= "$T/err")" = 2 ] && [ ! -s "$T/out" ]; then
		ok "$what"
	else
		fail "$what (exit $rc:"; cat "$T/err"; echo ")"
	fi
}
for c in hosts check status collect console; do
	first_run_advice "no inventory: $c says what to write and points to fleetop demo" "$inv" \
		"$FLEETOP" "$c"
done
first_run_advice "no inventory: plain fleetop (the console) too" "$inv" "$FLEETOP"
first_run_advice "no inventory: alerts maintenance too" "$inv" \
	"$FLEETOP" alerts maintenance mc-eu-1 --for 1h
first_run_advice "-i naming a missing file: that path" "$T/elsewhere.conf" \
	"$FLEETOP" status -i "$T/elsewhere.conf"

# The example is a real inventory: written where the message says, it loads.
sed -n 's/^    //p' "$T/err" > "$inv"
set +e
"$FLEETOP" hosts > "$T/out" 2> "$T/err"
rc=$?
set -e
check "the example inventory in the message loads as it is (exit $rc)" \
	bash -c "[ $rc = 0 ] && [ \"\$(tail -n +2 '$T/out' | awk '{print \$1}' | tr '\n' ' ')\" = 'mc-eu-1 mc-eu-2 ' ]"

# Present but unreadable (a directory): the error, not the first-run advice.
rm "$inv"
mkdir "$inv"
set +e
"$FLEETOP" hosts > "$T/out" 2> "$T/err"
rc=$?
set -e
check "an inventory that is a directory: exit 2 ($rc), its own error, no first-run advice" \
	bash -c "[ $rc = 2 ] && grep -qF '$inv' '$T/err' && ! grep -q 'fleetop demo' '$T/err'"
rmdir "$inv"

# Natural order, against the simulator: four of its hosts named so that
# string order and inventory order both differ from natural order.
start_sim "$T/sim" --hosts 6
ports=($(sed -n 's/.*ansible_port=\([0-9]*\).*/\1/p' "$T/sim/fleet.conf"))
cat > "$T/natural.conf" <<INV
[db]
db-12 ansible_host=127.0.0.1 ansible_port=${ports[0]}
db-7 ansible_host=127.0.0.1 ansible_port=${ports[1]}
db-10 ansible_host=127.0.0.1 ansible_port=${ports[2]}
db-11 ansible_host=127.0.0.1 ansible_port=${ports[3]}
[mc]
mc-eu-10 ansible_host=127.0.0.1 ansible_port=${ports[4]}
mc-eu-2 ansible_host=127.0.0.1 ansible_port=${ports[5]}
[all:vars]
ansible_user=fleetop
INV
want="db-7 db-10 db-11 db-12 mc-eu-2 mc-eu-10 "
names() { tail -n +2 "$1" | awk '{print $1}' | tr '\n' ' '; }
json_names() { python3 -c "import json,sys; print(' '.join(h['name'] for h in json.load(open(sys.argv[1]))['hosts']) + ' ')" "$1"; }
export FLEETOP_HOME=$T/sim
run() { # what expected-exit file command...
	local what=$1 want_rc=$2 out=$3; shift 3
	set +e
	"$@" > "$out" 2> "$T/err"
	local rc=$?
	set -e
	[ "$rc" = "$want_rc" ] || { fail "$what: exit $rc: $(head -3 "$T/err")"; return 1; }
}
if run "hosts" 0 "$T/hosts.txt" "$FLEETOP" hosts -i "$T/natural.conf"; then
	check "hosts lists in natural order ($(names "$T/hosts.txt"))" [ "$(names "$T/hosts.txt")" = "$want" ]
fi
if run "hosts --json" 0 "$T/hosts.json" "$FLEETOP" hosts -i "$T/natural.conf" --json; then
	check "hosts --json in natural order" [ "$(json_names "$T/hosts.json")" = "$want" ]
fi
if run "status" 0 "$T/status.txt" "$FLEETOP" status -i "$T/natural.conf"; then
	check "status table in natural order ($(names "$T/status.txt"))" [ "$(names "$T/status.txt")" = "$want" ]
	check "status: every host up" [ "$(grep -cE '^[a-z0-9-]+ +up ' "$T/status.txt")" = 6 ]
fi
if run "status --json" 0 "$T/status.json" "$FLEETOP" status -i "$T/natural.conf" --json; then
	check "status --json in natural order" [ "$(json_names "$T/status.json")" = "$want" ]
fi
if run "check" 0 "$T/check.txt" "$FLEETOP" check -i "$T/natural.conf" 'db-*'; then
	check "check (a selection) in natural order" [ "$(names "$T/check.txt")" = "db-7 db-10 db-11 db-12 " ]
fi
finish
