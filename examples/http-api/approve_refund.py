#!/usr/bin/env python3
"""Start a Bosun run and approve its refund through the HTTP API, with Python's standard
library only: no Temporal SDK, no Bosun package. What a backend service in any language does.

    python3 approve_refund.py http://127.0.0.1:8787 "$TOKEN" "Refund order ord_101: it arrived broken"

Prints the run's result as JSON on the last line. Exits 1 with the API's error otherwise.
"""
import json
import sys
import time
import urllib.error
import urllib.request


def call(base, token, method, path, body=None):
    """One request; returns (status, parsed JSON). 4xx/5xx come back, not raised."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + "/api/v1" + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def until(what, fn, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value is not None:
            return value
        time.sleep(0.25)
    raise SystemExit("timed out waiting for " + what)


def main():
    base, token, task = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    status, started = call(base, token, "POST", "/runs", {"agent": "support", "task": task})
    if status != 201:
        raise SystemExit("start failed: %s %s" % (status, started))
    run_id = started["runId"]
    print("started", run_id, flush=True)

    def pending():
        _, inbox = call(base, token, "GET", "/approvals")
        mine = [a for a in inbox["approvals"] if a["runId"] == run_id]
        return mine[0] if mine else None

    approval = until("the approval", pending)
    print("approving", approval["id"], approval["tool"], json.dumps(approval["input"]), flush=True)
    status, ack = call(
        base, token, "POST", "/runs/%s/approvals/%s" % (run_id, approval["id"]),
        {"decision": "approve", "comment": "approved from Python"},
    )
    if status != 200:
        raise SystemExit("approve failed: %s %s" % (status, ack))

    def result():
        status, body = call(base, token, "GET", "/runs/%s/result" % run_id)
        return body if status == 200 else None

    print(json.dumps(until("the result", result)), flush=True)


if __name__ == "__main__":
    main()
