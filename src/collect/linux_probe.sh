# fleetop-probe 1: prints one framed snapshot of /proc per interval.
# Runs on a monitored host as `/bin/sh -s fleetop-probe INTERVAL MOUNT...`
# with this text on stdin; needs nothing but sh, awk, df and sleep.
# One awk reads the /proc files (no fork per file); the sh loop forks only
# df (once per mount) and sleep per interval. When fleetop goes away the
# next write fails with SIGPIPE and both end.
shift
iv=$1
shift
# mawk reads a pipe in large blocks unless told to read it a line at a time.
case $(awk -W version 2>&1) in
*mawk*) awk_line="-W interactive" ;;
*) awk_line= ;;
esac
tick() { echo "tick $n $#"; }
n=0
while :; do
	n=$((n + 1))
	for m in "$@"; do
		echo "dfarg $m"
		df -Pk "$m" 2>/dev/null
	done
	tick /proc/[0-9]*
	sleep "$iv" || exit 0
done | awk $awk_line '
function dump(file, tag, pat, skip,    line, ok) {
	ok = 0
	while ((getline line < file) > 0) {
		ok = 1
		if (line ~ pat && (skip == "" || line !~ skip))
			print tag " " line
	}
	close(file)
	if (!ok)
		print "missing " file
}
$1 == "Filesystem" { next }
$1 == "dfarg" { df[ndf++] = $0; next }
$1 != "tick" { df[ndf++] = "df " $0; next }
{
	print "frame 1 " $2
	dump("/proc/uptime", "uptime", ".", "")
	dump("/proc/stat", "stat", "^(cpu |procs_running|procs_blocked)", "")
	dump("/proc/loadavg", "loadavg", ".", "")
	dump("/proc/meminfo", "meminfo", "^(MemTotal|MemFree|MemAvailable|Buffers|Cached|SwapTotal|SwapFree):", "")
	dump("/proc/net/dev", "netdev", ":", "")
	dump("/proc/diskstats", "diskstats", ".", " (loop|ram|zram)[0-9]+ ")
	for (i = 0; i < ndf; i++)
		print df[i]
	ndf = 0
	print "procs " ($3 == 1 ? 0 : $3)
	print "end " $2
	fflush()
}'
