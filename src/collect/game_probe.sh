# fleetop-gameprobe 1: the game server process's own figures, and the size
# of its world, one frame per interval.
# Runs as `/bin/sh -s fleetop-gameprobe INTERVAL_MS WORLD_INTERVAL_MS
# PIDFILE UNIT PROCESS WORLDDIR` with this text on stdin ('' for what is
# not set). The process is found by its pid file, else its systemd unit's
# MainPID, else the first process whose name (comm) is PROCESS; it is
# looked up again only when it is gone. Everything per frame is shell
# builtins reading /proc; du runs once every WORLD_INTERVAL_MS.
# When fleetop goes away the next echo fails and the loop ends.
shift
iv=$1 wiv=$2 pidfile=$3 unit=$4 name=$5 world=$6
LC_ALL=C
export LC_ALL
hz=$(getconf CLK_TCK 2>/dev/null) || hz=100
[ -n "$hz" ] || hz=100
secs=$((iv / 1000)).$(printf %03d $((iv % 1000)))
wevery=$((wiv / iv))
[ "$wevery" -ge 1 ] || wevery=1
# comm is cut at 15 bytes by the kernel.
short=$(printf %.15s "$name")
pid=
why=
find_pid() {
	pid=
	if [ -n "$pidfile" ]; then
		if ! read -r pid _ < "$pidfile" 2>/dev/null; then
			why="cannot read pid file $pidfile"
			pid=
		fi
	elif [ -n "$unit" ]; then
		pid=$(systemctl show -p MainPID --value "$unit" 2>/dev/null)
		[ "$pid" = 0 ] && pid=
		[ -n "$pid" ] || why="unit $unit has no running main process"
	elif [ -n "$name" ]; then
		for d in /proc/[0-9]*; do
			read -r c < "$d/comm" 2>/dev/null || continue
			if [ "$c" = "$short" ]; then
				pid=${d#/proc/}
				break
			fi
		done
		[ -n "$pid" ] || why="no process named $name"
	fi
	case $pid in
	*[!0-9]*) why="pid file $pidfile does not hold a pid"; pid= ;;
	esac
}
n=0
while :; do
	echo game-frame || exit 0
	echo "hz $hz"
	read -r up _ < /proc/uptime && echo "uptime $up"
	if [ -n "$pidfile$unit$name" ]; then
		if [ -z "$pid" ] || [ ! -r "/proc/$pid/stat" ]; then
			find_pid
		fi
		if [ -n "$pid" ] && read -r st < "/proc/$pid/stat" 2>/dev/null; then
			echo "pid $pid"
			echo "stat $st"
			while read -r k v _; do
				case $k in
				VmRSS:) echo "rss_kb $v" ;;
				Threads:) echo "threads $v" ;;
				esac
			done < "/proc/$pid/status"
		else
			[ -n "$pid" ] && why="process $pid ended"
			pid=
			echo "error ${why:-game process not found}"
		fi
	fi
	if [ -n "$world" ] && [ $((n % wevery)) -eq 0 ]; then
		if w=$(du -sk -- "$world" 2>&1); then
			echo "world_kb ${w%%[!0-9]*}"
		else
			echo "world_error $(echo "$w" | head -n 1)"
		fi
	fi
	echo game-end || exit 0
	n=$((n + 1))
	sleep "$secs" || exit 0
done
