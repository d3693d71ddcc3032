#!/usr/bin/env bash
# fleetop hosts shows no secret an inventory holds: a variable named like
# a password, token, secret or key is "<redacted>" in --json and in the
# table, and so in whatever output a script keeps. Paths to secrets
# (*_file) and every other variable are shown as they are.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
export FLEETOP_HOME=$T/home
mkdir -p "$FLEETOP_HOME"
PW=pw$RANDOM$RANDOM BECOME=bc$RANDOM$RANDOM RCON=rc$RANDOM$RANDOM TOK=tk$RANDOM$RANDOM
KEY=ky$RANDOM$RANDOM
cat > "$FLEETOP_HOME/fleet.conf" <<CONF
[eu]
mc-1 ansible_host=127.0.0.1 ansible_user=ops ansible_password=$PW ansible_become_password=$BECOME rcon_password=$RCON game=minecraft
mc-2 ansible_host=127.0.0.1 API_TOKEN=$TOK stripe_api_key=$KEY ansible_ssh_private_key_file=/keys/id_ed25519 rcon_password_file=/keys/rcon.pw

[eu:vars]
vault_secret=$TOK-group
CONF
set +e
"$FLEETOP" hosts --json > "$T/hosts.json" 2> "$T/hosts.err"
rc=$?
"$FLEETOP" hosts > "$T/hosts.txt" 2>> "$T/hosts.err"
rc2=$?
set -e
check "hosts --json: exit 0 (got $rc)" test "$rc" = 0
check "hosts: exit 0 (got $rc2)" test "$rc2" = 0
for s in "$PW" "$BECOME" "$RCON" "$TOK" "$KEY"; do
	check "no secret value ${s:0:2}… in hosts --json, hosts or stderr" \
		bash -c '! grep -q -- "$1" "$2"/hosts.json "$2"/hosts.txt "$2"/hosts.err' _ "$s" "$T"
done
check "secret variables are <redacted>, others shown as they are" python3 - "$T/hosts.json" <<'PY'
import json, sys
h = {x["name"]: x["vars"] for x in json.load(open(sys.argv[1]))["hosts"]}
R = "<redacted>"
a, b = h["mc-1"], h["mc-2"]
assert a["ansible_password"] == R and a["ansible_become_password"] == R, a
assert a["rcon_password"] == R and a["vault_secret"] == R, a
assert a["ansible_user"] == "ops" and a["game"] == "minecraft", a
assert b["API_TOKEN"] == R and b["stripe_api_key"] == R, b
assert b["ansible_ssh_private_key_file"] == "/keys/id_ed25519", b
assert b["rcon_password_file"] == "/keys/rcon.pw", b
PY
finish
