# fleetop-probe 1: prints one framed snapshot of /proc per interval.
# Runs on a monitored host as `/bin/sh -s fleetop-probe INTERVAL MOUNT...`
# with this text on stdin; needs nothing but sh, awk, df and sleep (and
# uses vmstat when the host has it).
# A fork and exec is most of what the probe costs the host, so: one awk
# reads the /proc files (no fork per file), vmstat ticks from one process
# (else sleep, one fork per interval), and df runs on the first frame and
# then about every 10 s, since disk usage moves slowly. When fleetop goes
# away the next write fails (SIGPIPE, or EPIPE where that is ignored) and
# everything ends.
shift
iv=$1
shift
# Fixed output whatever the host's locale, and df skips loading one.
LC_ALL=C
export LC_ALL
# mawk reads a pipe in large blocks unless told to read it a line at a time.
case $(awk -W version 2>&1) in
*mawk*) awk_line="-W interactive" ;;
*) awk_line= ;;
esac
dfevery=$(awk -v iv="$iv" 'BEGIN { n = iv + 0 > 0 ? int(10 / iv) : 1; print n < 1 ? 1 : n }')
# One line per interval. vmstat takes whole seconds only; if it is missing
# or fails, sleep takes over. Its pid goes first so that the loop can end
# it: where SIGPIPE is ignored (sshd may leave it so) vmstat would
# otherwise write into a closed pipe forever.
ticks() {
	if [ "$iv" -eq "$iv" ] 2>/dev/null && [ "$iv" -gt 0 ] && command -v vmstat > /dev/null 2>&1; then
		vmstat -n "$iv" 2>/dev/null &
		echo "pid $!" || exit 0
		wait
		echo "pid -" || exit 0
	fi
	while :; do
		echo || exit 0
		sleep "$iv" || exit 0
	done
}
# Every write is checked for the same reason.
quit() {
	case $vp in
	'' | -) ;;
	*) kill "$vp" 2>/dev/null ;;
	esac
	exit 0
}
tick() { echo "tick $n $#"; }
n=0
vp=
# shellcheck disable=SC2086 # awk_line is empty or two words, unquoted on purpose
ticks | while read -r line; do
	case $line in
	pid\ *)
		vp=${line#pid }
		continue
		;;
	*[a-z]*) continue ;; # vmstat's header lines
	esac
	n=$((n + 1))
	if [ $(((n - 1) % dfevery)) -eq 0 ]; then
		for m in "$@"; do
			echo "dfarg $m" || quit
			df -Pk -- "$m" 2>/dev/null
		done
	fi
	tick /proc/[0-9]* || quit
done | awk $awk_line '
# A frame leaves in one write: with -W interactive mawk writes unbuffered,
# and every write can become a packet of its own on the SSH channel.
function dump(file, tag, pat, skip,    line, ok) {
	ok = 0
	while ((getline line < file) > 0) {
		ok = 1
		if (line ~ pat && (skip == "" || line !~ skip))
			out = out tag " " line "\n"
	}
	close(file)
	if (!ok)
		out = out "missing " file "\n"
}
$1 == "Filesystem" { next }
$1 == "dfarg" { df[ndf++] = $0; next }
$1 != "tick" { df[ndf++] = "df " $0; next }
{
	out = "frame 1 " $2 "\n"
	dump("/proc/uptime", "uptime", ".", "")
	dump("/proc/stat", "stat", "^(cpu |procs_running|procs_blocked)", "")
	dump("/proc/loadavg", "loadavg", ".", "")
	dump("/proc/meminfo", "meminfo", "^(MemTotal|MemFree|MemAvailable|Buffers|Cached|SwapTotal|SwapFree):", "")
	dump("/proc/net/dev", "netdev", ":", "")
	dump("/proc/diskstats", "diskstats", ".", " (loop|ram|zram)[0-9]+ ")
	for (i = 0; i < ndf; i++)
		out = out df[i] "\n"
	ndf = 0
	printf "%s", out "procs " ($3 == 1 ? 0 : $3) "\nend " $2 "\n"
	fflush()
}'
