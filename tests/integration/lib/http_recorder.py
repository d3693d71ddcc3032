#!/usr/bin/env python3
"""A real HTTP/1.1 server on loopback that records what notifiers post and
answers the way the service behind the path would, or the way a test asks.

  http_recorder.py --port PORT --log FILE --mode FILE [--addr 127.0.0.1]
  http_recorder.py --self-test

Prints "ready PORT" on stdout once listening (PORT 0 picks a free one).

Log: one JSON object a line, appended and flushed at once, so a test can read
it while the server runs (and after a kill -9 of the client):
  {"event": "start", "id": N, "t": EPOCH, "method", "path", "headers": [[name,
   value], ...], "body": TEXT, "body_len": BYTES, "service", "mode", "peer"}
      written as soon as the whole request is read, before any answer;
  {"event": "end", "id": N, "t": EPOCH, "status": CODE, "sent": true|false}
      once the answer is written (sent false: the client was gone);
  {"event": "hang-end", "id": N, "t": EPOCH, "held": SECS}
      when the client gave up on a request held by `hang`.

The service is the first path segment when it names one (/discord/...,
/slack/..., /teams/..., /pagerduty/..., /webhook/..., /sms/..., /github/...,
/jira/...), else it is guessed from the rest of the path as the real URLs
look (/api/webhooks/ is Discord, /v2/enqueue PagerDuty, ...).

Mode file: re-read on every request, so a test switches modes live by
rewriting it. A line "MODE" applies to every service; a line
"SERVICE: MODE" only to that service and wins over the plain line. Missing
file or empty line: ok.
  ok             answer as the service does: Discord 204 (200 with the
                 message under ?wait=true), Slack 200 "ok", Teams 200 "1",
                 PagerDuty 202 {"status":"success","message":"Event
                 processed","dedup_key":...}, webhook 200, Twilio 201 with a
                 message resource, GitHub 201 with an issue, Jira 201 with
                 {"id","key","self"}
  CODE N         answer the next N requests with CODE (e.g. "500 2",
                 "400 1", "503 1"), then ok
  429 SECS       once: 429 with "Retry-After: SECS", then ok
  503 SECS r     once: 503 with "Retry-After: SECS", then ok
  discord429 SECS
                 once: 429 with Discord's JSON body {"message": "You are
                 being rate limited.", "retry_after": SECS, "global": false}
                 and no Retry-After header, then ok
  hang           read the request, never answer; the connection is closed
                 only when the client closes it (or after 120 s)
  slow SECS      answer ok after SECS
Counted modes rewrite their own line as they are used up ("500 2" becomes
"500 1", then "ok"), so the file always says what comes next.

Standard library only (python3 -m http.server's machinery), so any test
machine with python3 runs it.
"""
import argparse
import base64
import hashlib
import json
import os
import select
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICES = ("discord", "slack", "teams", "pagerduty", "webhook", "sms", "github", "jira")


def service_of(path):
    """Which service a request path is meant for (shared with check_payloads.py)."""
    p = urllib.parse.urlsplit(path).path
    first = p.strip("/").split("/")[0].lower() if p.strip("/") else ""
    if first in SERVICES:
        return first
    if "/api/webhooks/" in p:
        return "discord"
    if p.startswith("/services/"):
        return "slack"
    if "/IncomingWebhook/" in p or "/webhookb2/" in p or "/workflows/" in p:
        return "teams"
    if p.endswith("/v2/enqueue"):
        return "pagerduty"
    if p.endswith("/Messages.json"):
        return "sms"
    if "/repos/" in p and p.endswith("/issues"):
        return "github"
    if "/rest/api/" in p:
        return "jira"
    return "webhook"


