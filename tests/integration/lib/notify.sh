# Shared by the notify_*.sh tests (source after common.sh): the HTTP
# recorder and SMTP server on loopback, and questions about what they saw.
LIB=$SRC/tests/integration/lib
export FLEETOP_HOME=$T/home
mkdir -p "$FLEETOP_HOME"
chmod 700 "$FLEETOP_HOME"
DB=$FLEETOP_HOME/fleetop.db
# Debian's python3 (aiosmtpd is a Debian package); a version manager's shim
# in PATH can cost a second a start, which timing checks cannot afford.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# free_port without the python3 of PATH (see PY).
port_free() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_recorder NAME [PORT]: an http_recorder.py logging to $T/NAME.log with
# modes from $T/NAME.mode; sets NAME_PORT and NAME_PID.
start_recorder() {
	local name=$1 port=${2:-0}
	: > "$T/$name.ready"
	"$PY" "$LIB/http_recorder.py" --port "$port" --log "$T/$name.log" \
		--mode "$T/$name.mode" > "$T/$name.ready" 2> "$T/$name.err" &
	PIDS+=($!)
	printf -v "${name}_PID" %s "$!"
	for _ in $(seq 200); do
		if grep -q '^ready' "$T/$name.ready"; then
			printf -v "${name}_PORT" %s "$(awk '{print $2}' "$T/$name.ready")"
			return 0
		fi
		sleep 0.05
	done
	echo "recorder $name did not start: $(cat "$T/$name.err")" >&2
	return 1
}

set_mode() { # NAME MODE-LINES...
	local name=$1; shift
	printf '%s\n' "$@" > "$T/$name.mode.new"
	mv "$T/$name.mode.new" "$T/$name.mode"
}

# start_smtp PORT: smtp_server.py with a fresh self-signed certificate
# ($T/smtp-cert.pem), login fleetop / the password in $T/smtp.pw.
start_smtp() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$T/smtp-key.pem" \
		-out "$T/smtp-cert.pem" 2> /dev/null
	/usr/bin/python3 "$LIB/smtp_server.py" --port "$1" --cert "$T/smtp-cert.pem" \
		--key "$T/smtp-key.pem" --log "$T/smtp.log" --user fleetop \
		--password-file "$T/smtp.pw" --auth-required > "$T/smtp.ready" 2> "$T/smtp.err" &
	PIDS+=($!)
	for _ in $(seq 200); do
		grep -q '^ready' "$T/smtp.ready" && return 0
		sleep 0.05
	done
	echo "smtp server did not start: $(cat "$T/smtp.err")" >&2
	return 1
}

# start_smtp_plain PORT: an SMTP server without STARTTLS (log $T/smtp-plain.log).
start_smtp_plain() {
	/usr/bin/python3 "$LIB/smtp_server.py" --port "$1" --no-tls --log "$T/smtp-plain.log" \
		--user fleetop --password-file "$T/smtp.pw" > "$T/smtp-plain.ready" 2> "$T/smtp-plain.err" &
	PIDS+=($!)
	for _ in $(seq 200); do
		grep -q '^ready' "$T/smtp-plain.ready" && return 0
		sleep 0.05
	done
	echo "plain smtp server did not start: $(cat "$T/smtp-plain.err")" >&2
	return 1
}

# Requests the recorder has read ("start" lines) in LOG.
count_requests() { # LOG
	[ -f "$1" ] || { echo 0; return; }
	grep -c '"event": "start"' "$1" || true
}

wait_requests() { # LOG N [SECONDS]
	local end=$(( $(date +%s) + ${3:-10} ))
	while [ "$(count_requests "$1")" -lt "$2" ]; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# A random token (hex) of N characters.
token() { openssl rand -hex "$(( ($1 + 1) / 2 ))" | cut -c1-"$1"; }

now() { date +%s.%N; }

# The outbox as sqlite sees it: "key|receiver|state|tries" lines.
outbox_rows() { sqlite3 "$DB" "SELECT key, receiver, state, tries FROM outbox ORDER BY id"; }

# failed_within RC SECONDS LIMIT: the command failed (RC != 0) in under LIMIT s.
failed_within() { [ "$1" != 0 ] && awk -v a="$2" -v b="$3" 'BEGIN { exit !(a < b) }'; }

# exits_0 WHAT RC ERRFILE: ok when RC is 0, else fail with the command's
# first lines of stderr.
exits_0() {
	if [ "$2" = 0 ]; then ok "$1"; else fail "$1: exit $2: $(head -3 "$3" | tr '\n' ' ')"; fi
}
