#!/usr/bin/env python3
"""Checks requests recorded by http_recorder.py (and messages saved by
smtp_server.py) against each service's documented shape, and that no secret
shows up anywhere but where the service expects it.

  check_payloads.py [--log RECORDER_LOG] [--smtp SMTP_LOG]
                    [--secret VALUE]... [--expect SERVICE=N]... [--text TEXT]
                    [--user SERVICE=NAME]... [--project SERVICE=KEY]...
                    [--mail-from ADDR] [--mail-to ADDR,ADDR] [--quiet]
  check_payloads.py --self-test

Prints one line per request (ok/FAIL, service, what is wrong) and exits 1
when anything is wrong or an --expect count does not match. --text: every
request and message must carry this text (the `notify test -m` message).

Shapes, from the services' own documentation:
- Discord, Execute Webhook: content <= 2000 characters and/or embeds (<= 10);
  an embed's title <= 256, description <= 4096, fields <= 25 (name <= 256,
  value <= 1024, both non-empty), footer.text <= 2048, author.name <= 256,
  and all of those across all embeds <= 6000; username <= 80. Our contract:
  an embed's footer text carries the idempotency key.
- Slack incoming webhook: text and/or blocks (<= 50, each with a type;
  section text <= 3000, header plain_text <= 150); with blocks, text is the
  notification fallback, so we want it too.
- Microsoft Teams incoming webhook: {"type": "message", "attachments": [{
  "contentType": "application/vnd.microsoft.card.adaptive", "content":
  {"type": "AdaptiveCard", "version", "body": [...]}}]}, <= 28 KB.
- PagerDuty Events API v2: routing_key (the 32-character integration key),
  event_action trigger|acknowledge|resolve, dedup_key <= 255 (required by our
  contract: stable per alert group); for trigger: payload.summary (1..1024),
  payload.source, payload.severity critical|error|warning|info.
- Alertmanager webhook (version "4"): version, groupKey, truncatedAlerts,
  status, receiver, groupLabels, commonLabels, commonAnnotations,
  externalURL, alerts[] with status, labels (with alertname, as receivers
  written for Alertmanager expect), annotations, startsAt, endsAt,
  generatorURL, fingerprint. Our contract: top-level "fleetopKey" equal to the
  Idempotency-Key header.
- Twilio Messages (form POST to .../Accounts/SID/Messages.json): To, From (or
  MessagingServiceSid), Body (<= 1600 characters); HTTP basic auth SID:token.
- GitHub create issue (POST /repos/OWNER/REPO/issues): title (required),
  body, labels (strings); Authorization: Bearer TOKEN, X-GitHub-Api-Version
  (a date), a User-Agent (GitHub refuses requests without one).
- Jira create issue (POST /rest/api/2|3/issue): fields.project.key,
  fields.summary (<= 255), fields.issuetype.name (or id), fields.description
  (a string in v2, an Atlassian document in v3); Authorization.
- Every HTTP request: POST, an Idempotency-Key header.
- Email: over TLS, From/To/Subject/Date/Message-ID present, envelope sender
  and recipients as configured.

Secrets may appear only at: the URL path (Discord, Slack, Teams, webhook: the
URL is the secret), PagerDuty's routing_key, GitHub's Authorization header,
the Basic/Bearer Authorization of Jira and Twilio. Anywhere else (other
headers, the body, other services' requests, email) is a failure; raw,
URL-encoded and JSON-escaped forms are looked for.
"""
import argparse
import base64
import email
import html
import email.policy
import json
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_recorder import service_of  # noqa: E402

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def hdrs(req):
    d = {}
    for k, v in req.get("headers", []):
        d.setdefault(k.lower(), v)
    return d


def jbody(req, probs):
    try:
        v = json.loads(req.get("body", ""))
    except ValueError as e:
        probs.append("body is not JSON: %s" % e)
        return None
    if not isinstance(v, dict):
        probs.append("body is not a JSON object")
        return None
    return v


def strlen(v):
    return len(v) if isinstance(v, str) else 0


def need_str(obj, key, probs, where, maxlen=None, empty_ok=False):
    v = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(v, str):
        probs.append("%s%s missing or not a string" % (where, key))
        return None
    if not empty_ok and not v:
        probs.append("%s%s is empty" % (where, key))
    if maxlen is not None and len(v) > maxlen:
        probs.append("%s%s is %d characters, over %d" % (where, key, len(v), maxlen))
    return v


