#!/usr/bin/env bash
# The integration tests' oracles are tested themselves: each one's
# self-test (check_payloads.py, http_recorder.py, smtp_server.py,
# help_man.py, and lib/oracle_selftest.py for recorder_log.py, hooks.py and
# what the others' own leave out) accepts good input and refuses
# bad. Then each oracle is broken on purpose in a copy of lib/ (one rule
# switched off) and its self-test must fail: a self-test that cannot fail
# would prove nothing. (hostile_game.py's self-test runs in
# hostile_fixture.sh.)
source "$(dirname "$0")/lib/common.sh"
LIB=$SRC/tests/integration/lib
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# selftest DIR ORACLE: runs ORACLE's self-test from DIR; its exit status.
selftest() {
	local dir=$1 oracle=$2 rc
	set +e
	case $oracle in
	oracle_selftest.py) "$PY" "$dir/$oracle" --lib "$dir" ;;
	*) "$PY" "$dir/$oracle" --self-test ;;
	esac > "$T/$oracle.out" 2>&1
	rc=$?
	set -e
	return $rc
}
for o in check_payloads.py http_recorder.py smtp_server.py help_man.py oracle_selftest.py; do
	if selftest "$LIB" "$o"; then
		ok "$o: self-test passes ($(tail -1 "$T/$o.out"))"
	else
		fail "$o: self-test: $(grep -m3 -e FAIL -e Error "$T/$o.out" | tr '\n' ' ')"
	fi
done

# mutant N FILE SED-EXPR SELFTEST WHAT: a copy of lib/ with FILE changed by
# SED-EXPR (which must change it) must make SELFTEST fail.
mutant() {
	local n=$1 file=$2 expr=$3 oracle=$4 what=$5 d=$T/mutant-$1
	cp -r "$LIB" "$d"
	sed -i "$expr" "$d/$file"
	if cmp -s "$LIB/$file" "$d/$file"; then
		fail "mutant $n: '$expr' did not change $file"
		return
	fi
	if selftest "$d" "$oracle"; then
		fail "mutant $n ($file: $what): $oracle's self-test still passes"
	else
		ok "mutant $n ($file: $what): $oracle's self-test fails"
	fi
}
mutant 1 check_payloads.py 's/elif len(content) > 2000:/elif len(content) > 20000:/' \
	check_payloads.py "Discord's 2000-character limit off"
mutant 2 check_payloads.py 's/if slack_unescaped(t):/if False:/' \
	oracle_selftest.py "Slack escaping not checked"
mutant 3 check_payloads.py 's/if not m.get("tls"):/if False:/' \
	oracle_selftest.py "email without TLS taken"
mutant 4 http_recorder.py 's/left = int(words\[1\]) - 1/left = int(words[1])/' \
	http_recorder.py "counted modes never used up"
mutant 5 smtp_server.py 's/require_starttls=True/require_starttls=False/' \
	oracle_selftest.py "mail taken without STARTTLS"
# (require_starttls alone also keeps AUTH from coming before STARTTLS)
mutant 6 smtp_server.py 's/require_starttls=True, auth_require_tls=True/require_starttls=False, auth_require_tls=False/' \
	oracle_selftest.py "a login taken without TLS"
mutant 7 recorder_log.py 's/key = h.get("idempotency-key")/key = None/' \
	oracle_selftest.py "the Idempotency-Key header ignored"
mutant 8 hooks.py '0,/return 2/s//continue/' \
	oracle_selftest.py "an unparsable request skipped"
mutant 9 help_man.py 's/(?<!\[\\w-\])//' \
	help_man.py "options found inside words (mc-eu-3)"
finish
