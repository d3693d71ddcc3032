#!/usr/bin/env bash
# Connection details come from an ssh_config exactly as `ssh HOST` would use
# them: HostName, Port, User, IdentityFile, UserKnownHostsFile, and a proxy
# (ProxyCommand; libssh runs ProxyJump through the same path). fleetop.conf
# names only the ssh_config here.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
start_sshd
me=$(id -un)
cat > "$T/ssh_config.jump" <<CONF
Host jumphost
  HostName 127.0.0.1
  Port $SSHD_PORT
  User $me
  IdentityFile $T/id_ed25519
  UserKnownHostsFile $T/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
CONF
cat > "$T/ssh_config" <<CONF
Host alias-box
  HostName 127.0.0.1
  Port $SSHD_PORT
  User $me

Host via-proxy
  HostName 127.0.0.1
  Port $SSHD_PORT
  ProxyCommand ssh -F $T/ssh_config.jump -W %h:%p jumphost

Host wrong-user
  HostName 127.0.0.1
  Port $SSHD_PORT
  User daemon

Host *
  IdentityFile $T/id_ed25519
  UserKnownHostsFile $T/known_hosts
CONF
cat > "$FLEETOP_HOME/fleetop.conf" <<CONF
[ssh]
config = $T/ssh_config
connect_timeout = 5s
CONF
cat > "$FLEETOP_HOME/fleet.conf" <<INV
alias-box
via-proxy
wrong-user
INV
set +e
"$FLEETOP" check --json > "$T/check.json"
rc=$?
set -e
cat "$T/check.json"
check "exit 1 (one host has the wrong user)" [ "$rc" = 1 ]
check "alias-box up through HostName/Port/User/IdentityFile/UserKnownHostsFile" \
	[ "$(json_field "$T/check.json" alias-box state)" = up ]
check "via-proxy up through ProxyCommand" [ "$(json_field "$T/check.json" via-proxy state)" = up ]
check "wrong-user refused as daemon" grep -q "daemon" <<<"$(json_field "$T/check.json" wrong-user error)"
expect_rc 0 "status via-proxy" "$FLEETOP" status via-proxy --json > "$T/status.json"
check "metrics arrive through the proxy" [ -n "$(json_metric "$T/status.json" via-proxy cpu.util)" ]
finish
