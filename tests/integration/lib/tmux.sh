# shellcheck shell=bash
# Source after common.sh: the real binary driven in tmux. A tmux server of
# the test's own (TMUX_TMPDIR in $T), killed on exit; the session is $sess.
# screen prints what it shows; wait_for TEXT / wait_for_re REGEXP wait up
# to [SECONDS] (default 15) for it and print the screen when it never
# comes; keys sends keys and lets the console draw.
command -v tmux >/dev/null || { fail "tmux is not installed"; finish; exit 1; }
export LC_ALL=C.UTF-8
sess=fl$$
TMUX_TMPDIR=$T
export TMUX_TMPDIR
trap 'tmux kill-server 2>/dev/null || true; cleanup' EXIT
screen() { tmux capture-pane -p -t "$sess"; }
wait_screen() { # grep-flag pattern seconds
	local end=$(( $(date +%s) + $3 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		screen | grep -q"$1" -- "$2" && return 0
		sleep 0.2
	done
	echo "--- screen while waiting for '$2':"; screen
	return 1
}
wait_for() { wait_screen F "$1" "${2:-15}"; }    # text [seconds]
wait_for_re() { wait_screen E "$1" "${2:-15}"; } # extended regexp [seconds]
keys() { tmux send-keys -t "$sess" "$@"; sleep 0.4; }