def str_map(obj, key, probs, where):
    v = obj.get(key)
    if not isinstance(v, dict):
        probs.append("%s%s missing or not an object" % (where, key))
        return {}
    for k, x in v.items():
        if not isinstance(x, str):
            probs.append("%s%s.%s is not a string" % (where, key, k))
    return v


# ---- one validator a service: (request, context) -> problems ----

def check_discord(req, ctx):
    p = []
    b = jbody(req, p)
    if b is None:
        return p
    content, embeds = b.get("content"), b.get("embeds")
    if not content and not embeds:
        p.append("neither content nor embeds")
    if content is not None:
        if not isinstance(content, str):
            p.append("content is not a string")
        elif len(content) > 2000:
            p.append("content is %d characters, over 2000" % len(content))
    if "username" in b and strlen(b["username"]) > 80:
        p.append("username over 80 characters")
    key = hdrs(req).get("idempotency-key", "")
    footers = []
    if embeds is not None:
        if not isinstance(embeds, list):
            p.append("embeds is not a list")
            embeds = []
        if len(embeds) > 10:
            p.append("%d embeds, over 10" % len(embeds))
        total = 0
        for i, e in enumerate(embeds):
            w = "embeds[%d]." % i
            if not isinstance(e, dict):
                p.append(w + " is not an object")
                continue
            for k, lim in (("title", 256), ("description", 4096)):
                if k in e:
                    if not isinstance(e[k], str):
                        p.append(w + k + " is not a string")
                    elif len(e[k]) > lim:
                        p.append("%s%s is %d characters, over %d" % (w, k, len(e[k]), lim))
                    total += strlen(e[k])
            if e.get("type", "rich") != "rich":
                p.append(w + "type must be rich for webhooks")
            if "color" in e and not (isinstance(e["color"], int) and 0 <= e["color"] <= 0xFFFFFF):
                p.append(w + "color is not an integer 0..0xFFFFFF")
            if "timestamp" in e and not (isinstance(e["timestamp"], str) and
                                         RFC3339.match(e["timestamp"])):
                p.append(w + "timestamp is not ISO8601: %r" % e.get("timestamp"))
            fields = e.get("fields", [])
            if not isinstance(fields, list):
                p.append(w + "fields is not a list")
                fields = []
            if len(fields) > 25:
                p.append("%sfields: %d, over 25" % (w, len(fields)))
            for j, f in enumerate(fields):
                fw = "%sfields[%d]." % (w, j)
                need_str(f, "name", p, fw, 256)
                need_str(f, "value", p, fw, 1024)
                if isinstance(f, dict):
                    total += strlen(f.get("name")) + strlen(f.get("value"))
                    if "inline" in f and not isinstance(f["inline"], bool):
                        p.append(fw + "inline is not a boolean")
            if "footer" in e:
                ft = need_str(e["footer"], "text", p, w + "footer.", 2048)
                if ft:
                    footers.append(ft)
                    total += len(ft)
            if "author" in e:
                total += strlen(need_str(e["author"], "name", p, w + "author.", 256))
        if total > 6000:
            p.append("embeds hold %d characters in all, over 6000" % total)
    if key and not any(key in f for f in footers):
        p.append("no embed footer carries the idempotency key %r" % key)
    return p


