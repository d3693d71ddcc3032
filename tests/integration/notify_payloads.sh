#!/usr/bin/env bash
# fleetop notify test, once for each receiver type, against real servers on
# loopback: an HTTP recorder standing in for Discord, Slack, Teams,
# PagerDuty, an Alertmanager webhook receiver, Twilio, GitHub and Jira; an
# SMTP server that takes mail only after STARTTLS; a command hook. Each
# request is checked against the service's documented shape
# (lib/check_payloads.py), and no secret shows up anywhere but where the
# service expects it: not in fleetop's output, --json, the database or logs.
# ctest: smoke
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/notify.sh"

start_recorder rec
P=$rec_PORT
SMTP_PORT=$(port_free)
PLAIN_PORT=$(port_free)
SEC=$T/secrets
mkdir -m 700 "$SEC"

# Secrets, fresh each run, each from a different place fleetop reads them.
DISCORD_TOK=dsc$(token 40)
SLACK_TOK=slk$(token 24)
TEAMS_TOK=tms$(token 30)
HOOK_TOK=whk$(token 24)
PD_KEY=$(token 32)
SMTP_PW=smtp$(token 16)
TWILIO_SID=AC$(token 32)
TWILIO_TOK=twl$(token 29)
GH_TOK=ghp_$(token 36)
JIRA_TOK=jra$(token 21)
SECRETS=("$DISCORD_TOK" "$SLACK_TOK" "$TEAMS_TOK" "$HOOK_TOK" "$PD_KEY" "$SMTP_PW"
	 "$TWILIO_TOK" "$GH_TOK" "$JIRA_TOK")
SECRET_ARGS=()
for s in "${SECRETS[@]}"; do SECRET_ARGS+=(--secret "$s"); done

(umask 077
 echo "http://127.0.0.1:$P/discord/api/webhooks/4242/$DISCORD_TOK" > "$SEC/discord.url"
 echo "http://127.0.0.1:$P/teams/webhookb2/$TEAMS_TOK" > "$SEC/teams.url"
 echo "$PD_KEY" > "$SEC/pagerduty.key"
 echo "$SMTP_PW" > "$T/smtp.pw"
 echo "$TWILIO_TOK" > "$SEC/twilio.token"
 printf '%s\n' "$GH_TOK" > "$SEC/github.token")
export FLEETOP_TEST_SLACK_URL="http://127.0.0.1:$P/slack/services/T000/B000/$SLACK_TOK"
export FLEETOP_TEST_SMTP_PW=$SMTP_PW
export FLEETOP_TEST_JIRA_TOKEN=$JIRA_TOK

# The command hook writes what it gets on stdin (and its arguments) to a file.
cat > "$T/hook.sh" <<'SH'
#!/bin/sh
cat > "$1.tmp" && echo "args: $*" > "$1.args" && mv "$1.tmp" "$1"
SH
chmod 755 "$T/hook.sh"

cat > "$FLEETOP_HOME/notify.conf" <<CONF
# One receiver of each type, each pointed at loopback.
[receiver discord-ops]
type = discord
url_file = $SEC/discord.url

[receiver slack-ops]
type = slack
url_env = FLEETOP_TEST_SLACK_URL

[receiver teams-ops]
type = teams
url_file = $SEC/teams.url

[receiver pager]
type = pagerduty
url = http://127.0.0.1:$P/pagerduty/v2/enqueue
secret_file = $SEC/pagerduty.key

[receiver am-hook]
type = webhook
url = http://127.0.0.1:$P/webhook/alerts/$HOOK_TOK

[receiver mail]
type = email
url = smtp://127.0.0.1:$SMTP_PORT
starttls = required
ca_file = $T/smtp-cert.pem
user = fleetop
secret_env = FLEETOP_TEST_SMTP_PW
from = fleetop@ops.example.com
to = oncall@example.com, boss@example.com

# Two that must not deliver: a server without STARTTLS, and ours without
# the CA that signed its certificate.
[receiver mail-plain]
type = email
url = smtp://127.0.0.1:$PLAIN_PORT
user = fleetop
secret_env = FLEETOP_TEST_SMTP_PW
from = fleetop@ops.example.com
to = oncall@example.com

[receiver mail-noca]
type = email
url = smtp://127.0.0.1:$SMTP_PORT
starttls = required
user = fleetop
secret_env = FLEETOP_TEST_SMTP_PW
from = fleetop@ops.example.com
to = oncall@example.com

[receiver phone]
type = sms
url = http://127.0.0.1:$P/sms/2010-04-01/Accounts/$TWILIO_SID/Messages.json
user = $TWILIO_SID
secret_file = $SEC/twilio.token
from = +15550000000
to = +15551111111

[receiver hook]
type = command
command = $T/hook.sh $T/hook.out

