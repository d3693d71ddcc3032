#!/usr/bin/env bash
# host_key_policy = off connects without checking host keys: fleetop says
# so loudly at every start that connects (stderr, the log), naming the
# file and the fix; with strict it says nothing of the kind.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
start_sshd
echo "mc-1 ansible_host=127.0.0.1 ansible_port=$SSHD_PORT" > "$FLEETOP_HOME/fleet.conf"

run_check() { # NAME
	set +e
	"$FLEETOP" check > "$T/$1.out" 2> "$T/$1.err"
	echo $? > "$T/$1.rc"
	set -e
}
run_check strict
check "strict: check exits 0 (got $(cat "$T/strict.rc"))" test "$(cat "$T/strict.rc")" = 0
check "strict: no host key warning" bash -c '! grep -q "host_key_policy" "$1"' _ "$T/strict.err"

sed -i 's/^\[ssh\]$/[ssh]\nhost_key_policy = off/' "$FLEETOP_HOME/fleetop.conf"
# A host key nobody knows: off connects all the same.
echo > "$T/known_hosts"
for i in 1 2; do
	run_check "off$i"
	check "off, start $i: check exits 0 (got $(cat "$T/off$i.rc"))" test "$(cat "$T/off$i.rc")" = 0
	check "off, start $i: the warning is on stderr, naming the file and the fix" \
		grep -q "WARNING: host_key_policy = off in $FLEETOP_HOME/fleetop.conf: host keys are NOT checked.*set host_key_policy = strict or accept-new" "$T/off$i.err"
done
# Commands that connect nowhere need not warn.
set +e
"$FLEETOP" hosts > "$T/hosts.out" 2> "$T/hosts.err"
rc=$?
set -e
check "hosts (connects nowhere): exit 0 (got $rc), no warning" \
	bash -c '[ "$1" = 0 ] && ! grep -q host_key_policy "$2"' _ "$rc" "$T/hosts.err"
finish
