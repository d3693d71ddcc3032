# sshd_at NAME ADDR [LOGLEVEL [LINE...]] (source after common.sh): one more real
# OpenSSH sshd, listening on ADDR (127.0.0.0/8) at a free port, with its own
# host key in $T/NAME/ and log $T/NAME/sshd.log. The client key
# $T/id_ed25519 (made on first use) may log in as the current user, and its
# host key is added to $T/known_hosts as [ADDR]:PORT. Sets NAME_PORT; the
# sshd is stopped on exit like everything in PIDS. LINEs go first in its
# sshd_config (sshd takes the first value it reads, so they win).
sshd_at() {
	local name=$1 addr=$2 level=${3:-VERBOSE} d=$T/$1 port
	shift 3 || shift $#
	mkdir -p /run/sshd "$d"
	[ -f "$T/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$T/id_ed25519"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
	cp "$T/id_ed25519.pub" "$d/authorized_keys"
	port=$(free_port)
	printf '%s\n' "$@" > "$d/sshd_config"
	cat >> "$d/sshd_config" <<CONF
Port $port
ListenAddress $addr
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
StrictModes no
UsePAM no
LogLevel $level
SetEnv SHLVL=1
CONF
	/usr/sbin/sshd -D -f "$d/sshd_config" -E "$d/sshd.log" &
	PIDS+=($!)
	wait_port "$addr" "$port"
	echo "[$addr]:$port $(cut -d' ' -f1,2 "$d/host_key.pub")" >> "$T/known_hosts"
	printf -v "${name}_PORT" %s "$port"
}
