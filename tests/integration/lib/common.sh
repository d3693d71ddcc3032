# Shared by the integration tests: a temp dir, a real OpenSSH sshd on
# loopback with throwaway keys, a fleetop home that names them, and
# assertions. Everything started here is stopped on exit.
set -euo pipefail

FLEETOP=${FLEETOP_BIN:?FLEETOP_BIN must name the fleetop binary}
SRC=${FLEETOP_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
T=$(mktemp -d /tmp/fleetop-it.XXXXXX)
chmod 755 "$T"
PIDS=()
FAILS=0
PASSES=0

# Every fleetop (and simulator) a script starts writes its sanitizer
# reports (ASan, LSan at exit, UBSan) to $T/san/*.PID instead of stderr,
# which the scripts often discard, and exits with a status some checks take
# for a legitimate one (UBSan's 1 is "some hosts failed"). san_check fails
# the test on any report. The options append, so ctest's own stay in force.
SAN=$T/san
mkdir -p "$SAN"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$SAN/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:log_path=$SAN/ubsan"
SAN_SEEN=" "
san_check() { # fails the test for each sanitizer report not seen yet; prints it
	local f bad=0
	for f in "$SAN"/*; do
		[ -s "$f" ] || continue
		case $SAN_SEEN in *" $f "*) continue ;; esac
		SAN_SEEN+="$f "
		fail "sanitizer report $(basename "$f"):"
		sed -n 1,60p "$f" >&7
		bad=1
	done
	return $bad
}

# Background fleetop processes whose exit status the test asserts: started
# with `fleetop_bg VAR WHAT [EXPECTED] -- CMD...`, or registered with
# `watch_exit PID WHAT [EXPECTED]` after `CMD &`; `expect_exit PID` waits and
# checks. Those still running at the end get SIGTERM from cleanup, which
# checks their status too (collect and sim stop on SIGTERM with exit 0).
declare -A EXIT_WANT=() EXIT_WHAT=()
watch_exit() { # PID WHAT [EXPECTED=0]
	EXIT_WANT[$1]=${3:-0}
	EXIT_WHAT[$1]=$2
	PIDS+=("$1")
}
fleetop_bg() { # VAR WHAT [EXPECTED] -- CMD... (redirect inside CMD with bash -c if needed)
	local var=$1 what=$2 want=0
	shift 2
	if [ "$1" != -- ]; then want=$1; shift; fi
	shift
	"$@" &
	printf -v "$var" %s "$!"
	watch_exit "$!" "$what" "$want"
}
expect_exit() { # PID [EXPECTED]: waits for PID and checks its exit status
	local pid=$1 want=${2:-${EXIT_WANT[$1]:-0}} what=${EXIT_WHAT[$1]:-process $1} rc
	wait "$pid" && rc=0 || rc=$?
	unset "EXIT_WANT[$pid]" "EXIT_WHAT[$pid]"
	if [ "$rc" = "$want" ]; then ok "$what: exit $rc"; else fail "$what: exit $rc, expected $want"; fi
}
stop_expect() { # PID [SIGNAL=TERM]: signals PID, then expect_exit
	kill -"${2:-TERM}" "$1" 2>/dev/null || true
	expect_exit "$1"
}
# interrupt_within PID SECONDS WHAT: SIGINT, then checks that WHAT ended
# within SECONDS (SIGKILL if not) and exited 0. For a process that must not
# wait for work stuck elsewhere (a lookup, a hung command) to stop.
interrupt_within() {
	local pid=$1 secs=$2 what=$3 stopped=0 rc
	kill -INT "$pid"
	for _ in $(seq $((secs * 5))); do
		kill -0 "$pid" 2>/dev/null || { stopped=1; break; }
		sleep 0.2
	done
	check "$what stops within $secs s of SIGINT" [ "$stopped" = 1 ]
	[ "$stopped" = 1 ] || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" && rc=0 || rc=$?
	check "$what exits 0 on SIGINT (was $rc)" [ "$rc" = 0 ]
}
# expect_rc RC WHAT CMD...: runs CMD in the foreground and checks its exit
# status (redirections on the expect_rc line apply to CMD).
expect_rc() {
	local want=$1 what=$2 rc
	shift 2
	"$@" && rc=0 || rc=$?
	if [ "$rc" = "$want" ]; then ok "$what: exit $rc"; else fail "$what: exit $rc, expected $want"; fi
}

# wait_until SECONDS CMD...: polls CMD (every 0.2 s) until it succeeds or
# SECONDS pass; the positive check's deadline. (lib/tmux.sh's wait_for
# waits for screen text.)
wait_until() {
	local end
	end=$(($(date +%s%N) / 1000000 + ${1%.*} * 1000))
	shift
	while :; do
		"$@" && return 0
		[ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
		sleep 0.2
	done
}

cleanup() {
	local p want got bad=0 dog=
	if [ ${#EXIT_WANT[@]} -gt 0 ]; then
		kill "${!EXIT_WANT[@]}" 2>/dev/null || true
		# One that ignores SIGTERM gets SIGKILL after 30 s (and fails);
		# the watchdog holds none of the test's output open.
		(sleep 30; kill -KILL "${!EXIT_WANT[@]}" 2>/dev/null) > /dev/null 2>&1 7>&- &
		dog=$!
	fi
	for p in "${!EXIT_WANT[@]}"; do
		wait "$p" && got=0 || got=$?
		want=${EXIT_WANT[$p]}
		if [ "$got" != "$want" ]; then
			echo "FAIL: ${EXIT_WHAT[$p]} (stopped at the end): exit $got, expected $want" >&7
			bad=1
		fi
	done
	[ -z "$dog" ] || kill "$dog" 2>/dev/null || true
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	# Reports finish counted are seen; these come from processes that
	# ended just now.
	san_check || bad=1
	[ "$bad" = 0 ] || echo "FAIL: at the end (see above)" >&7
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
	# Only a failure changes the script's exit status.
	[ "$bad" = 0 ] || exit 1
}
trap cleanup EXIT

# The verdicts go to the test's output (fd 7) even from a command whose
# stdout is redirected, as in `expect_rc 0 WHAT CMD > FILE`.
exec 7>&1
ok() { PASSES=$((PASSES + 1)); echo "ok: $*" >&7; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL: $*" >&7; }
check() { # check "what" command...
	local what=$1; shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
finish() {
	san_check || true
	echo "$PASSES passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
}

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() { # host port
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "nothing listens on $1:$2" >&2
	return 1
}

# Starts sshd on 127.0.0.1 (and 127.0.0.2, 127.0.0.3) at $SSHD_PORT with a
# fresh host key; the client key $T/id_ed25519 may log in as the current user.
start_sshd() {
	mkdir -p /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$T/ssh_host_ed25519_key"
	ssh-keygen -q -t ed25519 -N '' -f "$T/id_ed25519"
	ssh-keygen -q -t ed25519 -N '' -f "$T/other_key"
	cp "$T/id_ed25519.pub" "$T/authorized_keys_$(id -un)"
	SSHD_PORT=$(free_port)
	cat > "$T/sshd_config" <<CONF
Port $SSHD_PORT
ListenAddress 127.0.0.1
ListenAddress 127.0.0.2
ListenAddress 127.0.0.3
HostKey $T/ssh_host_ed25519_key
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys_%u
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
LogLevel ERROR
MaxStartups 200
# bash sources ~/.bashrc for commands sshd starts unless SHLVL says it is
# nested: a heavy rc file (a version manager's init costs ~1 s of CPU)
# would otherwise run for every exec channel of every test.
SetEnv SHLVL=1
CONF
	/usr/sbin/sshd -D -e -f "$T/sshd_config" 2>"$T/sshd.log" &
	PIDS+=($!)
	wait_port 127.0.0.1 "$SSHD_PORT"
	# known_hosts for 127.0.0.1 only: .2 gets a wrong key, .3 none.
	echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$T/ssh_host_ed25519_key.pub")" > "$T/known_hosts"
	ssh-keygen -q -t ed25519 -N '' -f "$T/impostor_key"
	echo "[127.0.0.2]:$SSHD_PORT $(cut -d' ' -f1,2 "$T/impostor_key.pub")" >> "$T/known_hosts"
	export FLEETOP_HOME=$T/home
	mkdir -p "$FLEETOP_HOME"
	cat > "$FLEETOP_HOME/fleetop.conf" <<CONF
[ssh]
config = none
known_hosts = $T/known_hosts
identity = $T/id_ed25519
connect_timeout = ${CONNECT_TIMEOUT:-4s}
backoff_min = 1s
backoff_max = 5s

[collect]
interval = ${INTERVAL:-1s}
CONF
}

# age_at PID MS: how long process PID had run at time MS (s since the
# epoch, in ms), from its start in /proc/PID/stat and the boot time.
age_at() {
	python3 - "$1" "$2" <<'PY'
import os, sys
st = open("/proc/%s/stat" % sys.argv[1]).read()
start_ticks = int(st[st.rindex(")") + 2:].split()[19])
btime = next(int(l.split()[1]) for l in open("/proc/stat") if l.startswith("btime "))
print(int(sys.argv[2]) / 1000 - (btime + start_ticks / os.sysconf("SC_CLK_TCK")))
PY
}
# cpu_ticks PID: the process's utime + stime (clock ticks) and now (ms).
cpu_ticks() {
	python3 - "$1" <<'PY'
import sys, time
st = open("/proc/%s/stat" % sys.argv[1]).read()
f = st[st.rindex(")") + 2:].split()
print(int(f[11]) + int(f[12]), int(time.time() * 1000))
PY
}

# Reads one metric of one host from `status --json` output in a file.
json_metric() { # file host metric
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for h in d["hosts"]:
    if h["name"] == sys.argv[2]:
        v = h.get("metrics", {}).get(sys.argv[3])
        print("" if v is None else repr(v))
PY
}
json_field() { # file host field
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for h in d["hosts"]:
    if h["name"] == sys.argv[2]:
        v = h.get(sys.argv[3])
        print("" if v is None else v)
PY
}

# start_sim DIR [ARGS...]: starts `fleetop sim --dir DIR --port P ARGS` with
# P below the ephemeral range (32768+; the game ports sit up to 8100 above),
# so no client socket of another test can hold it, and tries another P when
# one is taken anyway (the simulator exits then). Sets SIM_PORT and SIM_PID
# (its exit status checked when it stops: 0), and SIM_T0, the time it was launched; its output is in
# DIR.log. SIM_GAME_OFFSET=N adds --game-port P+N. Fails the test after 5
# tries.
start_sim() {
	local dir=$1 attempt games
	shift
	for attempt in 1 2 3 4 5; do
		SIM_PORT=$((12000 + RANDOM % 8000))
		games=()
		[ -n "${SIM_GAME_OFFSET:-}" ] && games=(--game-port $((SIM_PORT + SIM_GAME_OFFSET)))
		SIM_T0=$(date +%s.%N)
		"$FLEETOP" sim --dir "$dir" --port "$SIM_PORT" "${games[@]}" "$@" > "$dir.log" 2>&1 &
		SIM_PID=$!
		for _ in $(seq 300); do
			grep -q "^fleetop sim" "$dir.log" 2>/dev/null && break
			kill -0 "$SIM_PID" 2>/dev/null || break
			sleep 0.05
		done
		if grep -q "hosts on" "$dir.log"; then
			watch_exit "$SIM_PID" "simulator $(basename "$dir")"
			return 0
		fi
		echo "start_sim: try $attempt on port $SIM_PORT: $(cat "$dir.log")" >&2
		kill "$SIM_PID" 2>/dev/null || true
		wait "$SIM_PID" 2>/dev/null || true
	done
	fail "the simulator did not start in 5 tries"
	finish
	exit 1
}
