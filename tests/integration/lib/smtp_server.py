#!/usr/bin/python3
"""A real SMTP server on loopback (Debian's python3-aiosmtpd) that takes mail
only after STARTTLS and saves each message, for tests of fleetop's email
notifier.

  smtp_server.py --port PORT --cert CERT --key KEY --log FILE
                 [--user NAME --password-file FILE [--auth-required]]
  smtp_server.py --port PORT --no-tls --log FILE [--user ...]
  smtp_server.py --self-test

Prints "ready PORT" on stdout once listening. STARTTLS is required before
MAIL (530 otherwise); AUTH LOGIN/PLAIN is offered only over TLS and, with
--user, takes that one login and password (535 for anything else). Each
message is one JSON line in FILE: {"t", "mail_from", "rcpt_tos", "data",
"tls", "tls_version", "auth_login", "peer"}. Each AUTH is logged too:
{"event": "auth", "ok", "login", "mechanism", "tls"}.

--no-tls: a server that offers no STARTTLS at all (and AUTH in the clear),
for showing that a client that requires STARTTLS sends nothing to it.

Run it with Debian's /usr/bin/python3: aiosmtpd is a Debian package there.
Make a throwaway certificate with:
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
      -addext subjectAltName=IP:127.0.0.1 -keyout KEY -out CERT
"""
import argparse
import json
import ssl
import sys
import threading
import logging
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd 1.4 warns about its own use of Session.login_data on every AUTH.
logging.getLogger("mail.log").setLevel(logging.ERROR)


class Saver:
    def __init__(self, log_path):
        self.log_path = log_path
        self.lock = threading.Lock()

    def write(self, obj):
        with self.lock, open(self.log_path, "a") as f:
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")

    async def handle_DATA(self, server, session, envelope):
        tls = session.ssl is not None
        auth = session.auth_data
        self.write({"t": time.time(), "mail_from": envelope.mail_from,
                    "rcpt_tos": list(envelope.rcpt_tos),
                    "data": envelope.content.decode("utf-8", errors="replace"),
                    "tls": tls,
                    "tls_version": server.transport.get_extra_info("ssl_object").version()
                    if tls else None,
                    "auth_login": auth.login.decode() if isinstance(auth, LoginPassword)
                    else None,
                    "peer": list(session.peer) if session.peer else None})
        return "250 Message accepted for delivery"


class Authenticator:
    def __init__(self, saver, user, password):
        self.saver, self.user, self.password = saver, user, password

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode(errors="replace")
        good = login == self.user and \
            auth_data.password.decode(errors="replace") == self.password
        self.saver.write({"event": "auth", "t": time.time(), "ok": good, "login": login,
                          "mechanism": mechanism, "tls": session.ssl is not None})
        if good:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)


def start(port, cert, key, log, user=None, password=None, auth_required=False, tls=True):
    saver = Saver(log)
    kw = {}
    if tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        kw.update(tls_context=ctx, require_starttls=True, auth_require_tls=True)
    else:
        kw.update(auth_require_tls=False)
    if user:
        kw["authenticator"] = Authenticator(saver, user, password)
        kw["auth_required"] = auth_required
    c = Controller(saver, hostname="127.0.0.1", port=port,
                   server_hostname="mail.fleetop.test", **kw)
    c.start()
    return c


def self_test():
    import os
    import smtplib
    import subprocess
    import tempfile
    import socket
    d = tempfile.mkdtemp()
    cert, key, log = (os.path.join(d, n) for n in ("cert.pem", "key.pem", "log"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = start(port, cert, key, log, "fleetop", "pw-123", auth_required=True)
    msg = "From: a@x.test\r\nTo: b@x.test\r\nSubject: hi\r\n\r\nbody\r\n"
    with smtplib.SMTP("127.0.0.1", port) as m:
        m.ehlo()
        try:
            m.sendmail("a@x.test", ["b@x.test"], msg)
            raise AssertionError("mail taken without STARTTLS")
        except smtplib.SMTPException:
            pass
    with smtplib.SMTP("127.0.0.1", port) as m:
        m.starttls(context=ssl.create_default_context(cafile=cert))
        try:
            m.login("fleetop", "wrong")
            raise AssertionError("wrong password taken")
        except smtplib.SMTPAuthenticationError:
            pass
        m.login("fleetop", "pw-123")
        m.sendmail("a@x.test", ["b@x.test", "c@x.test"], msg)
    c.stop()
    lines = [json.loads(ln) for ln in open(log)]
    mails = [x for x in lines if "data" in x]
    assert len(mails) == 1 and mails[0]["tls"] and mails[0]["auth_login"] == "fleetop", lines
    assert mails[0]["rcpt_tos"] == ["b@x.test", "c@x.test"]
    auths = [(x["ok"], x["tls"]) for x in lines if x.get("event") == "auth"]
    assert auths[0] == (False, True) and auths[-1] == (True, True), auths
    print("self-test ok (%s)" % mails[0]["tls_version"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--log")
    ap.add_argument("--user")
    ap.add_argument("--password-file")
    ap.add_argument("--auth-required", action="store_true")
    ap.add_argument("--no-tls", action="store_true")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        self_test()
        return
    if not (a.port and a.log and (a.no_tls or (a.cert and a.key))):
        ap.error("--port, --log and --cert, --key (or --no-tls) are required")
    password = open(a.password_file).read().strip() if a.password_file else None
    start(a.port, a.cert, a.key, a.log, a.user, password, a.auth_required, not a.no_tls)
    print("ready %d" % a.port, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
