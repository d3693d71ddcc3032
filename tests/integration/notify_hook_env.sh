#!/usr/bin/env bash
# A command receiver runs with a small environment of its own: not
# fleetop's, which holds every secret_env variable of notify.conf and
# SSH_AUTH_SOCK (the key to every host). The hook writes the environment
# it got to a file; no secret may be in it, and what fleetop-notify(5)
# promises must be. Also: a notify.conf others may write is refused.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/notify.sh"

SMTP_PW=smtp$(token 16)
PD_KEY=pd$(token 24)
export FLEETOP_TEST_SMTP_PW=$SMTP_PW FLEETOP_TEST_PD_KEY=$PD_KEY
export SSH_AUTH_SOCK=$T/agent.sock SSH_AGENT_PID=4242
export SOME_OTHER_VAR=$(token 12)
export LANG=C.UTF-8 TZ=Europe/Berlin
unset LC_ALL

cat > "$T/hook.sh" <<'SH'
#!/bin/sh
env > "$1.tmp" && mv "$1.tmp" "$1"
SH
chmod 755 "$T/hook.sh"

cat > "$FLEETOP_HOME/notify.conf" <<CONF
[receiver pager]
type = pagerduty
url = http://127.0.0.1:9/v2/enqueue
secret_env = FLEETOP_TEST_PD_KEY

[receiver mail]
type = email
url = smtp://127.0.0.1:9
user = fleetop
secret_env = FLEETOP_TEST_SMTP_PW
from = fleetop@ops.example.com
to = oncall@example.com

[receiver hook]
type = command
command = $T/hook.sh $T/hook.env
CONF
chmod 600 "$FLEETOP_HOME/notify.conf"

set +e
"$FLEETOP" notify test hook -m "env check" --timeout 10s > "$T/out" 2> "$T/err"
rc=$?
set -e
exits_0 "notify test hook: exit 0" "$rc" "$T/err"
check "the hook wrote its environment" test -s "$T/hook.env"
env_has() { grep -qx -- "$1" "$T/hook.env"; }
env_lacks() { ! grep -q -- "$1" "$T/hook.env"; }
check "no secret_env value reaches the hook (smtp password)" env_lacks "$SMTP_PW"
check "no secret_env value reaches the hook (pagerduty key)" env_lacks "$PD_KEY"
check "no FLEETOP_TEST_ variable reaches the hook" env_lacks "^FLEETOP_TEST_"
check "SSH_AUTH_SOCK does not reach the hook" env_lacks "^SSH_AUTH_SOCK="
check "SSH_AGENT_PID does not reach the hook" env_lacks "^SSH_AGENT_PID="
check "an unrelated variable does not reach the hook" env_lacks "$SOME_OTHER_VAR"
check "PATH is /usr/bin:/bin" env_has "PATH=/usr/bin:/bin"
check "HOME is passed" env_has "HOME=$HOME"
check "LANG is passed" env_has "LANG=C.UTF-8"
check "TZ is passed" env_has "TZ=Europe/Berlin"
check "FLEETOP_HOME is passed (the hook's fleetop reaches the same store)" \
	env_has "FLEETOP_HOME=$FLEETOP_HOME"
check "LC_ALL is not made up when unset" env_lacks "^LC_ALL="
# Whatever else is there, /bin/sh added itself (PWD and the like).
extra=$(cut -d= -f1 "$T/hook.env" | grep -vxE 'PATH|HOME|USER|LOGNAME|LANG|LC_ALL|TZ|FLEETOP_HOME|XDG_CONFIG_HOME|XDG_DATA_HOME|PWD|OLDPWD|SHLVL|_' || true)
check "nothing else in the hook's environment (got: ${extra//$'\n'/ })" test -z "$extra"

# A notify.conf the group may write is refused, naming the file and the fix.
chmod 660 "$FLEETOP_HOME/notify.conf"
set +e
"$FLEETOP" notify receivers > "$T/out2" 2> "$T/err2"
rc=$?
set -e
check "group-writable notify.conf: exit 2 (got $rc)" test "$rc" = 2
check "group-writable notify.conf: the message names the file and chmod go-w" \
	grep -q "$FLEETOP_HOME/notify.conf is writable by its group (mode 0660).*chmod go-w" "$T/err2"
chmod 600 "$FLEETOP_HOME/notify.conf"
finish