def check_slack(req, ctx):
    p = []
    b = jbody(req, p)
    if b is None:
        return p
    text, blocks = b.get("text"), b.get("blocks")
    if not text and not blocks:
        p.append("neither text nor blocks")
    for t in slack_texts(b):
        if slack_unescaped(t):
            p.append("text not escaped for Slack (&, <, > must be &amp; &lt; &gt;): %r"
                     % t[:80])
            break
    if text is not None and not isinstance(text, str):
        p.append("text is not a string")
    if blocks is not None:
        if not isinstance(blocks, list):
            p.append("blocks is not a list")
            blocks = []
        if len(blocks) > 50:
            p.append("%d blocks, over 50" % len(blocks))
        if not text:
            p.append("blocks without a text fallback (Slack shows text in notifications)")
        for i, bl in enumerate(blocks):
            w = "blocks[%d]." % i
            if not isinstance(bl, dict) or not isinstance(bl.get("type"), str):
                p.append(w + "type missing")
                continue
            t = bl["type"]
            if t == "section":
                if "text" not in bl and "fields" not in bl:
                    p.append(w + "section without text or fields")
                if "text" in bl:
                    tx = bl["text"]
                    if not isinstance(tx, dict) or tx.get("type") not in ("mrkdwn", "plain_text"):
                        p.append(w + "text is not a text object")
                    else:
                        need_str(tx, "text", p, w + "text.", 3000)
                for j, f in enumerate(bl.get("fields", []) or []):
                    need_str(f, "text", p, "%sfields[%d]." % (w, j), 2000)
                if len(bl.get("fields", []) or []) > 10:
                    p.append(w + "more than 10 fields")
            elif t == "header":
                tx = bl.get("text")
                if not isinstance(tx, dict) or tx.get("type") != "plain_text":
                    p.append(w + "header text must be plain_text")
                else:
                    need_str(tx, "text", p, w + "text.", 150)
            elif t == "context":
                els = bl.get("elements")
                if not isinstance(els, list) or not els or len(els) > 10:
                    p.append(w + "context needs 1..10 elements")
    return p


def check_teams(req, ctx):
    p = []
    if req.get("body_len", 0) > 28 * 1024:
        p.append("message is %d bytes, over Teams' 28 KB" % req["body_len"])
    b = jbody(req, p)
    if b is None:
        return p
    if b.get("type") != "message":
        p.append('type is %r, not "message"' % b.get("type"))
    att = b.get("attachments")
    if not isinstance(att, list) or not att:
        p.append("attachments missing or empty")
        return p
    for i, a in enumerate(att):
        w = "attachments[%d]." % i
        if not isinstance(a, dict):
            p.append(w + " not an object")
            continue
        if a.get("contentType") != "application/vnd.microsoft.card.adaptive":
            p.append(w + "contentType is %r" % a.get("contentType"))
        c = a.get("content")
        if not isinstance(c, dict):
            p.append(w + "content missing")
            continue
        if c.get("type") != "AdaptiveCard":
            p.append(w + 'content.type is %r, not "AdaptiveCard"' % c.get("type"))
        if not isinstance(c.get("version"), str) or not re.match(r"^1\.\d+$", c["version"]):
            p.append(w + "content.version is %r" % c.get("version"))
        body = c.get("body")
        if not isinstance(body, list) or not body:
            p.append(w + "content.body missing or empty")
        else:
            for j, el in enumerate(body):
                if not isinstance(el, dict) or not isinstance(el.get("type"), str):
                    p.append("%scontent.body[%d] has no type" % (w, j))
                elif el["type"] == "TextBlock" and not isinstance(el.get("text"), str):
                    p.append("%scontent.body[%d] TextBlock without text" % (w, j))
        for j, act in enumerate(c.get("actions", []) or []):
            if isinstance(act, dict) and act.get("type") == "Action.Submit":
                p.append("%scontent.actions[%d]: Action.Submit is not supported" % (w, j))
    return p


def check_pagerduty(req, ctx):
    p = []
    if not urllib.parse.urlsplit(req["path"]).path.endswith("/v2/enqueue"):
        p.append("path %s is not .../v2/enqueue" % req["path"])
    b = jbody(req, p)
    if b is None:
        return p
    rk = need_str(b, "routing_key", p, "")
    if rk is not None and len(rk) != 32:
        p.append("routing_key is %d characters, not the 32 of an integration key" % len(rk))
    act = b.get("event_action")
    if act not in ("trigger", "acknowledge", "resolve"):
        p.append("event_action is %r" % act)
    need_str(b, "dedup_key", p, "", 255)
    if act == "trigger":
        pl = b.get("payload")
        if not isinstance(pl, dict):
            p.append("payload missing")
        else:
            need_str(pl, "summary", p, "payload.", 1024)
            need_str(pl, "source", p, "payload.")
            if pl.get("severity") not in ("critical", "error", "warning", "info"):
                p.append("payload.severity is %r" % pl.get("severity"))
            if "timestamp" in pl and not (isinstance(pl["timestamp"], str) and
                                          RFC3339.match(pl["timestamp"])):
                p.append("payload.timestamp is not ISO8601: %r" % pl["timestamp"])
            if "custom_details" in pl and not isinstance(pl["custom_details"], (dict, str)):
                p.append("payload.custom_details is not an object")
            for k in ("component", "group", "class"):
                if k in pl and not isinstance(pl[k], str):
                    p.append("payload.%s is not a string" % k)
    for k in ("links", "images"):
        if k in b and not isinstance(b[k], list):
            p.append("%s is not a list" % k)
    for i, ln in enumerate(b.get("links", []) or []):
        need_str(ln, "href", p, "links[%d]." % i)
    return p


