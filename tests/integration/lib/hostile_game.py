#!/usr/bin/env python3
"""A deliberately misbehaving game server, for tests of fleetop's game query
collector: one protocol, one way of (mis)behaving, on loopback, until killed.

  hostile_game.py --proto {q3,a2s,slp,rcon} --mode MODE --port PORT
                  [--addr 127.0.0.1] [--password PW] [--seed N]
                  [--rcon-style {minecraft,source}]
  hostile_game.py --self-test

Prints "ready PORT" on stdout once listening (PORT 0 picks a free one and
prints it), then logs one line per request on stderr. q3 and a2s are UDP,
slp and rcon TCP. Wire formats follow the official descriptions: Valve's
Server_queries and Source_RCON_Protocol pages, wiki.vg Server_List_Ping, and
ioquake3's SVC_Status for getstatus.

Modes (MODES says which protocol has which):
  good            correct replies, with the values in the constants below.
                  a2s asks for a challenge first (S2C_CHALLENGE 'A') when
                  INFO or PLAYER comes without the right one; rcon answers
                  a RESPONSE_VALUE from the client as SRCDS does (an empty
                  mirror, then a RESPONSE_VALUE with body 00 01 00 00).
  split           a2s: INFO and PLAYER (60 long names, 4 parts) as Source
                  split packets (-2, id, total, number, size 1248), in order
  split_reversed  a2s: the parts in reverse order
  split_dup       a2s: part 1 (or 0 of a one-part reply) sent twice
  multipacket     rcon: "list" of 200 players in RESPONSE_VALUEs of at most
                  4096 body bytes (3 of them)
  truncated       the good reply cut in half: q3 and a2s send half the
                  datagram; slp half the status packet (its length prefix
                  promises the rest) and rcon half the reply to the first
                  command after a good login, then the connection stays open
                  and silent
  oversized       q3: one 65000-byte statusResponse (thousands of players);
                  a2s: a split reply of 200 parts of 5300 bytes (1.06 MB);
                  slp: a length VarInt of 2^30; rcon: a size field of 100 MB
                  (for the first command); on TCP 64 KB follow, then nothing
  wrongtype       q3: infoResponse for getstatus; a2s: type 'Z' for INFO
                  and GoldSource 'm' for PLAYER; slp: status as packet 0x05;
                  rcon: the login answered by an AUTH_RESPONSE with another
                  id (even connections: 1st, 3rd...) or by a lone
                  RESPONSE_VALUE with the right id (odd connections)
  garbage         seeded random bytes (same seed, same requests: same bytes),
                  for every datagram (q3, a2s) or once per connection
  silent          never answers: UDP reads and drops, TCP accepts and reads
  slowloris       tcp: the good replies, one byte every 2 seconds
  spoof           q3: a statusResponse echoing another challenge (one even
                  when the request carried none)
  refuse          tcp: accept, then reset the connection (SO_LINGER 0)

Standard library only, so any test machine with python3 can run it.
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib

MODES = {
	"q3": ["good", "truncated", "oversized", "wrongtype", "garbage", "silent", "spoof"],
	"a2s": ["good", "split", "split_reversed", "split_dup", "truncated", "oversized",
		"wrongtype", "garbage", "silent"],
	"slp": ["good", "truncated", "oversized", "wrongtype", "garbage", "silent", "slowloris",
		"refuse"],
	"rcon": ["good", "multipacket", "truncated", "oversized", "wrongtype", "garbage", "silent",
		 "slowloris", "refuse"],
}

OOB = b"\xff\xff\xff\xff"
DRIP_SECONDS = 2.0

# What `good` serves; the tests compare clients' results with these.
Q3_MAP = "hostile_map"
Q3_MAX = 16
Q3_PLAYERS = [("alpha", 5, 30), ("beta", 3, 0)]  # name, score, ping (0: a bot)
A2S_INFO = dict(name="hostile a2s", map="de_hostile", folder="csgo", game="Counter-Strike",
		appid=730, players=2, max=16, bots=1, version="1.0.0.0")
A2S_PLAYERS = [("alpha", 5, 120.5), ("beta", 3, 60.0)]  # name, score, seconds connected
A2S_SPLIT_SIZE = 1248  # Source's payload per part (net_maxroutable 1260 - 12 header)
A2S_SPLIT_PLAYERS = 60
SLP_STATUS = {
	"version": {"name": "1.20.4", "protocol": 765},
	"players": {"max": 20, "online": 2, "sample": [
		{"name": "alpha", "id": "4566e69f-c907-48ee-8d71-d7ba5aa00d20"},
		{"name": "beta", "id": "069a79f4-44e9-4726-a5be-fca90e38aaf5"}]},
	"description": {"text": "hostile mc"},
}
RCON_PASSWORD = "hostile"
RCON_LIST = "There are 2 of a max of 20 players online: alpha, beta"
RCON_TPS = "§6TPS from last 1m, 5m, 15m: §a19.5, §a20.0, §a20.0"
# Paper's /mspt: avg/min/max over 5s, 10s, 1m; the 5s average comes first.
RCON_MSPT = ("§6Server tick times §e(§7avg§e/§7min§e/§7max§e)§6 from last 5s§7,§6 10s§7,§6 1m§e:\n"
	     "§6◴ §a12.5§7/§a10.1§7/§a15.3§e, §a12.6§7/§a10.0§7/§a16.0§e, §a12.7§7/§a9.8§7/§a18.2")
RCON_MULTI_PLAYERS = 200
RCON_MAX_BODY = 4096  # what Source and Minecraft put in one RESPONSE_VALUE
RCON_END_MARKER = b"\x00\x01\x00\x00"  # Source's answer to a RESPONSE_VALUE request
RCON_OVERSIZE = 100 * 1024 * 1024

SERVERDATA_RESPONSE_VALUE = 0
SERVERDATA_EXECCOMMAND = 2
SERVERDATA_AUTH_RESPONSE = 2
SERVERDATA_AUTH = 3


def log(msg):
	print(msg, file=sys.stderr, flush=True)


def printable(data, limit=60):
	s = data[:limit].decode("latin1")
	s = "".join(c if 32 <= ord(c) < 127 else "\\x%02x" % ord(c) for c in s)
	return s + ("..." if len(data) > limit else "")


def cstr(s):
	return s.encode() + b"\0"


def rcon_multi_list():
	names = ["player%03d_with_a_rather_long_name_for_testing" % i for i in range(RCON_MULTI_PLAYERS)]
	return "There are %d of a max of %d players online: %s" % (
		RCON_MULTI_PLAYERS, 2 * RCON_MULTI_PLAYERS, ", ".join(names))


def a2s_split_names():
	# 56 characters: long enough that 60 of them need 4 parts, short enough
	# to fit fleetop's 63-character names.
	return ["hostile_split_player_%02d_" % i + "x" * 32 for i in range(A2S_SPLIT_PLAYERS)]


# ---- Quake 3 ----------------------------------------------------------------

class Q3:
	def __init__(self, args, rng):
		self.mode = args.mode
		self.rng = rng
		self.port = args.port

	def info(self, challenge, extra=b""):
		pairs = [("sv_hostname", "hostile q3"), ("mapname", Q3_MAP),
			 ("sv_maxclients", str(Q3_MAX)), ("sv_privateClients", "0"),
			 ("g_gametype", "0"), ("protocol", "68"),
			 ("version", "ioq3 1.36_hostile linux-x86_64")]
		if challenge is not None:
			pairs.append(("challenge", challenge))
		return b"".join(b"\\" + k.encode() + b"\\" + v.encode() for k, v in pairs) + extra

	def status(self, challenge):
		body = OOB + b"statusResponse\n" + self.info(challenge) + b"\n"
		for name, score, ping in Q3_PLAYERS:
			body += b'%d %d "%s"\n' % (score, ping, name.encode())
		return body

	def oversized(self, challenge):
		# 65000 bytes exactly: near the most a UDP datagram carries over
		# IPv4 (65507), far beyond the ~16K a real server sends.
		head = OOB + b"statusResponse\n"
		lines = []
		total = len(head) + len(self.info(challenge)) + 1 + 64
		i = 0
		while True:
			line = b'%d %d "many_%05d"\n' % (i % 50, 20 + i % 200, i)
			if total + len(line) > 65000:
				break
			lines.append(line)
			total += len(line)
			i += 1
		bare = head + self.info(challenge) + b"\n" + b"".join(lines)
		pad_key = b"\\hostile_pad\\"
		pad = b"x" * (65000 - len(bare) - len(pad_key))
		body = head + self.info(challenge, pad_key + pad) + b"\n" + b"".join(lines)
		assert len(body) == 65000
		return body

	def handle(self, data, peer, send):
		what = printable(data[4:] if data.startswith(OOB) else data)
		log("q3 %s %s:%d: %s" % (self.mode, peer[0], peer[1], what))
		if self.mode == "silent":
			return
		if self.mode == "garbage":
			send(self.rng.randbytes(self.rng.randint(16, 1400)))
			return
		if not data.startswith(OOB):
			return
		words = data[4:].rstrip(b"\0\r\n ").decode("latin1").split()
		if not words:
			return
		challenge = words[1] if len(words) > 1 else None
		if words[0] == "getinfo":
			send(OOB + b"infoResponse\n" + self.info(challenge) + b"\\clients\\2")
			return
		if words[0] != "getstatus":
			return
		if self.mode == "good":
			send(self.status(challenge))
		elif self.mode == "truncated":
			good = self.status(challenge)
			send(good[:len(good) // 2])
		elif self.mode == "oversized":
			send(self.oversized(challenge))
		elif self.mode == "wrongtype":
			send(OOB + b"infoResponse\n" + self.info(challenge) + b"\\clients\\2")
		elif self.mode == "spoof":
			if challenge is not None and challenge.isdigit():
				other = str((int(challenge) + 1) & 0xffffffff)
			elif challenge is not None:
				other = challenge + "x"
			else:
				other = "31337"  # a challenge nobody asked for
			send(self.status(other))


# ---- Valve A2S ----------------------------------------------------------------

class A2S:
	def __init__(self, args, rng):
		self.mode = args.mode
		self.rng = rng
		self.port = args.port
		self.split_id = 0x100

	def challenge_for(self, peer):
		# Stable per client address, never -1 (which asks for a challenge).
		c = zlib.crc32(("%s:%d:%d" % (peer[0], peer[1], self.port)).encode()) & 0x7fffffff
		return c or 1

	def info_body(self, type_byte=b"I"):
		i = dict(A2S_INFO)
		if self.mode.startswith("split"):
			i.update(players=A2S_SPLIT_PLAYERS, max=64, bots=0)
		b = type_byte + bytes([17]) + cstr(i["name"]) + cstr(i["map"]) + cstr(i["folder"])
		b += cstr(i["game"]) + struct.pack("<HBBB", i["appid"], i["players"], i["max"], i["bots"])
		b += b"dl" + bytes([0, 1]) + cstr(i["version"])
		# Extra data: game port (0x80), keywords (0x20), 64-bit game id (0x01).
		b += bytes([0x80 | 0x20 | 0x01]) + struct.pack("<H", self.port)
		b += cstr("hostile,fixture") + struct.pack("<Q", i["appid"])
		return b

	def goldsrc_info_body(self):
		i = A2S_INFO
		b = b"m" + cstr("127.0.0.1:%d" % self.port) + cstr(i["name"]) + cstr(i["map"])
		b += cstr(i["folder"]) + cstr(i["game"]) + bytes([i["players"], i["max"], 47])
		return b + b"dl" + bytes([0, 0, 1, 0])

	def player_body(self):
		if self.mode.startswith("split"):
			players = [(n, i, 10.0 + i) for i, n in enumerate(a2s_split_names())]
		else:
			players = A2S_PLAYERS
		b = b"D" + bytes([len(players)])
		for idx, (name, score, secs) in enumerate(players):
			b += bytes([idx]) + cstr(name) + struct.pack("<if", score, secs)
		return b

	def parts(self, payload, part_size):
		self.split_id = (self.split_id + 1) & 0x7fffffff  # high bit would mean bzip2
		chunks = [payload[i:i + part_size] for i in range(0, len(payload), part_size)]
		return [struct.pack("<iiBBH", -2, self.split_id, len(chunks), n, part_size) + c
			for n, c in enumerate(chunks)]

	def reply(self, body, send):
		if self.mode == "truncated":
			good = OOB + body
			send(good[:len(good) // 2])
		elif self.mode.startswith("split"):
			parts = self.parts(OOB + body, A2S_SPLIT_SIZE)
			if self.mode == "split_reversed":
				parts.reverse()
			elif self.mode == "split_dup":
				k = 1 if len(parts) > 1 else 0
				parts.insert(k, parts[k])
			for p in parts:
				send(p)
		elif self.mode == "oversized":
			# 200 parts of 5300 bytes: 1.06 MB for one reply. Paced so a
			# client that reads promptly gets them all rather than losing
			# most to its socket buffer.
			size = 5300
			payload = OOB + body
			payload += b"\0" * (200 * size - len(payload))
			for n, p in enumerate(self.parts(payload, size)):
				send(p)
				if n % 4 == 3:
					time.sleep(0.001)
		else:
			send(OOB + body)

	def handle(self, data, peer, send):
		kind = data[4:5] if data.startswith(OOB) else b""
		names = {b"T": "A2S_INFO", b"U": "A2S_PLAYER", b"V": "A2S_RULES", b"W": "GETCHALLENGE"}
		what = names.get(kind, "?")
		want = self.challenge_for(peer)
		got = None
		if kind == b"T" and len(data) >= 4 + 1 + 20 + 4:
			got = struct.unpack("<i", data[25:29])[0]
		elif kind in (b"U", b"V") and len(data) >= 9:
			got = struct.unpack("<i", data[5:9])[0]
		log("a2s %s %s:%d: %s challenge=%s (%d bytes)" % (
			self.mode, peer[0], peer[1], what, got, len(data)))
		if self.mode == "silent":
			return
		if self.mode == "garbage":
			send(self.rng.randbytes(self.rng.randint(16, 1400)))
			return
		if kind == b"T" and data[5:25] != b"Source Engine Query\0":
			return
		if kind not in names:
			return
		if kind == b"W" or got != want:
			send(OOB + b"A" + struct.pack("<i", want))
			return
		if kind == b"T":
			if self.mode == "wrongtype":
				send(OOB + self.info_body(b"Z"))
			else:
				self.reply(self.info_body(), send)
		elif kind == b"U":
			if self.mode == "wrongtype":
				send(OOB + self.goldsrc_info_body())
			else:
				self.reply(self.player_body(), send)
		elif kind == b"V":
			rules = [("mp_timelimit", "20"), ("sv_hostile", "1")]
			b = b"E" + struct.pack("<H", len(rules))
			b += b"".join(cstr(k) + cstr(v) for k, v in rules)
			self.reply(b, send)


# ---- TCP helpers -----------------------------------------------------------

class Conn:
	"""One accepted connection, served by its own thread."""

	def __init__(self, sock, peer, args, rng, lock):
		self.sock = sock
		self.peer = peer
		self.mode = args.mode
		self.args = args
		self.rng = rng
		self.rng_lock = lock
		self.idle = False  # after a broken reply: read on, never write again

	def tag(self):
		return "%s %s %s:%d" % (self.args.proto, self.mode, self.peer[0], self.peer[1])

	def randbytes(self):
		with self.rng_lock:
			return self.rng.randbytes(self.rng.randint(16, 1400))

	def send(self, data):
		if self.mode == "slowloris":
			for i in range(len(data)):
				self.sock.sendall(data[i:i + 1])
				time.sleep(DRIP_SECONDS)
		else:
			self.sock.sendall(data)

	def drain(self):
		# silent: take whatever comes, say nothing, until the client leaves.
		while True:
			data = self.sock.recv(65536)
			if not data:
				return
			log("%s: read %d bytes, not answering: %s" % (self.tag(), len(data),
								      printable(data)))


def varint(n):
	out = b""
	n &= 0xffffffff
	while True:
		b = n & 0x7f
		n >>= 7
		if n:
			out += bytes([b | 0x80])
		else:
			return out + bytes([b])


def read_varint(buf, pos):
	"""(value, next pos), None if buf ends first, ValueError if too long."""
	value = 0
	for i in range(5):
		if pos + i >= len(buf):
			return None
		b = buf[pos + i]
		value |= (b & 0x7f) << (7 * i)
		if not b & 0x80:
			if value & 0x80000000:
				value -= 1 << 32
			return value, pos + i + 1
	raise ValueError("VarInt longer than 5 bytes")


def slp_packet(pid, body):
	data = varint(pid) + body
	return varint(len(data)) + data


def slp_status_packet(pid=0):
	text = json.dumps(SLP_STATUS).encode()
	return slp_packet(pid, varint(len(text)) + text)


class SlpConn(Conn):
	def handle_packet(self, pid, body, state):
		if state[0] == "handshake":
			if pid != 0:
				log("%s: expected a handshake, got packet 0x%02x" % (self.tag(), pid))
				return False
			r = read_varint(body, 0)
			proto, pos = r if r else (None, 0)
			alen, pos = read_varint(body, pos) or (0, pos)
			addr = body[pos:pos + alen].decode("utf8", "replace")
			pos += alen
			port = struct.unpack(">H", body[pos:pos + 2])[0] if len(body) >= pos + 2 else -1
			nxt = read_varint(body, pos + 2)
			nxt = nxt[0] if nxt else None
			log("%s: handshake protocol=%s address=%s port=%d next=%s" % (
				self.tag(), proto, addr, port, nxt))
			if nxt != 1:
				return False  # login (2) is not served here
			state[0] = "status"
			return True
		if pid == 0:
			log("%s: status request" % self.tag())
			if self.idle:
				return True
			good = slp_status_packet()
			if self.mode in ("good", "slowloris"):
				self.send(good)
			elif self.mode == "truncated":
				self.sock.sendall(good[:len(good) // 2])
				self.idle = True
			elif self.mode == "oversized":
				self.sock.sendall(varint(1 << 30) + b"\0" + varint((1 << 30) - 6) +
						  b'{"version":' + b" " * 65536)
				self.idle = True
			elif self.mode == "wrongtype":
				self.send(slp_status_packet(0x05))
			elif self.mode == "garbage":
				self.sock.sendall(self.randbytes())
				self.idle = True
			return True
		if pid == 1:
			payload = struct.unpack(">q", body[:8])[0] if len(body) >= 8 else None
			log("%s: ping %s" % (self.tag(), payload))
			if self.idle:
				return True
			self.send(slp_packet(1, body[:8]))
			return False  # as the vanilla server does: pong, then close
		log("%s: unexpected packet 0x%02x in status state" % (self.tag(), pid))
		return False

	def serve(self):
		if self.mode == "silent":
			return self.drain()
		buf = b""
		state = ["handshake"]
		while True:
			data = self.sock.recv(65536)
			if not data:
				return
			buf += data
			if state[0] == "handshake" and buf[:1] == b"\xfe":
				log("%s: legacy (pre-1.7) ping, closing" % self.tag())
				return
			while buf:
				try:
					r = read_varint(buf, 0)
				except ValueError:
					log("%s: bad length VarInt, closing" % self.tag())
					return
				if r is None:
					break
				length, pos = r
				if length <= 0 or length > 1 << 21:
					log("%s: bad packet length %d, closing" % (self.tag(), length))
					return
				if len(buf) < pos + length:
					break
				pkt = buf[pos:pos + length]
				buf = buf[pos + length:]
				pid, p = read_varint(pkt, 0) or (-1, 0)
				if not self.handle_packet(pid, pkt[p:], state):
					return


def rcon_packet(rid, rtype, body):
	if isinstance(body, str):
		body = body.encode()
	return struct.pack("<iii", len(body) + 10, rid, rtype) + body + b"\0\0"


class RconConn(Conn):
	def __init__(self, *a):
		super().__init__(*a)
		self.authed = False

	def answer(self, command):
		if self.mode == "multipacket" and command == "list":
			return rcon_multi_list()
		return {"list": RCON_LIST, "tps": RCON_TPS, "mspt": RCON_MSPT}.get(command,
										   "Unknown command")

	def command_reply(self, rid, text):
		body = text.encode()
		chunks = [body[i:i + RCON_MAX_BODY] for i in range(0, len(body), RCON_MAX_BODY)] or [b""]
		if self.mode == "truncated":
			pkt = rcon_packet(rid, SERVERDATA_RESPONSE_VALUE, chunks[0])
			self.sock.sendall(pkt[:len(pkt) // 2])
			self.idle = True
		elif self.mode == "oversized":
			self.sock.sendall(struct.pack("<iii", RCON_OVERSIZE, rid, SERVERDATA_RESPONSE_VALUE)
					  + b"A" * 65536)
			self.idle = True
		else:
			for c in chunks:
				self.send(rcon_packet(rid, SERVERDATA_RESPONSE_VALUE, c))

	def auth_reply(self, rid, ok):
		if self.mode == "wrongtype":
			# Alternates, so both checks get exercised: an AUTH_RESPONSE
			# for another request, then (next connection) a RESPONSE_VALUE
			# carrying the right id and no AUTH_RESPONSE after it.
			with self.rng_lock:
				n = self.args.counter
				self.args.counter += 1
			if n % 2 == 0:
				other = rid + 1000 if -1 <= rid < 0x7fff0000 else 1000
				self.send(rcon_packet(other, SERVERDATA_AUTH_RESPONSE, ""))
			else:
				self.send(rcon_packet(rid, SERVERDATA_RESPONSE_VALUE, ""))
			self.idle = True
			return
		if self.args.rcon_style == "source":
			# SRCDS sends an empty RESPONSE_VALUE before the AUTH_RESPONSE.
			self.send(rcon_packet(rid, SERVERDATA_RESPONSE_VALUE, ""))
		self.send(rcon_packet(rid if ok else -1, SERVERDATA_AUTH_RESPONSE, ""))
		self.authed = ok

	def handle_packet(self, rid, rtype, body):
		text = body.decode("utf8", "replace")
		shown = "<password>" if rtype == SERVERDATA_AUTH else printable(body)
		log("%s: id=%d type=%d body=%s" % (self.tag(), rid, rtype, shown))
		if self.idle:
			return
		if self.mode == "garbage":
			self.sock.sendall(self.randbytes())
			self.idle = True
			return
		if rtype == SERVERDATA_AUTH:
			self.auth_reply(rid, text == self.args.password)
		elif rtype == SERVERDATA_EXECCOMMAND:
			if not self.authed:
				self.send(rcon_packet(-1, SERVERDATA_AUTH_RESPONSE, ""))
			else:
				self.command_reply(rid, self.answer(text.strip()))
		elif rtype == SERVERDATA_RESPONSE_VALUE:
			# How Source servers answer it, which clients use to find
			# the end of a multi-packet reply: an empty mirror, then a
			# RESPONSE_VALUE whose body is 00 01 00 00.
			self.send(rcon_packet(rid, SERVERDATA_RESPONSE_VALUE, b""))
			self.send(rcon_packet(rid, SERVERDATA_RESPONSE_VALUE, RCON_END_MARKER))
		else:
			self.send(rcon_packet(rid, SERVERDATA_RESPONSE_VALUE,
					      "Unknown request %x" % (rtype & 0xffffffff)))

	def serve(self):
		if self.mode == "silent":
			return self.drain()
		buf = b""
		while True:
			data = self.sock.recv(65536)
			if not data:
				return
			buf += data
			while len(buf) >= 4:
				size = struct.unpack("<i", buf[:4])[0]
				if size < 10 or size > 4096 + 10:
					log("%s: bad packet size %d, closing" % (self.tag(), size))
					return
				if len(buf) < 4 + size:
					break
				rid, rtype = struct.unpack("<ii", buf[4:12])
				body = buf[12:4 + size - 2]
				buf = buf[4 + size:]
				self.handle_packet(rid, rtype, body.split(b"\0", 1)[0])


# ---- servers ---------------------------------------------------------------

def serve_udp(args, handler):
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.bind((args.addr, args.port))
	s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
	args.port = s.getsockname()[1]
	handler.port = args.port
	print("ready %d" % args.port, flush=True)
	while True:
		data, peer = s.recvfrom(65536)

		def send(d, peer=peer):
			try:
				s.sendto(d, peer)
			except OSError as e:
				log("%s %s: send of %d bytes failed: %s" % (args.proto, args.mode, len(d), e))
		try:
			handler.handle(data, peer, send)
		except Exception as e:  # a request it cannot take: drop it, serve on
			log("%s %s %s:%d: cannot handle this datagram (%r)" % (
				args.proto, args.mode, peer[0], peer[1], e))


def serve_tcp(args, conn_class):
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind((args.addr, args.port))
	s.listen(64)
	args.port = s.getsockname()[1]
	print("ready %d" % args.port, flush=True)
	rng = random.Random(args.seed)
	lock = threading.Lock()
	args.counter = 0
	while True:
		c, peer = s.accept()
		log("%s %s %s:%d: connection" % (args.proto, args.mode, peer[0], peer[1]))
		if args.mode == "refuse":
			c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
			c.close()  # linger 0: the client sees RST, not FIN
			continue
		conn = conn_class(c, peer, args, rng, lock)

		def run(conn=conn):
			try:
				conn.serve()
			except OSError as e:
				log("%s: %s" % (conn.tag(), e))
			except Exception as e:  # a request it cannot take: drop it, serve on
				log("%s: cannot handle this request (%r), closing" % (conn.tag(), e))
			finally:
				conn.sock.close()
		threading.Thread(target=run, daemon=True).start()


def main(argv):
	p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	p.add_argument("--proto", choices=sorted(MODES))
	p.add_argument("--mode")
	p.add_argument("--port", type=int, default=0)
	p.add_argument("--addr", default="127.0.0.1")
	p.add_argument("--password", default=RCON_PASSWORD)
	p.add_argument("--seed", type=int, default=1)
	p.add_argument("--rcon-style", choices=["minecraft", "source"], default="minecraft",
		       help="source: an empty RESPONSE_VALUE before each AUTH_RESPONSE, as SRCDS")
	p.add_argument("--self-test", action="store_true")
	args = p.parse_args(argv)
	if args.self_test:
		return self_test()
	if not args.proto or not args.mode:
		p.error("--proto and --mode are required")
	if args.mode not in MODES[args.proto]:
		p.error("mode %s is not served for %s (modes: %s)" % (
			args.mode, args.proto, ", ".join(MODES[args.proto])))
	try:
		if args.proto == "q3":
			serve_udp(args, Q3(args, random.Random(args.seed)))
		elif args.proto == "a2s":
			serve_udp(args, A2S(args, random.Random(args.seed)))
		elif args.proto == "slp":
			serve_tcp(args, SlpConn)
		else:
			serve_tcp(args, RconConn)
	except KeyboardInterrupt:
		return 0


# ---- self-test: each mode against a small client written here ---------------

def die_with_parent():
	# A server left behind would serve forever: have the kernel end it
	# when the self-test (the thread that started it) goes, however it goes.
	try:
		import ctypes
		ctypes.CDLL(None, use_errno=True).prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM
	except (OSError, AttributeError):
		pass


class Fixture:
	def __init__(self, proto, mode, *extra):
		self.p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--proto", proto,
					   "--mode", mode, "--port", "0", *extra],
					  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
					  preexec_fn=die_with_parent)
		line = self.p.stdout.readline().decode()
		if not line.startswith("ready "):
			self.p.kill()
			raise RuntimeError("%s/%s did not start: %s" % (proto, mode, self.p.stderr.read()))
		self.port = int(line.split()[1])

	def stop(self):
		self.p.terminate()
		self.p.wait()
		return self.p.stderr.read().decode()

	def __enter__(self):
		return self

	def __exit__(self, *exc):
		self.stop()


# The self-test's waits: a reply expected is waited for up to FIRST seconds
# (generous, so a loaded machine does not fail it); "nothing comes" is
# judged over NOTHING seconds; a reply in several pieces is taken as done
# after QUIET seconds without more.
FIRST, NOTHING, QUIET = 5.0, 0.3, 0.5


def udp_exchange(port, data, want=1, first=FIRST, quiet=0.0, sock=None):
	"""Sends data, returns the datagrams that came back: up to want of
	them, then (quiet > 0) more until none came for quiet seconds."""
	s = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	try:  # room for all of a2s oversized even if this thread is slow to read
		s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 4 << 20)
	except OSError:  # not root: as much as net.core.rmem_max allows
		s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
	s.sendto(data, ("127.0.0.1", port))
	got = []
	while len(got) < want or quiet:
		wait = first if not got else (quiet if len(got) >= want else FIRST)
		if not select.select([s], [], [], wait)[0]:
			break
		got.append(s.recv(65536))
	if sock is None:
		s.close()
	return got


def tcp_read(s, first=FIRST, quiet=QUIET):
	"""(bytes, eof): what arrives until quiet seconds pass without more,
	the first byte waited for up to first seconds; stops early at EOF."""
	out = b""
	while True:
		if not select.select([s], [], [], quiet if out else first)[0]:
			return out, False
		d = s.recv(65536)
		if not d:
			return out, True
		out += d


def rcon_read(s, count, wait=FIRST):
	"""count whole packets as (id, type, body)."""
	buf = b""
	pkts = []
	end = time.monotonic() + wait
	while len(pkts) < count:
		while len(buf) >= 4 and len(buf) >= 4 + struct.unpack("<i", buf[:4])[0]:
			size = struct.unpack("<i", buf[:4])[0]
			rid, rtype = struct.unpack("<ii", buf[4:12])
			pkts.append((rid, rtype, buf[12:4 + size - 2]))
			buf = buf[4 + size:]
		if len(pkts) >= count:
			break
		left = end - time.monotonic()
		if left <= 0 or not select.select([s], [], [], left)[0]:
			break
		d = s.recv(65536)
		if not d:
			break
		buf += d
	return pkts


def a2s_split_payload(parts):
	# Reassembles Source split parts by number; returns (payload, numbers seen, total).
	seen = []
	byn = {}
	total = None
	for p in parts:
		_, _, total, num, _ = struct.unpack("<iiBBH", p[:12])
		seen.append(num)
		byn[num] = p[12:]
	payload = b"".join(byn[i] for i in range(total)) if len(byn) == total else None
	return payload, seen, total


def seeded_garbage(seed):
	r = random.Random(seed)
	return r.randbytes(r.randint(16, 1400))


def self_test_q3(check):
	with Fixture("q3", "good") as f:
		r = udp_exchange(f.port, OOB + b"getstatus 777\n")
		lines = r[0].split(b"\n") if r else []
		check("q3 good: statusResponse echoing the challenge, map, 2 players",
		      r and lines[0] == OOB + b"statusResponse" and b"\\challenge\\777" in lines[1]
		      and b"\\mapname\\hostile_map" in lines[1] and lines[2:4] == [b'5 30 "alpha"', b'3 0 "beta"'])
		good_len = len(r[0]) if r else 0
	with Fixture("q3", "spoof") as f:
		r = udp_exchange(f.port, OOB + b"getstatus 777\n")
		check("q3 spoof: another challenge echoed", r and b"\\challenge\\778" in r[0]
		      and b"\\challenge\\777" not in r[0])
	with Fixture("q3", "truncated") as f:
		r = udp_exchange(f.port, OOB + b"getstatus 777\n")
		check("q3 truncated: half the good reply", r and len(r[0]) == good_len // 2)
	with Fixture("q3", "oversized") as f:
		r = udp_exchange(f.port, OOB + b"getstatus 777\n")
		check("q3 oversized: one 65000-byte statusResponse, thousands of players",
		      r and len(r[0]) == 65000 and r[0].startswith(OOB + b"statusResponse\n")
		      and r[0].count(b"\n") > 2000)
	with Fixture("q3", "wrongtype") as f:
		r = udp_exchange(f.port, OOB + b"getstatus 777\n")
		check("q3 wrongtype: infoResponse", r and r[0].startswith(OOB + b"infoResponse\n"))
	with Fixture("q3", "garbage") as f1, Fixture("q3", "garbage") as f2:
		a = udp_exchange(f1.port, OOB + b"getstatus\n") + udp_exchange(f1.port, b"x")
		b = udp_exchange(f2.port, OOB + b"getstatus\n") + udp_exchange(f2.port, b"x")
		check("q3 garbage: same seed, same bytes", len(a) == 2 and a == b and a[0] != a[1])
	with Fixture("q3", "silent") as f:
		check("q3 silent: no reply", udp_exchange(f.port, OOB + b"getstatus\n", first=NOTHING) == [])
		check("requests are logged on stderr", "getstatus" in f.stop())
	p = subprocess.run([sys.executable, __file__, "--proto", "q3", "--mode", "refuse"],
			   capture_output=True)
	check("a mode a protocol lacks is refused at start", p.returncode == 2 and b"not served" in p.stderr)


def self_test_a2s(check):
	info_req = OOB + b"TSource Engine Query\0"
	with Fixture("a2s", "good") as f:
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		r = udp_exchange(f.port, info_req, sock=s)
		ok = r and r[0][:5] == OOB + b"A"
		ch = r[0][5:9] if ok else b"\0\0\0\0"
		r2 = udp_exchange(f.port, info_req + ch, sock=s)
		r3 = udp_exchange(f.port, OOB + b"U" + struct.pack("<i", -1), sock=s)
		r4 = udp_exchange(f.port, OOB + b"U" + ch, sock=s)
		s.close()
		check("a2s good: challenge first", ok)
		check("a2s good: INFO with the challenge", r2 and r2[0][:5] == OOB + b"I"
		      and b"hostile a2s\0de_hostile\0csgo\0Counter-Strike\0" in r2[0])
		check("a2s good: PLAYER without it gets the challenge", r3 and r3[0] == OOB + b"A" + ch)
		check("a2s good: PLAYER with it lists alpha and beta",
		      r4 and r4[0][:6] == OOB + b"D\x02" and b"alpha\0" in r4[0] and b"beta\0" in r4[0])
		good_info_len = len(r2[0]) if r2 else 0
	for mode, order in (("split", "in order"), ("split_reversed", "reversed"),
			    ("split_dup", "one twice")):
		with Fixture("a2s", mode) as f:
			s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
			ch = udp_exchange(f.port, OOB + b"U\xff\xff\xff\xff", sock=s)[0][5:9]
			parts = udp_exchange(f.port, OOB + b"U" + ch, quiet=QUIET, sock=s)
			payload, seen, total = a2s_split_payload(parts)
			info = udp_exchange(f.port, info_req + ch, quiet=QUIET, sock=s)
			s.close()
			expect = {"split": list(range(total or 0)),
				  "split_reversed": list(range(total or 0))[::-1],
				  "split_dup": [0, 1, 1] + list(range(2, total or 0))}[mode]
			check("a2s %s: PLAYER in %s parts (%s), 60 players" % (mode, total, order),
			      total and total >= 3 and seen == expect and payload
			      and payload[:6] == OOB + b"D" + bytes([A2S_SPLIT_PLAYERS]))
			check("a2s %s: INFO as a one-part split" % mode,
			      info and info[0][:4] == b"\xfe\xff\xff\xff" and info[0][8] == 1)
	with Fixture("a2s", "truncated") as f:
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		ch = udp_exchange(f.port, info_req, sock=s)[0][5:9]
		r = udp_exchange(f.port, info_req + ch, sock=s)
		s.close()
		check("a2s truncated: INFO cut at half", r and len(r[0]) == good_info_len // 2)
	with Fixture("a2s", "oversized") as f:
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		ch = udp_exchange(f.port, info_req, sock=s)[0][5:9]
		parts = udp_exchange(f.port, info_req + ch, want=200, sock=s)
		s.close()
		_, seen, total = a2s_split_payload(parts)
		size = sum(len(p) - 12 for p in parts)
		check("a2s oversized: 200 parts claimed, %d received, %d bytes" % (len(parts), size),
		      total == 200 and size > 1000000)
	with Fixture("a2s", "wrongtype") as f:
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		ch = udp_exchange(f.port, info_req, sock=s)[0][5:9]
		r = udp_exchange(f.port, info_req + ch, sock=s)
		r2 = udp_exchange(f.port, OOB + b"U" + ch, sock=s)
		s.close()
		check("a2s wrongtype: 'Z' for INFO, 'm' for PLAYER",
		      r and r[0][4:5] == b"Z" and r2 and r2[0][4:5] == b"m")
	with Fixture("a2s", "silent") as f:
		check("a2s silent: no reply", udp_exchange(f.port, info_req, first=NOTHING) == [])


def self_test_slp(check):
	def slp_hello(port):
		s = socket.create_connection(("127.0.0.1", port))
		hs = varint(765) + varint(9) + b"127.0.0.1" + struct.pack(">H", port) + varint(1)
		s.sendall(slp_packet(0, hs) + slp_packet(0, b""))
		return s

	with Fixture("slp", "good") as f:
		s = slp_hello(f.port)
		data, _ = tcp_read(s)
		ln, pos = read_varint(data, 0)
		pid, pos2 = read_varint(data, pos)
		jl, pos3 = read_varint(data, pos2)
		check("slp good: status JSON as served", pid == 0 and len(data) == pos + ln
		      and json.loads(data[pos3:pos3 + jl]) == SLP_STATUS)
		s.sendall(slp_packet(1, struct.pack(">q", 1234567)))
		data, eof = tcp_read(s)
		check("slp good: pong echoes the payload, then close",
		      data == slp_packet(1, struct.pack(">q", 1234567)) and eof)
		s.close()
	with Fixture("slp", "truncated") as f:
		s = slp_hello(f.port)
		data, eof = tcp_read(s)
		ln, pos = read_varint(data, 0)
		check("slp truncated: length promises more, connection stays open",
		      len(data) - pos < ln and not eof)
		s.close()
	with Fixture("slp", "oversized") as f:
		s = slp_hello(f.port)
		data, _ = tcp_read(s)
		check("slp oversized: length 2^30", data and read_varint(data, 0)[0] == 1 << 30)
		s.close()
	with Fixture("slp", "wrongtype") as f:
		s = slp_hello(f.port)
		data, _ = tcp_read(s)
		check("slp wrongtype: packet id 5", data and read_varint(data, read_varint(data, 0)[1])[0] == 5)
		s.close()
	with Fixture("slp", "slowloris") as f:
		s = slp_hello(f.port)
		data, _ = tcp_read(s, quiet=DRIP_SECONDS / 2)
		check("slp slowloris: one byte, then none for a second", len(data) == 1)
		s.close()
	with Fixture("slp", "refuse") as f:
		s = socket.create_connection(("127.0.0.1", f.port))
		try:
			data, eof = tcp_read(s)
			reset = False
		except ConnectionResetError:
			reset, data = True, b""
		check("slp refuse: connection reset", reset and not data)
		s.close()
	with Fixture("slp", "silent") as f:
		s = slp_hello(f.port)
		data, eof = tcp_read(s, first=NOTHING)
		check("slp silent: nothing, connection open", data == b"" and not eof)
		s.close()
	with Fixture("slp", "garbage") as f1, Fixture("slp", "garbage") as f2:
		a, _ = tcp_read(slp_hello(f1.port))
		b, _ = tcp_read(slp_hello(f2.port))
		check("slp garbage: same seed, same bytes", a and a == b)


def self_test_rcon(check):
	def rcon_conn(port, password=RCON_PASSWORD):
		s = socket.create_connection(("127.0.0.1", port))
		s.sendall(rcon_packet(7, SERVERDATA_AUTH, password))
		return s

	with Fixture("rcon", "good") as f:
		s = rcon_conn(f.port, "wrong")
		check("rcon good: bad password gets id -1",
		      rcon_read(s, 1) == [(-1, SERVERDATA_AUTH_RESPONSE, b"")])
		s.close()
		s = rcon_conn(f.port)
		check("rcon good: auth", rcon_read(s, 1) == [(7, SERVERDATA_AUTH_RESPONSE, b"")])
		for i, (cmd, want) in enumerate((("list", RCON_LIST), ("tps", RCON_TPS),
						 ("mspt", RCON_MSPT), ("stop", "Unknown command"))):
			s.sendall(rcon_packet(10 + i, SERVERDATA_EXECCOMMAND, cmd))
			check("rcon good: %s" % cmd,
			      rcon_read(s, 1) == [(10 + i, SERVERDATA_RESPONSE_VALUE, want.encode())])
		s.sendall(rcon_packet(20, SERVERDATA_RESPONSE_VALUE, ""))
		check("rcon good: RESPONSE_VALUE mirrored, then the 00 01 00 00 marker",
		      rcon_read(s, 2) == [(20, 0, b""), (20, 0, RCON_END_MARKER)])
		s.close()
	with Fixture("rcon", "good", "--rcon-style", "source") as f:
		s = rcon_conn(f.port)
		check("rcon source style: empty RESPONSE_VALUE before AUTH_RESPONSE",
		      rcon_read(s, 2) == [(7, 0, b""), (7, 2, b"")])
		s.close()
	with Fixture("rcon", "multipacket") as f:
		s = rcon_conn(f.port)
		rcon_read(s, 1)
		s.sendall(rcon_packet(8, 2, "list") + rcon_packet(9, 0, ""))
		n = len(rcon_multi_list()) // RCON_MAX_BODY + 1
		pkts = rcon_read(s, n + 2)
		body = [p for p in pkts if p[0] == 8]
		check("rcon multipacket: %d packets of <= 4096 bytes, then the marker" % len(body),
		      len(body) >= 3 and all(len(p[2]) <= 4096 for p in body)
		      and b"".join(p[2] for p in body).decode() == rcon_multi_list()
		      and pkts[len(body):] == [(9, 0, b""), (9, 0, RCON_END_MARKER)])
		s.close()
	with Fixture("rcon", "truncated") as f:
		s = rcon_conn(f.port)
		rcon_read(s, 1)
		s.sendall(rcon_packet(8, 2, "list"))
		data, eof = tcp_read(s)
		check("rcon truncated: half a packet, connection open",
		      len(data) > 4 and len(data) - 4 < struct.unpack("<i", data[:4])[0] and not eof)
		s.close()
	with Fixture("rcon", "oversized") as f:
		s = rcon_conn(f.port)
		rcon_read(s, 1)
		s.sendall(rcon_packet(8, 2, "list"))
		data, _ = tcp_read(s)
		check("rcon oversized: size field 100 MB", data[:4] == struct.pack("<i", RCON_OVERSIZE))
		s.close()
	with Fixture("rcon", "wrongtype") as f:
		s = rcon_conn(f.port)
		a = rcon_read(s, 1)
		s2 = rcon_conn(f.port)
		b = rcon_read(s2, 1)
		more, _ = tcp_read(s2, first=NOTHING)
		check("rcon wrongtype: AUTH_RESPONSE with a wrong id, then a type-0 reply alone",
		      a == [(1007, 2, b"")] and b == [(7, 0, b"")] and more == b"")
		s.close()
		s2.close()
	with Fixture("rcon", "slowloris") as f:
		s = rcon_conn(f.port)
		data, _ = tcp_read(s, quiet=DRIP_SECONDS / 2)
		check("rcon slowloris: one byte, then none for a second", len(data) == 1)
		s.close()
	with Fixture("rcon", "refuse") as f:
		s = socket.create_connection(("127.0.0.1", f.port))
		time.sleep(0.1)
		try:
			s.sendall(rcon_packet(7, 3, RCON_PASSWORD))
			data, eof = tcp_read(s)
			reset = False
		except (ConnectionResetError, BrokenPipeError):
			reset, data = True, b""
		check("rcon refuse: connection reset", reset and not data)
		s.close()
	with Fixture("rcon", "silent") as f:
		s = rcon_conn(f.port)
		data, eof = tcp_read(s, first=NOTHING)
		check("rcon silent: nothing", data == b"" and not eof)
		s.close()
	with Fixture("rcon", "garbage") as f:
		s = rcon_conn(f.port)
		data, _ = tcp_read(s)
		check("rcon garbage: random bytes, as seeded",
		      data and data == seeded_garbage(1))
		s.close()


def self_test():
	"""Each protocol's modes against the small clients above; the four
	protocols run side by side to keep it short."""
	t0 = time.monotonic()
	results = {}
	lines = {}

	def group(fn):
		res = results[fn] = []
		out = lines[fn] = []

		def check(what, cond):
			res.append(bool(cond))
			out.append(("ok: " if cond else "FAIL: ") + what)
		try:
			fn(check)
		except Exception as e:  # a crash is one failure, not a hang
			check("%s raised %r" % (fn.__name__, e), False)
	groups = [self_test_q3, self_test_a2s, self_test_slp, self_test_rcon]
	threads = [threading.Thread(target=group, args=(fn,)) for fn in groups]
	for t in threads:
		t.start()
	for t in threads:
		t.join()
	for fn in groups:
		print("\n".join(lines[fn]))
	passed = sum(r.count(True) for r in results.values())
	failed = sum(r.count(False) for r in results.values())
	print("self-test took %.1f s" % (time.monotonic() - t0))
	print("%d passed, %d failed" % (passed, failed))
	return 1 if failed else 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
