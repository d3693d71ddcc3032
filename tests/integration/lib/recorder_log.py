"""Reads an http_recorder.py log back as requests, for the notify tests'
questions (how often did key K arrive, how long after the 429 came the
retry). Import it from an inline `python3 -` with this folder on sys.path.

Each request: {"id", "key", "service", "start", "end" (None: never
answered), "status", "sent", "held" (a hang: how long until the client
gave up), "body", "headers"}.
"""
import json


def load(path):
    reqs, by_id = [], {}
    try:
        lines = open(path).read().splitlines()
    except FileNotFoundError:
        return []
    for ln in lines:
        e = json.loads(ln)
        if e["event"] == "start":
            h = {k.lower(): v for k, v in e["headers"]}
            key = h.get("idempotency-key")
            if not key:
                try:
                    key = json.loads(e["body"]).get("fleetopKey")
                except (ValueError, AttributeError):
                    key = None
            r = {"id": e["id"], "key": key, "service": e["service"], "start": e["t"],
                 "end": None, "status": None, "sent": None, "held": None,
                 "body": e["body"], "headers": h, "mode": e.get("mode")}
            reqs.append(r)
            by_id[e["id"]] = r
        elif e["event"] == "end" and e["id"] in by_id:
            by_id[e["id"]].update(end=e["t"], status=e["status"], sent=e["sent"])
        elif e["event"] == "hang-end" and e["id"] in by_id:
            by_id[e["id"]].update(held=e["held"], end_hang=e["t"])
    return reqs


def for_key(reqs, key):
    return [r for r in reqs if r["key"] == key]


def ok(r):
    return r["status"] is not None and 200 <= r["status"] < 300