def check_webhook(req, ctx):
    p = []
    b = jbody(req, p)
    if b is None:
        return p
    if b.get("version") != "4":
        p.append('version is %r, not "4"' % b.get("version"))
    need_str(b, "groupKey", p, "")
    if not isinstance(b.get("truncatedAlerts"), int) or isinstance(b.get("truncatedAlerts"), bool) \
            or b["truncatedAlerts"] < 0:
        p.append("truncatedAlerts missing or not a count")
    if b.get("status") not in ("firing", "resolved"):
        p.append("status is %r" % b.get("status"))
    need_str(b, "receiver", p, "")
    for k in ("groupLabels", "commonLabels", "commonAnnotations"):
        str_map(b, k, p, "")
    need_str(b, "externalURL", p, "", empty_ok=True)
    alerts = b.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        p.append("alerts missing or empty")
        alerts = []
    for i, a in enumerate(alerts):
        w = "alerts[%d]." % i
        if not isinstance(a, dict):
            p.append(w + " not an object")
            continue
        if a.get("status") not in ("firing", "resolved"):
            p.append(w + "status is %r" % a.get("status"))
        labels = str_map(a, "labels", p, w)
        if labels and "alertname" not in labels:
            p.append(w + "labels without alertname (every Prometheus alert has one; "
                     "receivers written for Alertmanager key on it)")
        str_map(a, "annotations", p, w)
        for k in ("startsAt", "endsAt"):
            v = a.get(k)
            if not isinstance(v, str) or not RFC3339.match(v):
                p.append("%s%s is not RFC 3339: %r" % (w, k, v))
        if a.get("status") == "firing" and isinstance(a.get("endsAt"), str) and \
                not a["endsAt"].startswith("0001-01-01T00:00:00"):
            # Alertmanager sends the zero time or the time it will resolve.
            pass
        need_str(a, "generatorURL", p, w, empty_ok=True)
        need_str(a, "fingerprint", p, w)
    if isinstance(b.get("status"), str) and alerts and b["status"] == "resolved" and \
            any(isinstance(a, dict) and a.get("status") == "firing" for a in alerts):
        p.append("status resolved while an alert fires")
    key = hdrs(req).get("idempotency-key")
    if b.get("fleetopKey") != key:
        p.append("fleetopKey %r is not the Idempotency-Key %r" % (b.get("fleetopKey"), key))
    return p


def basic_auth(req):
    a = hdrs(req).get("authorization", "")
    if not a.lower().startswith("basic "):
        return None
    try:
        return base64.b64decode(a.split(None, 1)[1]).decode()
    except (ValueError, UnicodeDecodeError):
        return ""


def check_sms(req, ctx):
    p = []
    ct = hdrs(req).get("content-type", "")
    if not ct.startswith("application/x-www-form-urlencoded"):
        p.append("Content-Type is %r, not a form" % ct)
    form = urllib.parse.parse_qs(req.get("body", ""), keep_blank_values=True)
    for k in ("To", "Body"):
        if len(form.get(k, [])) != 1 or not form[k][0]:
            p.append("form field %s missing" % k)
    if not form.get("From") and not form.get("MessagingServiceSid"):
        p.append("form field From (or MessagingServiceSid) missing")
    if form.get("Body") and len(form["Body"][0]) > 1600:
        p.append("Body is %d characters, over 1600" % len(form["Body"][0]))
    for k in form:
        if k not in ("To", "From", "Body", "MessagingServiceSid", "StatusCallback",
                     "ValidityPeriod", "MediaUrl", "Attempt", "MaxPrice", "ProvideFeedback"):
            p.append("form field %s is not one Twilio takes" % k)
    path = urllib.parse.urlsplit(req["path"]).path
    m = re.search(r"/Accounts/([^/]+)/Messages\.json$", path)
    if not m:
        p.append("path %s is not .../Accounts/SID/Messages.json" % path)
    cred = basic_auth(req)
    if cred is None:
        p.append("no HTTP basic authorization")
    else:
        user = cred.split(":", 1)[0]
        if ctx.users.get("sms") and user != ctx.users["sms"]:
            p.append("basic auth user %r, expected %r" % (user, ctx.users["sms"]))
        if m and user != m.group(1):
            p.append("basic auth user %r is not the account in the path %r" % (user, m.group(1)))
    return p