class Modes:
    """The mode file: read on every request; counted modes rewrite their line."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def _read(self):
        try:
            with open(self.path) as f:
                return [ln.rstrip("\n") for ln in f]
        except FileNotFoundError:
            return []

    def _write(self, lines):
        tmp = self.path + ".tmp%d" % threading.get_ident()
        with open(tmp, "w") as f:
            f.write("".join(ln + "\n" for ln in lines))
        os.replace(tmp, self.path)

    def take(self, service):
        """The mode for one request of service, as a list of words."""
        with self.lock:
            lines = self._read()
            idx = None
            for i, ln in enumerate(lines):
                s = ln.strip()
                if s.lower().startswith(service + ":"):
                    idx = i
                    break
            if idx is None:
                for i, ln in enumerate(lines):
                    s = ln.strip()
                    if s and not s.startswith("#") and ":" not in s.split()[0]:
                        idx = i
                        break
            if idx is None:
                return ["ok"]
            line = lines[idx].strip()
            prefix = ""
            if line.lower().startswith(service + ":"):
                prefix = line[: len(service) + 1] + " "
                line = line[len(service) + 1:].strip()
            words = line.split() or ["ok"]
            nxt = None
            head = words[0].lower()
            if head in ("429", "discord429") or (head == "503" and words[2:3] == ["r"]):
                nxt = "ok"  # once
            elif head.isdigit() and len(words) >= 2:
                left = int(words[1]) - 1
                nxt = "ok" if left <= 0 else "%s %d" % (words[0], left)
            if nxt is not None:
                lines[idx] = prefix + nxt
                self._write(lines)
            return words


class Recorder(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, log_path, mode_path):
        super().__init__(addr, Handler)
        self.log_file = open(log_path, "a")
        # A restarted recorder goes on numbering where the log left off.
        try:
            starts = sum(1 for ln in open(log_path) if '"event": "start"' in ln)
        except OSError:
            starts = 0
        self.log_lock = threading.Lock()
        self.modes = Modes(mode_path)
        self.seq = starts
        self.issues = 0  # GitHub/Jira issue numbers
        self.seq_lock = threading.Lock()

    def log(self, obj):
        line = json.dumps(obj, ensure_ascii=False)
        with self.log_lock:
            self.log_file.write(line + "\n")
            self.log_file.flush()

    def next_id(self):
        with self.seq_lock:
            self.seq += 1
            return self.seq

    def next_issue(self):
        with self.seq_lock:
            self.issues += 1
            return self.issues


def fake_id(text, n=32):
    return hashlib.sha256(text.encode()).hexdigest()[:n]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as libcurl expects
    server_version = "fleetop-recorder/1"

    def log_message(self, fmt, *args):  # the JSON log is the log
        pass

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _handle(self):
        body = self._read_body()
        srv = self.server
        rid = srv.next_id()
        service = service_of(self.path)
        mode = srv.modes.take(service)
        text = body.decode("utf-8", errors="replace")
        srv.log({"event": "start", "id": rid, "t": time.time(), "method": self.command,
                 "path": self.path, "headers": [[k, v] for k, v in self.headers.items()],
                 "body": text, "body_len": len(body), "service": service,
                 "mode": " ".join(mode), "peer": self.client_address[1]})
        head = mode[0].lower()
        if head == "hang":
            self._hang(rid)
            return
        if head == "slow":
            time.sleep(float(mode[1]) if len(mode) > 1 else 3.0)
            head = "ok"
        if head == "ok":
            status, headers, payload = self._ok(service, text)
        elif head == "discord429":
            secs = float(mode[1]) if len(mode) > 1 else 1.0
            status, headers = 429, [("Content-Type", "application/json")]
            payload = json.dumps({"message": "You are being rate limited.",
                                  "retry_after": secs, "global": False}).encode()
        elif head.isdigit():
            status = int(head)
            headers, payload = [("Content-Type", "text/plain")], b"simulated error\n"
            if status == 429 or (status == 503 and mode[2:3] == ["r"]):
                headers.append(("Retry-After", mode[1] if len(mode) > 1 else "1"))
                payload = b"rate limited\n"
        else:
            status, headers, payload = 500, [("Content-Type", "text/plain")], \
                ("unknown mode %r\n" % " ".join(mode)).encode()
        sent = True
        try:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            if status != 204:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if status != 204 and payload:
                self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            sent = False
            self.close_connection = True
        srv.log({"event": "end", "id": rid, "t": time.time(), "status": status, "sent": sent})

    def _hang(self, rid):
        """Holds the request without answering until the client closes."""
        t0 = time.time()
        sock = self.connection
        while time.time() - t0 < 120:
            r, _, _ = select.select([sock], [], [], 0.1)
            if r:
                try:
                    if sock.recv(1, socket.MSG_PEEK) == b"":
                        break
                except OSError:
                    break
                # The client sent more (a pipelined request): still no answer.
                time.sleep(0.1)
        self.close_connection = True
        self.server.log({"event": "hang-end", "id": rid, "t": time.time(),
                         "held": round(time.time() - t0, 3)})

    def _ok(self, service, text):
        js = [("Content-Type", "application/json; charset=utf-8")]
        try:
            data = json.loads(text) if text.lstrip().startswith("{") else None
        except ValueError:
            data = None
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if service == "discord":
            if query.get("wait", ["false"])[0].lower() == "true":
                msg = {"id": str(int(time.time() * 1000)), "type": 0, "channel_id": "1",
                       "content": (data or {}).get("content", ""),
                       "embeds": (data or {}).get("embeds", [])}
                return 200, js, json.dumps(msg).encode()
            return 204, [], b""
        if service == "slack":
            return 200, [("Content-Type", "text/html")], b"ok"
        if service == "teams":
            return 200, [("Content-Type", "text/plain")], b"1"
        if service == "pagerduty":
            dedup = (data or {}).get("dedup_key") or fake_id(text)
            return 202, js, json.dumps({"status": "success", "message": "Event processed",
                                        "dedup_key": dedup}).encode()
        if service == "sms":
            form = urllib.parse.parse_qs(text)
            path = urllib.parse.urlsplit(self.path).path
            sid = "SM" + fake_id(text + str(time.time()))
            acct = path.split("/Accounts/")[1].split("/")[0] if "/Accounts/" in path else ""
            msg = {"sid": sid, "account_sid": acct, "to": form.get("To", [""])[0],
                   "from": form.get("From", [""])[0], "body": form.get("Body", [""])[0],
                   "status": "queued", "num_segments": "1", "direction": "outbound-api",
                   "api_version": "2010-04-01", "error_code": None, "error_message": None,
                   "uri": "%s/%s.json" % (path[: -len(".json")], sid)}
            return 201, js, json.dumps(msg).encode()
        if service == "github":
            base = "http://%s:%d" % self.server.server_address
            path = urllib.parse.urlsplit(self.path).path
            num = self.server.next_issue()
            issue = {"id": 1000 + num, "number": num, "state": "open",
                     "title": (data or {}).get("title", ""), "body": (data or {}).get("body"),
                     "labels": [{"name": n} for n in (data or {}).get("labels", [])
                                if isinstance(n, str)],
                     "url": "%s%s/%d" % (base, path, num),
                     "html_url": "%s%s/%d" % (base, path, num)}
            return 201, js + [("Location", issue["url"])], json.dumps(issue).encode()
        if service == "jira":
            num = self.server.next_issue()
            key = ((data or {}).get("fields", {}).get("project", {}) or {}).get("key", "X")
            base = "http://%s:%d" % self.server.server_address
            return 201, js, json.dumps({"id": str(10000 + num), "key": "%s-%d" % (key, num),
                                        "self": "%s/rest/api/2/issue/%d" % (base, 10000 + num)
                                        }).encode()
        return 200, [("Content-Type", "text/plain")], b""

    do_POST = _handle
    do_PUT = _handle
    do_GET = _handle
    do_PATCH = _handle


def self_test():
    """Starts a recorder on a free port and drives each mode once."""
    import tempfile
    import http.client
    d = tempfile.mkdtemp()
    log, mode = os.path.join(d, "log"), os.path.join(d, "mode")
    srv = Recorder(("127.0.0.1", 0), log, mode)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]

    def post(path, body=b"{}", timeout=5):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("POST", path, body, {"Content-Type": "application/json"})
        r = c.getresponse()
        out = (r.status, dict(r.getheaders()), r.read())
        c.close()
        return out

    assert post("/discord/api/webhooks/1/tok")[0] == 204
    assert post("/api/webhooks/1/tok?wait=true", b'{"content":"x"}')[0] == 200
    st, _, b = post("/pagerduty/v2/enqueue", b'{"dedup_key":"k1"}')
    assert st == 202 and json.loads(b)["dedup_key"] == "k1", b
    assert post("/github/repos/o/r/issues", b'{"title":"t"}')[0] == 201
    assert post("/jira/rest/api/2/issue", b'{"fields":{"project":{"key":"OPS"}}}')[0] == 201
    assert post("/sms/2010-04-01/Accounts/AC1/Messages.json", b"To=%2B1&From=%2B2&Body=x")[0] == 201
    open(mode, "w").write("500 2\n")
    assert [post("/webhook/x")[0] for _ in range(3)] == [500, 500, 200]
    assert open(mode).read().strip() == "ok"
    open(mode, "w").write("429 2\n")
    st, h, _ = post("/webhook/x")
    assert st == 429 and h.get("Retry-After") == "2", (st, h)
    assert post("/webhook/x")[0] == 200
    open(mode, "w").write("discord429 1.5\n")
    st, h, b = post("/discord/x")
    assert st == 429 and "Retry-After" not in h and json.loads(b)["retry_after"] == 1.5
    open(mode, "w").write("ok\nwebhook: 503 1\n")
    assert post("/discord/x")[0] == 204 and post("/webhook/x")[0] == 503
    assert post("/webhook/x")[0] == 200
    open(mode, "w").write("hang\n")
    t0 = time.time()
    try:
        post("/webhook/x", timeout=0.5)
        raise AssertionError("hang answered")
    except socket.timeout:
        pass
    open(mode, "w").write("slow 0.3\n")
    t0 = time.time()
    assert post("/slack/x")[0] == 200 and time.time() - t0 >= 0.3
    time.sleep(0.3)
    events = [json.loads(ln) for ln in open(log)]
    starts = [e for e in events if e["event"] == "start"]
    assert len(starts) == 17, len(starts)
    assert any(e["event"] == "hang-end" for e in events)
    print("self-test ok (%d requests)" % len(starts))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log")
    ap.add_argument("--mode")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        self_test()
        return
    if not a.log or not a.mode:
        ap.error("--log and --mode are required")
    srv = Recorder((a.addr, a.port), a.log, a.mode)
    print("ready %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
