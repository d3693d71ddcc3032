#!/usr/bin/env bash
# sshd-up.sh DIR: starts a throwaway OpenSSH sshd on 127.0.0.1 for C tests.
# Writes DIR/port, DIR/sshd.pid, DIR/known_hosts, DIR/id_ed25519; returns
# once it accepts connections. Stop it with: kill $(cat DIR/sshd.pid).
set -euo pipefail
T=$1
mkdir -p /run/sshd "$T"
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh_host_ed25519_key" <<<y >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/id_ed25519" <<<y >/dev/null
cp "$T/id_ed25519.pub" "$T/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$T/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $T/ssh_host_ed25519_key
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
StrictModes no
UsePAM no
LogLevel ERROR
CONF
/usr/sbin/sshd -f "$T/sshd_config" -E "$T/sshd.log"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$T/ssh_host_ed25519_key.pub")" > "$T/known_hosts"
echo "$port" > "$T/port"
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && exit 0
	sleep 0.05
done
echo "sshd did not start: $(cat "$T/sshd.log")" >&2
exit 1