def check_github(req, ctx):
    p = []
    h = hdrs(req)
    path = urllib.parse.urlsplit(req["path"]).path
    m = re.search(r"/repos/([^/]+/[^/]+)/issues$", path)
    if not m:
        p.append("path %s is not .../repos/OWNER/REPO/issues" % path)
    elif ctx.projects.get("github") and m.group(1) != ctx.projects["github"]:
        p.append("repository %s, expected %s" % (m.group(1), ctx.projects["github"]))
    auth = h.get("authorization", "")
    if not re.match(r"^(Bearer|token) \S+$", auth):
        p.append("Authorization is not 'Bearer TOKEN'")
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", h.get("x-github-api-version", "")):
        p.append("X-GitHub-Api-Version missing or not a date: %r" % h.get("x-github-api-version"))
    if not h.get("user-agent"):
        p.append("no User-Agent (GitHub refuses such requests)")
    acc = h.get("accept", "")
    if acc and "application/vnd.github+json" not in acc and "application/json" not in acc:
        p.append("Accept is %r" % acc)
    b = jbody(req, p)
    if b is None:
        return p
    need_str(b, "title", p, "", 256)
    if "body" in b and b["body"] is not None and not isinstance(b["body"], str):
        p.append("body is not a string")
    if "labels" in b and not (isinstance(b["labels"], list) and
                              all(isinstance(x, (str, dict)) for x in b["labels"])):
        p.append("labels is not a list of names")
    if "assignees" in b and not isinstance(b["assignees"], list):
        p.append("assignees is not a list")
    return p


def check_jira(req, ctx):
    p = []
    path = urllib.parse.urlsplit(req["path"]).path
    m = re.search(r"/rest/api/([23])/issue$", path)
    if not m:
        p.append("path %s is not .../rest/api/2|3/issue" % path)
    if not re.match(r"^(Basic|Bearer) \S+$", hdrs(req).get("authorization", "")):
        p.append("no Basic or Bearer Authorization")
    cred = basic_auth(req)
    if cred is not None and ctx.users.get("jira") and cred.split(":", 1)[0] != ctx.users["jira"]:
        p.append("basic auth user is not %r" % ctx.users["jira"])
    b = jbody(req, p)
    if b is None:
        return p
    f = b.get("fields")
    if not isinstance(f, dict):
        p.append("fields missing")
        return p
    proj = f.get("project")
    if not isinstance(proj, dict) or not (isinstance(proj.get("key"), str) or "id" in proj):
        p.append("fields.project.key missing")
    elif ctx.projects.get("jira") and proj.get("key") != ctx.projects["jira"]:
        p.append("fields.project.key %r, expected %r" % (proj.get("key"), ctx.projects["jira"]))
    need_str(f, "summary", p, "fields.", 255)
    if "\n" in (f.get("summary") or ""):
        p.append("fields.summary has a line break (Jira refuses it)")
    it = f.get("issuetype")
    if not isinstance(it, dict) or not (isinstance(it.get("name"), str) or "id" in it):
        p.append("fields.issuetype.name missing")
    if ctx.issue_type and isinstance(it, dict) and it.get("name") != ctx.issue_type:
        p.append("fields.issuetype.name %r, expected %r" % (it.get("name"), ctx.issue_type))
    lb = f.get("labels")
    if lb is not None and not (isinstance(lb, list) and
                               all(isinstance(x, str) and x and " " not in x for x in lb)):
        p.append("fields.labels must be words without spaces")
    d = f.get("description")
    if d is not None:
        if m and m.group(1) == "2" and not isinstance(d, str):
            p.append("fields.description must be a string in API v2")
        if m and m.group(1) == "3" and not (isinstance(d, dict) and d.get("type") == "doc"
                                            and d.get("version") == 1):
            p.append("fields.description must be an Atlassian document in API v3")
    return p


