#!/usr/bin/env python3
"""Self-tests of the integration tests' oracles that have none of their own,
or whose own leaves parts out:

  oracle_selftest.py [--lib DIR]

- recorder_log.py (imported by the notify tests): requests with their key
  from the Idempotency-Key header or the body's fleetopKey, answers and
  hangs joined to their request, ok() only for a 2xx, a missing log as no
  requests, and a line that is not JSON refused rather than skipped;
- hooks.py (CLI): alert lines of a good Alertmanager payload, --first's
  arrival time, exit 1 when there is none, exit 2 for a request that is not
  a payload (never taken for "nothing arrived");
- check_payloads.py (CLI, as the tests run it): a good request of each
  service its --self-test leaves out (Slack, Teams, Twilio, GitHub, Jira)
  and a good email are accepted; one broken copy of each is refused (exit 1,
  a FAIL line); a secret outside its place, an --expect count that does not
  match and a log line that is not JSON are refused too;
- smtp_server.py (what its --self-test leaves out): a login before
  STARTTLS is refused even when the password is right, and a server that
  needs no login still refuses mail before STARTTLS (its own self-test's
  mail without STARTTLS is refused for want of a login alone).
DIR (default: this file's folder) is where the oracles are read from, so a
test can point it at a deliberately broken copy and see this fail. Prints a
line a check; exit 0 when all pass, 1 otherwise.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

FAILS = []


def check(what, cond):
    print("%s: %s" % ("ok" if cond else "FAIL", what))
    if not cond:
        FAILS.append(what)


def write_log(path, events):
    with open(path, "w") as f:
        for e in events:
            f.write((e if isinstance(e, str) else json.dumps(e)) + "\n")


def start(i, path, body, headers=None, t=100.0):
    h = [["Content-Type", "application/json"], ["Idempotency-Key", "key-%d" % i]]
    return {"event": "start", "id": i, "t": t, "method": "POST", "path": path,
            "headers": h if headers is None else headers, "service": path.split("/")[1],
            "body": body if isinstance(body, str) else json.dumps(body)}


def test_recorder_log(lib, d):
    sys.path.insert(0, lib)
    import recorder_log as rl
    log = os.path.join(d, "rl.log")
    write_log(log, [
        start(1, "/webhook/a", {"x": 1}, t=10.0),
        start(2, "/webhook/a", {"fleetopKey": "body-key"},
              headers=[["Content-Type", "application/json"]], t=11.0),
        start(3, "/discord/a", "not json", headers=[], t=12.0),
        {"event": "end", "id": 1, "t": 10.5, "status": 200, "sent": True},
        {"event": "end", "id": 2, "t": 11.5, "status": 503, "sent": True},
        {"event": "hang-end", "id": 3, "t": 20.0, "held": 8.0},
        {"event": "end", "id": 99, "t": 30.0, "status": 200, "sent": True},
    ])
    reqs = rl.load(log)
    check("recorder_log: three requests, in order", [r["id"] for r in reqs] == [1, 2, 3])
    check("recorder_log: key from the Idempotency-Key header", reqs[0]["key"] == "key-1")
    check("recorder_log: key from the body's fleetopKey", reqs[1]["key"] == "body-key")
    check("recorder_log: no key in an unparsable body", reqs[2]["key"] is None)
    check("recorder_log: an answer joins its request",
          (reqs[0]["end"], reqs[0]["status"], reqs[0]["sent"]) == (10.5, 200, True))
    check("recorder_log: a hang's end joins its request",
          reqs[2]["held"] == 8.0 and reqs[2]["end"] is None)
    check("recorder_log: headers by lower-case name",
          reqs[0]["headers"].get("idempotency-key") == "key-1")
    check("recorder_log: ok() for a 2xx only",
          rl.ok(reqs[0]) and not rl.ok(reqs[1]) and not rl.ok(reqs[2]))
    check("recorder_log: for_key", [r["id"] for r in rl.for_key(reqs, "body-key")] == [2])
    check("recorder_log: a missing log is no requests",
          rl.load(os.path.join(d, "nothing-here")) == [])
    write_log(log, [start(1, "/webhook/a", {}), "{broken"])
    try:
        rl.load(log)
        refused = False
    except ValueError:
        refused = True
    check("recorder_log: a line that is not JSON is refused", refused)


def alertmanager(status, host, alert_status=None):
    return {"version": "4", "status": status, "alerts": [
        {"status": alert_status or status, "labels": {"rule": "r", "host": host}}]}


def run(argv):
    p = subprocess.run([sys.executable] + argv, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def test_hooks(lib, d):
    hooks = os.path.join(lib, "hooks.py")
    log = os.path.join(d, "hooks.log")
    write_log(log, [start(1, "/webhook/main", alertmanager("firing", "h1"), t=5.0),
                    {"event": "end", "id": 1, "t": 5.1, "status": 200, "sent": True},
                    start(2, "/webhook/main", alertmanager("resolved", "h1"), t=6.0),
                    start(3, "/webhook/late", alertmanager("firing", "h2"), t=7.0)])
    rc, out = run([hooks, log])
    check("hooks: one line an alert, requests only",
          rc == 0 and out.splitlines() == ["/webhook/main firing firing r h1 5.000",
                                           "/webhook/main resolved resolved r h1 6.000",
                                           "/webhook/late firing firing r h2 7.000"])
    rc, out = run([hooks, log, "--first", "/webhook/late", "h2"])
    check("hooks --first: the arrival time", rc == 0 and out.strip() == "7.000")
    rc, out = run([hooks, log, "--first", "/webhook/main", "h2"])
    check("hooks --first: exit 1 when there is none at that path", rc == 1 and not out.strip())
    rc, _ = run([hooks, os.path.join(d, "no-log"), "--first", "/webhook/main", "h1"])
    check("hooks --first: exit 1 when nothing arrived at all", rc == 1)
    write_log(log, [start(1, "/webhook/main", "{not a payload"),
                    start(2, "/webhook/main", alertmanager("firing", "h1"))])
    rc, _ = run([hooks, log, "--first", "/webhook/main", "h9"])
    check("hooks --first: exit 2 for a request that is not a payload", rc == 2)
    rc, _ = run([hooks, log, "--bogus"])
    check("hooks: exit 2 for a usage error", rc == 2)


def basic(user, pw):
    return "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()


GOOD = {
    "slack": ("/slack/services/T/B/SECRETS", {
        "text": "cpu &lt;80%&gt; on mc-1", "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "cpu high"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*mc-1* 94%"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "key-1"}]}]}, None),
    "teams": ("/teams/webhookb2/SECRETT", {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "content": {
            "type": "AdaptiveCard", "version": "1.4",
            "body": [{"type": "TextBlock", "text": "cpu high"}]}}]}, None),
    "sms": ("/sms/2010-04-01/Accounts/AC1/Messages.json", "To=%2B15550001&From=%2B15550002&Body=cpu+high",
            [["Content-Type", "application/x-www-form-urlencoded"],
             ["Authorization", basic("AC1", "SECRETTOK")]]),
    "github": ("/github/repos/ops/fleet/issues", {"title": "cpu high", "body": "mc-1",
                                                  "labels": ["alert"]},
               [["Authorization", "Bearer SECRETGH"], ["X-GitHub-Api-Version", "2022-11-28"],
                ["User-Agent", "fleetop"], ["Accept", "application/vnd.github+json"]]),
    "jira": ("/jira/rest/api/2/issue", {"fields": {
        "project": {"key": "OPS"}, "summary": "cpu high", "issuetype": {"name": "Bug"},
        "description": "mc-1 94%", "labels": ["fleetop"]}},
        [["Authorization", basic("bot", "SECRETJ")]]),
}
SECRETS = ["SECRETS", "SECRETT", "SECRETTOK", "SECRETGH", "SECRETJ"]


def broken_copies():
    """(service, what is wrong, path, body, headers), one for each service."""
    out = []
    p, b, h = GOOD["slack"]
    out.append(("slack", "unescaped <", p, dict(b, text="cpu <80%> & more"), h))
    p, b, h = GOOD["teams"]
    card = json.loads(json.dumps(b))
    card["attachments"][0]["content"]["type"] = "MessageCard"
    out.append(("teams", "not an AdaptiveCard", p, card, h))
    p, b, h = GOOD["sms"]
    out.append(("sms", "no Body", p, "To=%2B15550001&From=%2B15550002", h))
    p, b, h = GOOD["github"]
    out.append(("github", "no User-Agent", p, b, [x for x in h if x[0] != "User-Agent"]))
    p, b, h = GOOD["jira"]
    f = json.loads(json.dumps(b))
    f["fields"]["summary"] = "two\nlines"
    out.append(("jira", "a summary with a line break", p, f, h))
    p, b, h = GOOD["github"]
    out.append(("github", "its token in the body", p, dict(b, body="token SECRETGH"), h))
    return out


def headers_for(i, h):
    base = [["Content-Type", "application/json"], ["Idempotency-Key", "key-%d" % i]]
    if h is None:
        return base
    names = {k.lower() for k, _ in h}
    return [x for x in base if x[0].lower() not in names] + h


def test_check_payloads(lib, d):
    cp = os.path.join(lib, "check_payloads.py")
    log = os.path.join(d, "cp.log")
    secrets = sum((["--secret", s] for s in SECRETS), [])
    good = [start(i, p, b, headers_for(i, h))
            for i, (p, b, h) in enumerate(GOOD.values(), 1)]
    for e in good:
        write_log(log, [e])
        rc, out = run([cp, "--log", log] + secrets)
        check("check_payloads: a good %s request is accepted" % e["service"],
              rc == 0 and "FAIL" not in out)
    write_log(log, good)
    expects = sum((["--expect", "%s=1" % s] for s in GOOD), [])
    rc, out = run([cp, "--log", log, "--quiet"] + secrets + expects)
    check("check_payloads: all five together, counts as expected", rc == 0)
    rc, out = run([cp, "--log", log, "--quiet", "--expect", "slack=2"] + secrets)
    check("check_payloads: an --expect count that does not match is refused",
          rc == 1 and "FAIL slack: 1 requests, expected 2" in out)
    for i, (svc, what, p, b, h) in enumerate(broken_copies(), 1):
        write_log(log, [start(i, p, b, headers_for(i, h))])
        rc, out = run([cp, "--log", log] + secrets)
        check("check_payloads: %s with %s is refused" % (svc, what),
              rc == 1 and ("FAIL %s" % svc) in out)
    write_log(log, [good[0], "{not json"])
    rc, out = run([cp, "--log", log] + secrets)
    check("check_payloads: a log line that is not JSON is refused", rc == 1 and "not JSON" in out)
    write_log(log, [start(1, "/slack/x", GOOD["slack"][1],
                          [["Content-Type", "application/json"]])])
    rc, out = run([cp, "--log", log])
    check("check_payloads: a request without an Idempotency-Key is refused",
          rc == 1 and "no Idempotency-Key" in out)

    smtp = os.path.join(d, "smtp.log")
    mail = ("From: fleetop <alerts@x.test>\r\nTo: ops@x.test\r\nSubject: cpu high\r\n"
            "Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@x.test>\r\n\r\ncpu high\r\n")
    good_mail = {"mail_from": "alerts@x.test", "rcpt_tos": ["ops@x.test"], "data": mail,
                 "tls": True, "auth_login": "fleetop"}
    write_log(smtp, [{"event": "auth", "ok": True, "tls": True}, good_mail])
    rc, out = run([cp, "--smtp", smtp, "--mail-from", "alerts@x.test", "--mail-to",
                   "ops@x.test", "--text", "cpu high", "--expect", "email=1"])
    check("check_payloads: a good email is accepted", rc == 0 and "FAIL" not in out)
    write_log(smtp, [dict(good_mail, tls=False)])
    rc, out = run([cp, "--smtp", smtp])
    check("check_payloads: an email without TLS is refused", rc == 1 and "without TLS" in out)
    write_log(smtp, [dict(good_mail, data=mail.replace("Message-ID: <1@x.test>\r\n", ""))])
    rc, out = run([cp, "--smtp", smtp])
    check("check_payloads: an email without Message-ID is refused",
          rc == 1 and "Message-ID missing" in out)


def test_smtp(lib, d):
    import smtplib
    import socket
    sys.path.insert(0, lib)
    import smtp_server
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)

    def free_port():
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    msg = "From: a@x.test\r\nTo: b@x.test\r\nSubject: hi\r\n\r\nbody\r\n"
    log = os.path.join(d, "smtp-auth.log")
    port = free_port()
    c = smtp_server.start(port, cert, key, log, "fleetop", "pw-123", auth_required=True)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as m:
            m.ehlo()
            try:
                m.esmtp_features["auth"] = "LOGIN PLAIN"  # offer it or not, try it
                m.login("fleetop", "pw-123")
                taken = True
            except smtplib.SMTPException:
                taken = False
        check("smtp_server: a right login before STARTTLS is refused", not taken)
    finally:
        c.stop()
    log = os.path.join(d, "smtp-open.log")
    port = free_port()
    c = smtp_server.start(port, cert, key, log)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as m:
            m.ehlo()
            try:
                m.sendmail("a@x.test", ["b@x.test"], msg)
                taken = True
            except smtplib.SMTPException:
                taken = False
        check("smtp_server: mail before STARTTLS is refused (no login needed)", not taken)
        import ssl
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as m:
            m.starttls(context=ssl.create_default_context(cafile=cert))
            m.sendmail("a@x.test", ["b@x.test"], msg)
    finally:
        c.stop()
    mails = [json.loads(ln) for ln in open(log)]
    check("smtp_server: mail after STARTTLS is taken and logged with tls",
          len(mails) == 1 and mails[0]["tls"] is True)


def main(argv):
    lib = os.path.dirname(os.path.abspath(__file__))
    if len(argv) == 3 and argv[1] == "--lib":
        lib = os.path.abspath(argv[2])
    elif len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as d:
        for t in (test_recorder_log, test_hooks, test_check_payloads, test_smtp):
            try:
                t(lib, d)
            except Exception as e:  # an oracle that crashes fails its test
                check("%s ran without an exception (%s: %s)" % (t.__name__, type(e).__name__, e),
                      False)
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
