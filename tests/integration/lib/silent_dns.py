"""A nameserver that reads every query and never answers: what a resolver
sees behind a firewall that drops DNS. Prints one line per query to
stdout (flushed), so a test can tell the resolver did ask.
usage: silent_dns.py ADDR  (port 53, UDP and TCP)"""
import select
import socket
import sys

addr = sys.argv[1]
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((addr, 53))
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind((addr, 53))
tcp.listen(16)
print("listening", flush=True)
held = []  # TCP clients kept open and unanswered
while True:
    ready, _, _ = select.select([udp, tcp] + held, [], [])
    for s in ready:
        if s is udp:
            data, peer = udp.recvfrom(4096)
            print("query", len(data), flush=True)
        elif s is tcp:
            conn, _ = tcp.accept()
            held.append(conn)
        else:
            if not s.recv(4096):
                held.remove(s)
                s.close()