CHECKS = {"discord": check_discord, "slack": check_slack, "teams": check_teams,
          "pagerduty": check_pagerduty, "webhook": check_webhook, "sms": check_sms,
          "github": check_github, "jira": check_jira}

# Where each service may carry a secret.
ALLOWED = {"discord": {"path"}, "slack": {"path"}, "teams": {"path"}, "webhook": {"path"},
           "pagerduty": {"routing_key"}, "github": {"authorization"},
           "jira": {"authorization"}, "sms": {"authorization"}}


def forms(secret):
    out = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
           json.dumps(secret)[1:-1]}
    return {f for f in out if f}


def secret_places(req, secret):
    """Where secret shows up in one request."""
    places = []
    fs = forms(secret)
    if any(f in req["path"] for f in fs):
        places.append("path")
    for k, v in req.get("headers", []):
        dec = v
        if k.lower() == "authorization" and v.lower().startswith("basic "):
            try:
                dec = base64.b64decode(v.split(None, 1)[1]).decode(errors="replace")
            except ValueError:
                pass
        if any(f in v or f in dec for f in fs):
            places.append(k.lower())
    body = req.get("body", "")
    if any(f in body for f in fs):
        rk = None
        try:
            b = json.loads(body)
            rk = b.get("routing_key") if isinstance(b, dict) else None
        except ValueError:
            b = None
        if rk == secret and body.count(json.dumps(secret)) == 1 and \
                not any(f in body.replace(json.dumps(secret), "") for f in fs):
            places.append("routing_key")
        else:
            places.append("body")
    return places


class Ctx:
    def __init__(self, a):
        self.users = dict(x.split("=", 1) for x in a.user)
        self.projects = dict(x.split("=", 1) for x in a.project)
        self.issue_type = a.issue_type


SLACK_CONTROL = re.compile(r"<(?:https?://|mailto:|[@#!])[^<>]*>")


def slack_unescaped(text):
    """True when text has a <, > or & Slack would take as markup."""
    t = SLACK_CONTROL.sub("", text)
    t = re.sub(r"&(amp|lt|gt);", "", t)
    return any(c in t for c in "<>&")


def slack_texts(b):
    """The top-level text and every mrkdwn text object of a Slack message."""
    out = [b.get("text")] if isinstance(b.get("text"), str) else []

    def walk(v):
        if isinstance(v, dict):
            if v.get("type") == "mrkdwn" and isinstance(v.get("text"), str):
                out.append(v["text"])
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(b.get("blocks"))
    walk(b.get("attachments"))
    return out


def strings_in(v, out):
    if isinstance(v, str):
        out.append(v)
    elif isinstance(v, dict):
        for x in v.values():
            strings_in(x, out)
    elif isinstance(v, list):
        for x in v:
            strings_in(x, out)
    return out


def text_in(req, text):
    """The text is in the request, allowing for each format's escaping:
    JSON, forms, markdown backslashes, Slack's and HTML's entities."""
    body = req.get("body", "")
    cands = [body, urllib.parse.unquote_plus(body)]
    try:
        cands += strings_in(json.loads(body), [])
    except ValueError:
        pass
    for c in cands:
        md = re.sub(r"\\(\W)", r"\1", c)
        for v in (c, md, html.unescape(c), html.unescape(md)):
            if text in v:
                return True
    return False


def redact(line, secrets):
    """What we print goes to test logs: no secret in it, even a test's."""
    for sec in secrets:
        for f in sorted(forms(sec), key=len, reverse=True):
            line = line.replace(f, "<secret>")
        # A path cut at 40 characters may end in the first part of one.
        for n in range(len(sec) - 1, 3, -1):
            if line.find(sec[:n]) >= 0:
                line = line.replace(sec[:n], "<secret>")
                break
    return line