[receiver tickets-gh]
type = github
url = http://127.0.0.1:$P/github
secret_file = $SEC/github.token
project = fleetop-test/ops

[receiver tickets-jira]
type = jira
url = http://127.0.0.1:$P/jira
user = bot@example.com
secret_env = FLEETOP_TEST_JIRA_TOKEN
project = OPS
issue_type = Incident
CONF
chmod 600 "$FLEETOP_HOME/notify.conf"
start_smtp "$SMTP_PORT"
start_smtp_plain "$PLAIN_PORT"

RECEIVERS=(discord-ops slack-ops teams-ops pager am-hook mail phone hook tickets-gh tickets-jira)
MSG="fleetop payload check $(token 6) <&> \"quoted\" é"

# notify receivers lists all ten and shows no secret.
set +e
"$FLEETOP" notify receivers > "$T/out.receivers" 2> "$T/err.receivers"
rc=$?
set -e
exits_0 "notify receivers: exit 0" "$rc" "$T/err.receivers"
for r in "${RECEIVERS[@]}"; do
	check "notify receivers lists $r" grep -q -- "$r" "$T/out.receivers"
done

# One test notification a receiver; each must be confirmed (exit 0).
declare -A LAT
for r in "${RECEIVERS[@]}"; do
	before=$(count_requests "$T/rec.log")
	t0=$(now)
	set +e
	"$FLEETOP" notify test "$r" -m "$MSG" --timeout 10s > "$T/out.$r" 2> "$T/err.$r"
	rc=$?
	set -e
	t1=$(now)
	exits_0 "notify test $r: exit 0" "$rc" "$T/err.$r"
	# Latency: start of the command to the request read by the server.
	case $r in
	mail) arrived=$("$PY" -c 'import json,sys; l=[json.loads(x) for x in open(sys.argv[1]) if "data" in x]; print(l[-1]["t"] if l else "")' "$T/smtp.log" 2>/dev/null || true) ;;
	hook) arrived=$(stat -c %.9Y "$T/hook.out" 2>/dev/null || true) ;;
	*) arrived=$("$PY" -c '
import json, sys
l = [json.loads(x) for x in open(sys.argv[1])]
s = [e for e in l if e["event"] == "start"][int(sys.argv[2]):]
print(s[0]["t"] if s else "")' "$T/rec.log" "$before") ;;
	esac
	if [ -n "$arrived" ]; then
		LAT[$r]=$("$PY" -c "print('%.0f ms to arrive, %.0f ms in all' % (($arrived - $t0) * 1000, ($t1 - $t0) * 1000))")
	else
		LAT[$r]="never arrived"
	fi
done

# Every recorded request in its service's documented shape, secrets only
# where the service takes them, the message text in each.
check "recorded requests match each service's documented shape" \
	"$PY" "$LIB/check_payloads.py" --log "$T/rec.log" --smtp "$T/smtp.log" \
	--text "$MSG" --expect discord=1 --expect slack=1 --expect teams=1 \
	--expect pagerduty=1 --expect webhook=1 --expect sms=1 --expect github=1 \
	--expect jira=1 --expect email=1 \
	--user "sms=$TWILIO_SID" --user jira=bot@example.com \
	--project github=fleetop-test/ops --project jira=OPS --issue-type Incident \
	--mail-from fleetop@ops.example.com --mail-to oncall@example.com,boss@example.com \
	"${SECRET_ARGS[@]}"

# The credentials each service takes, exactly.
check "github: Authorization: Bearer <token>" "$PY" - "$T/rec.log" "$GH_TOK" <<'PY'
import json, sys
r = [e for e in map(json.loads, open(sys.argv[1])) if e["event"] == "start" and e["service"] == "github"][0]
h = {k.lower(): v for k, v in r["headers"]}
assert h.get("authorization") == "Bearer " + sys.argv[2], h.get("authorization", "")[:12]
PY
check "pagerduty: routing_key is the integration key" "$PY" - "$T/rec.log" "$PD_KEY" <<'PY'
import json, sys
r = [e for e in map(json.loads, open(sys.argv[1])) if e["event"] == "start" and e["service"] == "pagerduty"][0]
assert json.loads(r["body"])["routing_key"] == sys.argv[2]
PY
check "twilio and jira: basic auth with the account and the token" \
	"$PY" - "$T/rec.log" "$TWILIO_SID:$TWILIO_TOK" "bot@example.com:$JIRA_TOK" <<'PY'
import base64, json, sys
rs = [e for e in map(json.loads, open(sys.argv[1])) if e["event"] == "start"]
for svc, want in (("sms", sys.argv[2]), ("jira", sys.argv[3])):
    r = [e for e in rs if e["service"] == svc][0]
    h = {k.lower(): v for k, v in r["headers"]}
    scheme, _, cred = h.get("authorization", "").partition(" ")
    assert scheme == "Basic" and base64.b64decode(cred).decode() == want, svc
PY
check "idempotency: every request's key is an outbox key" "$PY" - "$T/rec.log" "$DB" <<'PY'
import json, sqlite3, sys
keys = {k for (k,) in sqlite3.connect(sys.argv[2]).execute("SELECT key FROM outbox")}
rs = [e for e in map(json.loads, open(sys.argv[1])) if e["event"] == "start"]
for r in rs:
    h = {k.lower(): v for k, v in r["headers"]}
    assert h.get("idempotency-key") in keys, (r["service"], h.get("idempotency-key"), keys)
PY

# Email: over TLS, logged in, the right envelope and headers.
MAIL_KEY=$(sqlite3 "$DB" "SELECT key FROM outbox WHERE receiver = 'mail'")
check "email: one message, over TLS, logged in as fleetop" "$PY" - "$T/smtp.log" "$MAIL_KEY" "$T/rec.log" <<'PY'
import email, email.policy, json, sys
ms = [json.loads(x) for x in open(sys.argv[1])]
ms = [m for m in ms if "data" in m]
assert len(ms) == 1, len(ms)
m = ms[0]
assert m["tls"] and m["auth_login"] == "fleetop", (m["tls"], m["auth_login"])
assert m["mail_from"] == "fleetop@ops.example.com", m["mail_from"]
assert sorted(m["rcpt_tos"]) == ["boss@example.com", "oncall@example.com"], m["rcpt_tos"]
msg = email.message_from_string(m["data"], policy=email.policy.default)
assert "fleetop@ops.example.com" in msg["From"], msg["From"]
assert "oncall@example.com" in msg["To"] and "boss@example.com" in msg["To"], msg["To"]
# The subject is the notification's title line, as the GitHub issue's title.
gh = [json.loads(x) for x in open(sys.argv[3])]
gh = [json.loads(e["body"])["title"] for e in gh if e["event"] == "start" and e["service"] == "github"]
assert msg["Subject"] and msg["Subject"] == gh[0], (msg["Subject"], gh)
# The idempotency key: a resent mail has the same Message-ID.
assert sys.argv[2] and sys.argv[2] in msg["Message-ID"], (msg["Message-ID"], sys.argv[2])
print("  subject:", msg["Subject"], "| tls:", m["tls_version"])
PY

# The command hook got the notification on stdin.
check "command hook: ran and got the message on stdin" grep -qF -- "fleetop payload check" "$T/hook.out"
if "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/hook.out" 2>/dev/null; then
	ok "command hook: stdin is JSON"
else
	fail "command hook: stdin is not JSON: $(head -c 200 "$T/hook.out")"
fi

# The outbox: ten rows, all sent, each once.
"$FLEETOP" notify outbox --json > "$T/outbox.json" 2> "$T/err.outbox"
check "notify outbox --json: ten rows, all sent, one try each" "$PY" - "$T/outbox.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = d if isinstance(d, list) else next(v for v in d.values() if isinstance(v, list))
assert len(rows) == 10, len(rows)
for r in rows:
    assert r["state"] == "sent", r
    assert r["tries"] == 1, r
    assert r.get("last_error") in (None, ""), r
PY
"$FLEETOP" notify outbox > "$T/out.outbox" 2>> "$T/err.outbox"
check "notify outbox: a row per receiver" test "$(grep -c sent "$T/out.outbox")" -ge 10

# Nothing is sent again: a send run with nothing pending sends nothing.
n_before=$(count_requests "$T/rec.log")
expect_rc 0 "notify send with nothing pending" "$FLEETOP" notify send --timeout 2s > "$T/out.send" 2> "$T/err.send"
check "notify send with nothing pending: no request" [ "$(count_requests "$T/rec.log")" = "$n_before" ]

# PagerDuty's dedup_key is stable per alert group: a second notification of
# the same group (another test) carries the same one under a new key.
expect_rc 0 "notify test pager (a second page)" \
	"$FLEETOP" notify test pager -m "second page" --timeout 10s > "$T/out.pager2" 2> "$T/err.pager2"
check "pagerduty: same group, same dedup_key; a new Idempotency-Key" "$PY" - "$T/rec.log" <<'PY'
import json, sys
rs = [e for e in map(json.loads, open(sys.argv[1])) if e["event"] == "start" and e["service"] == "pagerduty"]
assert len(rs) == 2, len(rs)
dk = [json.loads(r["body"])["dedup_key"] for r in rs]
ik = [{k.lower(): v for k, v in r["headers"]}["idempotency-key"] for r in rs]
assert dk[0] == dk[1], dk
assert ik[0] != ik[1], ik
PY

# Email never falls back to the clear (starttls defaults to required), nor
# to a certificate it cannot verify; the password never leaves.
n_auth=$(grep -c '"event": "auth"' "$T/smtp.log" || true)
for r in mail-plain mail-noca; do
	set +e
	"$FLEETOP" notify test "$r" -m "must not arrive" --timeout 2s > "$T/out.$r" 2> "$T/err.$r"
	rc=$?
	set -e
	check "email $r: not confirmed, exit 1 (exit $rc: $(grep -v '^ *$' "$T/err.$r" | tail -1 | cut -c1-150))" [ "$rc" = 1 ]
done
check "email without STARTTLS: nothing reached that server, not even AUTH" \
	[ ! -s "$T/smtp-plain.log" ]
check "email with an unverified certificate: no AUTH" \
	[ "$(grep -c '"event": "auth"' "$T/smtp.log" || true)" = "$n_auth" ]
check "email with an unverified certificate: no message" \
	[ "$(grep -c '"data"' "$T/smtp.log" || true)" = 1 ]

# No secret anywhere fleetop writes: its output, --json, the database
# (dumped and raw, with WAL), any log in its home.
sqlite3 "$DB" .dump > "$T/db.dump"
expect_rc 0 "notify receivers --check" "$FLEETOP" notify receivers --check > "$T/out.check" 2> "$T/err.check"
check "notify receivers --check: ok, 12 receivers" grep -q "notify.conf: ok: 12 receivers" "$T/out.check"
expect_rc 0 "notify receivers --json" "$FLEETOP" notify receivers --json > "$T/out.receivers-json" 2> "$T/err.receivers-json"
leaks=$(for s in "${SECRETS[@]}"; do
	grep -laF -- "$s" "$T"/out.* "$T"/err.* "$T/outbox.json" "$T/db.dump" \
		$(find "$FLEETOP_HOME" -type f ! -name notify.conf) 2>/dev/null || true
done | sort -u)
check "no secret in output, --json, the database or logs${leaks:+: $leaks}" [ -z "$leaks" ]

# ---- secrets refused or missing: clear one-line errors ----
bad_home() { # NAME CONF: a home of its own with one receiver
	mkdir -p "$T/$1"
	chmod 700 "$T/$1"
	printf '%s\n' "$2" > "$T/$1/notify.conf"
	chmod 600 "$T/$1/notify.conf"
}
expect_refused() { # what, home, text...: exit 2, one line on stderr holding each text
	local what=$1 home=$2; shift 2
	set +e
	FLEETOP_HOME=$T/$home "$FLEETOP" notify test r -m x > "$T/out.$home" 2> "$T/err.$home"
	local rc=$?
	set -e
	local okay=1
	[ "$rc" = 2 ] || okay=0
	[ "$(grep -c . "$T/err.$home")" = 1 ] || okay=0 # one line
	for t in "$@"; do grep -qF -- "$t" "$T/err.$home" || okay=0; done
	if [ "$okay" = 1 ]; then ok "$what"; else fail "$what (exit $rc: $(head -3 "$T/err.$home"))"; fi
}
(umask 022; echo "$GH_TOK" > "$SEC/open.token")
chmod 644 "$SEC/open.token"
bad_home bad-mode "[receiver r]
type = github
project = o/r
url = http://127.0.0.1:$P/github
secret_file = $SEC/open.token"
expect_refused "a secret file with mode 0644 is refused, naming the file" bad-mode \
	"bad-mode/notify.conf:5:" "$SEC/open.token" "chmod 600"
check "  ... and its content is not shown" bash -c "! grep -qF -- '$GH_TOK' '$T/err.bad-mode'"

bad_home bad-env "[receiver r]
type = slack
url_env = FLEETOP_TEST_NOT_SET"
unset FLEETOP_TEST_NOT_SET
expect_refused "a missing environment variable is named" bad-env \
	"bad-env/notify.conf:3:" FLEETOP_TEST_NOT_SET

bad_home bad-inline "[receiver r]
type = pagerduty
secret = $PD_KEY"
chmod 644 "$T/bad-inline/notify.conf"
expect_refused "an inline secret in a notify.conf others can read is refused" bad-inline \
	"bad-inline/notify.conf:3:" "chmod 600"
check "  ... and the secret is not shown" bash -c "! grep -qF -- '$PD_KEY' '$T/err.bad-inline'"

set +e
"$FLEETOP" notify test no-such-receiver -m x > /dev/null 2> "$T/err.unknown"
rc=$?
set -e
check "an unknown receiver: exit 2, named ($(head -1 "$T/err.unknown"))" \
	bash -c "[ $rc = 2 ] && grep -q no-such-receiver '$T/err.unknown'"

echo "time from 'notify test' start to the request read by the server:"
for r in "${RECEIVERS[@]}"; do echo "  $r: ${LAT[$r]}"; done
finish
