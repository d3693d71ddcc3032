#!/usr/bin/env bash
# Text from hosts never drives the operator's terminal: a custom collector
# (run on the host over a real sshd) whose stdout, events and stderr carry
# ESC[2J, OSC titles and hyperlinks, 8-bit CSI and bad UTF-8; `status`,
# `status --json`, `check`, `events` and the log show the text with
# none of it: no ESC byte, no C1 control, no other C0 but tab and newline.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
start_sshd

cat > "$T/evil.sh" <<'SH'
#!/bin/sh
printf '{"metric":"evil.value","value":1}\n'
printf '\033[2J\033]0;pwned title\007{"metric":not json\n'
printf '{"event":"evil.motd","severity":"warning","message":"motd \\u001b[2J\\u001b]8;;http://x/\\u001b\\\\link\\u001b]8;;\\u001b\\\\ \\u009b31m red \\u0007"}\n'
printf 'stderr says \033[2J\033]0;owned\007 and \302\2332J and \377 bad\n' >&2
exit 3
SH
chmod 755 "$T/evil.sh"
echo "evil-1 ansible_host=127.0.0.1 ansible_port=$SSHD_PORT custom_command=$T/evil.sh custom_interval=1s" \
	> "$FLEETOP_HOME/fleet.conf"

run() { # NAME fleetop-args...: stdout+stderr in $T/NAME.out, exit in $T/NAME.rc
	local name=$1
	shift
	set +e
	"$FLEETOP" "$@" > "$T/$name.out" 2>&1
	echo $? > "$T/$name.rc"
	set -e
}
# No ESC, no C1 (raw or UTF-8 encoded), no C0 but tab and newline.
clean() {
	python3 - "$1" <<'PY'
import re, sys
b = open(sys.argv[1], "rb").read()
t = b.decode("utf-8", "replace")
bad = [c for c in t if (ord(c) < 0x20 and c not in "\t\n") or 0x7f <= ord(c) <= 0x9f]
if bad or b"\x1b" in b:
    sys.exit("control characters: %r" % sorted(set(bad))[:8])
PY
}
run collect collect --duration 4s
check "collect: exit 0 (got $(cat "$T/collect.rc"))" test "$(cat "$T/collect.rc")" = 0
check "collect's log shows the collector's error, cleaned" grep -q "stderr says" "$T/collect.out"
check "collect's log has no control characters" clean "$T/collect.out"
run status status
run status-json status --json
run check check
run events events
for n in status status-json check events; do
	rc=$(cat "$T/$n.rc")
	check "$n: exit 0 or 1, no crash (got $rc)" test "$rc" -le 1
	check "$n: no ESC byte or other control character in its output" clean "$T/$n.out"
done
check "status --json still tells the collector's error" grep -q "stderr says" "$T/status-json.out"
check "events still lists the event's text" grep -q "motd.*link.*red" "$T/events.out"
finish