def check_log(a, ctx, counts):
    bad = 0
    reqs = []
    grouped = {}  # --quiet: (service, problem) -> requests
    for n, ln in enumerate(open(a.log), 1):
        try:
            e = json.loads(ln)
        except ValueError:
            print("FAIL %s:%d: not JSON" % (a.log, n))
            bad += 1
            continue
        if e.get("event") == "start":
            reqs.append(e)
    for r in reqs:
        svc = service_of(r["path"])
        counts[svc] = counts.get(svc, 0) + 1
        probs = []
        if r.get("method") != "POST":
            probs.append("method %s, not POST" % r.get("method"))
        key = hdrs(r).get("idempotency-key")
        if not key:
            probs.append("no Idempotency-Key header")
        probs += CHECKS[svc](r, ctx)
        if a.text and not text_in(r, a.text):
            probs.append("the message text %r is not in the request" % a.text)
        for s in a.secret:
            for where in secret_places(r, s):
                if where not in ALLOWED[svc]:
                    probs.append("secret %s... found in %s" % (s[:4], where))
        tag = "%s #%d %s" % (svc, r["id"], urllib.parse.urlsplit(r["path"]).path[:40])
        if probs:
            bad += 1
            for pr in probs:
                if a.quiet:
                    g = (svc, re.sub(r"\[\d+\]", "[N]", pr))
                    grouped[g] = grouped.get(g, 0) + 1
                else:
                    print(redact("FAIL %s: %s" % (tag, pr), a.secret))
        elif not a.quiet:
            print(redact("ok   %s key=%s" % (tag, key), a.secret))
    for (svc, pr), n in sorted(grouped.items()):
        print(redact("FAIL %s (%d times): %s" % (svc, n, pr), a.secret))
    return bad


def check_smtp(a, counts):
    bad = 0
    for ln in open(a.smtp):
        m = json.loads(ln)
        if "data" not in m:  # an AUTH line
            continue
        counts["email"] = counts.get("email", 0) + 1
        probs = []
        if not m.get("tls"):
            probs.append("message came without TLS")
        msg = email.message_from_string(m.get("data", ""), policy=email.policy.default)
        for h in ("From", "To", "Subject", "Date", "Message-ID"):
            if not msg.get(h):
                probs.append("header %s missing" % h)
        if a.mail_from:
            if m.get("mail_from") != a.mail_from:
                probs.append("envelope sender %r, expected %r" % (m.get("mail_from"), a.mail_from))
            if a.mail_from not in str(msg.get("From", "")):
                probs.append("From %r does not name %s" % (msg.get("From"), a.mail_from))
        if a.mail_to:
            want = sorted(a.mail_to.split(","))
            if sorted(m.get("rcpt_tos", [])) != want:
                probs.append("envelope recipients %r, expected %r" % (m.get("rcpt_tos"), want))
            to = str(msg.get("To", ""))
            for w in want:
                if w not in to:
                    probs.append("To %r does not name %s" % (to, w))
        if a.text:
            body = msg.get_body(preferencelist=("plain", "html"))
            txt = html.unescape(body.get_content()) if body else ""
            if a.text not in txt and a.text not in str(msg.get("Subject", "")):
                probs.append("the message text %r is neither in the subject nor the body"
                             % a.text)
        for s in a.secret:
            if any(f in m.get("data", "") for f in forms(s)) or \
                    base64.b64encode(s.encode()).decode() in m.get("data", ""):
                probs.append("secret %s... found in the message" % s[:4])
        tag = "email #%d %s" % (counts["email"], msg.get("Subject", ""))
        if probs:
            bad += 1
            for pr in probs:
                print("FAIL %s: %s" % (tag, pr))
        elif not a.quiet:
            print("ok   %s (tls, auth %s)" % (tag, m.get("auth_login")))
    return bad


