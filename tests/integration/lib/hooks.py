#!/usr/bin/env python3
"""What an http_recorder.py log holds, a line an alert of an Alertmanager-
format webhook: PATH STATUS ALERT-STATUS RULE HOST ARRIVED (epoch seconds).

    hooks.py LOG            every alert line
    hooks.py LOG --first PATH HOST
                            the arrival time of HOST's first firing alert at
                            PATH, or exit 1 when there is none (yet)
A request whose body is not such a payload prints "PATH unparsable" and
makes --first exit 2, so a broken payload is never taken for silence."""
import json
import sys


def alerts(log):
    try:
        f = open(log)
    except FileNotFoundError:
        return
    for line in f:
        e = json.loads(line)
        if e.get("event") != "start":
            continue
        try:
            b = json.loads(e["body"])
            items = b["alerts"]
        except (ValueError, KeyError, TypeError):
            yield (e.get("path"), None, None, None, None, e.get("t"))
            continue
        for a in items:
            lab = a.get("labels", {})
            yield (e["path"], b.get("status"), a.get("status"), lab.get("rule"),
                   lab.get("host"), e["t"])


def main(argv):
    if len(argv) == 2:
        for p, s, a, r, h, t in alerts(argv[1]):
            print(p, "unparsable" if s is None else "%s %s %s %s %.3f" % (s, a, r, h, t))
        return 0
    if len(argv) == 5 and argv[2] == "--first":
        for p, s, a, r, h, t in alerts(argv[1]):
            if s is None:
                print("unparsable request at", p, file=sys.stderr)
                return 2
            if p == argv[3] and a == "firing" and h == argv[4]:
                print("%.3f" % t)
                return 0
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
