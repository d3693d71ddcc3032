#!/usr/bin/env bash
# Bad input at the command line and in config files: a one-line error that
# names the file and line, exit code 2, never a crash.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
export FLEETOP_HOME=$T/home
mkdir -p "$FLEETOP_HOME"
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
cat > "$FLEETOP_HOME/fleet.conf" <<'INV'
[web]
web-[1:3] ansible_port=22
bad ansible_port=seventy
INV
expect_usage "bad port names file and line" "fleet.conf:3:" "$FLEETOP" hosts
printf '[web]\nweb-1\n' > "$FLEETOP_HOME/fleet.conf"
printf '[ssh]\nconect_timeout = 5s\n' > "$FLEETOP_HOME/fleetop.conf"
expect_usage "unknown setting names file and line" "fleetop.conf:2:" "$FLEETOP" hosts
printf '[collect]\ninterval = fast\n' > "$FLEETOP_HOME/fleetop.conf"
expect_usage "bad duration names the key" "interval" "$FLEETOP" check
rm "$FLEETOP_HOME/fleetop.conf"
expect_usage "selection matching nothing" "nomatch" "$FLEETOP" status 'nomatch*'
expect_usage "unknown command" "not a command" "$FLEETOP" frobnicate
expect_usage "history without arguments" "HOST and METRIC" "$FLEETOP" history
expect_usage "bad timeout" "timeout" "$FLEETOP" check --timeout soon
expect_usage "unknown option" "try 'fleetop status --help'" "$FLEETOP" status --bogus
# A missing inventory: cli_first_run.sh.
for c in hosts check status collect history sim demo; do
	check "$c --help exits 0" "$FLEETOP" "$c" --help
done
check "fleetop --help exits 0" "$FLEETOP" --help
printf '[web]\nweb-[1:3]\n[db]\ndb-1 ansible_host=10.0.0.5 ansible_user=pg\n[all:children]\nweb\ndb\n' > "$FLEETOP_HOME/fleet.conf"
"$FLEETOP" hosts --json > "$T/hosts.json"
check "hosts --json is valid and complete" python3 -c "
import json; d=json.load(open('$T/hosts.json'))
names=[h['name'] for h in d['hosts']]
assert names == ['db-1','web-1','web-2','web-3'], names  # natural order of names
db=[h for h in d['hosts'] if h['name']=='db-1'][0]
assert db['address']=='10.0.0.5' and db['user']=='pg' and db['group']==['db']"
check "selection with exclusion" bash -c "[ \"\$('$FLEETOP' hosts 'web-*,!web-2' | tail -n +2 | awk '{print \$1}' | tr '\n' ' ')\" = 'web-1 web-3 ' ]"
finish