def self_test():
    import tempfile
    d = tempfile.mkdtemp()
    log = os.path.join(d, "log")
    key = "k-1"
    h = [["Content-Type", "application/json"], ["Idempotency-Key", key]]
    good = [
        ("/discord/api/webhooks/1/SECRETD", {"content": "hi", "embeds": [
            {"title": "t", "description": "d", "footer": {"text": "fleetop " + key},
             "fields": [{"name": "a", "value": "b", "inline": True}]}]}),
        ("/pagerduty/v2/enqueue", {"routing_key": "R" * 32, "event_action": "trigger",
                                   "dedup_key": "g1", "payload": {
                                       "summary": "hi", "source": "h", "severity": "info"}}),
        ("/webhook/SECRETW", {"version": "4", "groupKey": "{}", "truncatedAlerts": 0,
                              "status": "firing", "receiver": "r", "groupLabels": {},
                              "commonLabels": {}, "commonAnnotations": {}, "externalURL": "",
                              "fleetopKey": key, "alerts": [{
                                  "status": "firing", "labels": {"alertname": "x"},
                                  "annotations": {"summary": "hi"},
                                  "startsAt": "2024-01-01T00:00:00Z",
                                  "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
                                  "fingerprint": "f"}]}),
    ]
    with open(log, "w") as f:
        for i, (path, body) in enumerate(good, 1):
            f.write(json.dumps({"event": "start", "id": i, "method": "POST", "path": path,
                                "headers": h, "body": json.dumps(body)}) + "\n")
    ap = parser()
    a = ap.parse_args(["--log", log, "--secret", "SECRETD", "--secret", "R" * 32,
                       "--secret", "SECRETW", "--text", "hi", "--quiet"])
    assert check_log(a, Ctx(a), {}) == 0
    # Each broken copy must be caught.
    broken = [
        ("/discord/x", {"content": "x" * 2001, "embeds": [{"footer": {"text": key}}]}),
        ("/discord/x", {"embeds": [{"title": "t" * 257, "footer": {"text": key}}]}),
        ("/discord/x", {"embeds": [{"description": "d", "footer": {"text": "no key"}}]}),
        ("/discord/x", {"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}],
                                    "footer": {"text": key}}]}),
        ("/discord/x", {"embeds": [{"description": "d" * 4000, "footer": {"text": key}},
                                   {"description": "d" * 2500, "footer": {"text": key}}]}),
        ("/pagerduty/v2/enqueue", {"routing_key": "short", "event_action": "trigger",
                                   "dedup_key": "g", "payload": {"summary": "s", "source": "h",
                                                                 "severity": "info"}}),
        ("/pagerduty/v2/enqueue", {"routing_key": "R" * 32, "event_action": "fire",
                                   "dedup_key": "g"}),
        ("/pagerduty/v2/enqueue", {"routing_key": "R" * 32, "event_action": "trigger",
                                   "dedup_key": "g", "payload": {"summary": "s", "source": "h",
                                                                 "severity": "high"}}),
        ("/webhook/x", {"version": "3"}),
        ("/discord/SECRETD", {"content": "leak SECRETW", "embeds": [{"footer": {"text": key}}]}),
        ("/pagerduty/v2/enqueue", {"routing_key": "R" * 32, "event_action": "resolve",
                                   "dedup_key": "g", "note": "R" * 32}),
        ("/teams/x", {"type": "message", "attachments": [{"contentType": "text/plain"}]}),
        ("/slack/x", {"blocks": [{"type": "section", "text": {"type": "mrkdwn",
                                                              "text": "x" * 3001}}]}),
        ("/slack/x", {"text": "cpu <80%> & more"}),
        ("/github/repos/o/r/issues", {"title": "t"}),
        ("/jira/rest/api/2/issue", {"fields": {"summary": "s"}}),
        ("/sms/2010-04-01/Accounts/AC1/Messages.json", "To=%2B1&Body=x"),
    ]
    for path, body in broken:
        with open(log, "w") as f:
            f.write(json.dumps({"event": "start", "id": 1, "method": "POST", "path": path,
                                "headers": h, "body": body if isinstance(body, str)
                                else json.dumps(body)}) + "\n")
        a = ap.parse_args(["--log", log, "--secret", "SECRETW", "--secret", "R" * 32,
                           "--quiet"])
        sys.stdout = open(os.devnull, "w")
        n = check_log(a, Ctx(a), {})
        sys.stdout = sys.__stdout__
        assert n == 1, (path, body)
    print("self-test ok (%d good, %d broken caught)" % (len(good), len(broken)))


def parser():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log")
    ap.add_argument("--smtp")
    ap.add_argument("--secret", action="append", default=[])
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--text")
    ap.add_argument("--user", action="append", default=[])
    ap.add_argument("--project", action="append", default=[])
    ap.add_argument("--issue-type")
    ap.add_argument("--mail-from")
    ap.add_argument("--mail-to")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--self-test", action="store_true")
    return ap


def main():
    a = parser().parse_args()
    if a.self_test:
        self_test()
        return 0
    counts = {}
    bad = 0
    ctx = Ctx(a)
    if a.log:
        bad += check_log(a, ctx, counts)
    if a.smtp:
        bad += check_smtp(a, counts)
    for x in a.expect:
        svc, n = x.split("=")
        if counts.get(svc, 0) != int(n):
            print("FAIL %s: %d requests, expected %s" % (svc, counts.get(svc, 0), n))
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
