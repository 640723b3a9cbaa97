#!/usr/bin/env python3
"""Cold start and memory of take-exam, measured from outside the process.

Per round, two fresh processes of the release binary:

  1. spawn -> first 200 on /health/liveness (polled every 0.5 ms), then idle
     RSS 1 s later, split as /proc/<pid>/smaps_rollup splits it (private
     anonymous = heap and stacks; the rest is file-backed text shared with the
     page cache), and the thread count;
  2. spawn -> first 200 on GET /exam?object_name=bench20.json with a student
     token (polled the same way; the request waits for the S3 read and the
     token check, so this is "cold start to the first handled request").

Prints the medians over the rounds (and min/max) as Markdown plus the raw
numbers. Needs the servers of bench.py (s3s-fs and MongoDB on loopback) and a
Python with boto3 for seeding (--seed-python). Nothing here runs in cargo test.

  python3 bench/take-exam/startup.py --take-exam target/release/take-exam \
      --s3 http://127.0.0.1:PORT --access-key K --secret-key S \
      --mongodb 'mongodb://127.0.0.1:PORT/?directConnection=true' \
      --seed-python /tmp/peer/venv/bin/python [--rounds 9] [--env NAME=VALUE ...]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import free_port, seed  # noqa: E402


def status_of(port, path, token=None):
    """HTTP status of one GET over a fresh connection, or None when not listening yet."""
    import socket

    head = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as c:
            c.sendall((head + "\r\n").encode())
            first = c.recv(16)
            return int(first[9:12]) if first.startswith(b"HTTP/1.1 ") else None
    except (OSError, ValueError):
        return None


def spawn_until_200(cmd, env, port, path, token=None, limit_s=30):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        if status_of(port, path, token) == 200:
            return p, (time.perf_counter() - t0) * 1e3
        if p.poll() is not None:
            raise SystemExit(f"{cmd[0]} exited with {p.returncode} before answering {path}")
        if time.perf_counter() - t0 > limit_s:
            p.kill()
            raise SystemExit(f"{cmd[0]} did not answer {path} with 200 within {limit_s} s")
        time.sleep(0.0005)


def memory(pid):
    """RSS split from smaps_rollup, in MB, and the thread count."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1]) / 1024
    with open(f"/proc/{pid}/status") as f:
        threads = next(int(line.split()[1]) for line in f if line.startswith("Threads:"))
    return {
        "rss": out.get("Rss", float("nan")),
        "anon": out.get("Anonymous", float("nan")),
        "private": out.get("Private_Clean", 0) + out.get("Private_Dirty", 0),
        "shared": out.get("Shared_Clean", 0) + out.get("Shared_Dirty", 0),
        "file": out.get("Rss", 0) - out.get("Anonymous", 0),
        "threads": threads,
    }


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--take-exam", required=True)
    ap.add_argument("--s3", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--mongodb", required=True)
    ap.add_argument("--seed-python", default=sys.executable, help="a Python with boto3")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--env", action="append", default=[], help="extra NAME=VALUE for take-exam")
    a = ap.parse_args()

    bucket = "start-" + uuid.uuid4().hex[:10]
    seed(a.seed_python, a.s3, a.access_key, a.secret_key, bucket)
    keys = tempfile.mkdtemp(prefix="examfn-start-keys-")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AUTH_", "MONGODB_", "SSL_CERT"))}
    env = dict(base, AWS_ACCESS_KEY_ID=a.access_key, AWS_SECRET_ACCESS_KEY=a.secret_key, AWS_REGION="us-east-1",
               AWS_ENDPOINT_URL_S3=a.s3, BUCKET_NAME=bucket, MONGODB_URI=a.mongodb, MONGODB_DB="start_" + bucket[6:],
               AUTH_DEV_KEYS_DIR=keys, RUST_LOG="warn")
    for kv in a.env:
        k, _, v = kv.partition("=")
        env[k] = v
    cmd = [a.take_exam]
    exam = "/exam?object_name=bench20.json"

    # Warm-up (not counted): creates the dev keys and mints a student token.
    port = free_port()
    p, _ = spawn_until_200(cmd, dict(env, PORT=str(port)), port, "/health/liveness")
    try:
        req = urllib.request.Request(f"http://127.0.0.1:{port}/dev/token", method="POST",
                                     data=json.dumps({"email": "start@example.org", "role": "student"}).encode(),
                                     headers={"Content-Type": "application/json"})
        token = json.load(urllib.request.urlopen(req))["token"]
        body = urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}{exam}",
                                                             headers={"Authorization": f"Bearer {token}"})).read()
        assert len(json.loads(body)) == 20, "take-exam returns the 20 questions"
    finally:
        stop(p)

    rows = []
    for r in range(a.rounds):
        port = free_port()
        p, live_ms = spawn_until_200(cmd, dict(env, PORT=str(port)), port, "/health/liveness")
        try:
            time.sleep(1.0)
            idle = memory(p.pid)
        finally:
            stop(p)
        port = free_port()
        p, exam_ms = spawn_until_200(cmd, dict(env, PORT=str(port)), port, exam, token)
        try:
            after_first = memory(p.pid)
        finally:
            stop(p)
        rows.append({"live_ms": live_ms, "exam_ms": exam_ms, "idle": idle, "after_first": after_first})
        print(f"round {r + 1}/{a.rounds}: liveness {live_ms:.1f} ms, first exam {exam_ms:.1f} ms, "
              f"idle RSS {idle['rss']:.1f} MB (anon {idle['anon']:.1f}), threads {idle['threads']}", file=sys.stderr)

    def stats(f):
        xs = [f(x) for x in rows]
        return statistics.median(xs), min(xs), max(xs)

    table = [
        ("spawn → first liveness 200, ms", lambda x: x["live_ms"], "{:.1f}"),
        ("spawn → first GET /exam 200, ms", lambda x: x["exam_ms"], "{:.1f}"),
        ("idle RSS, MB", lambda x: x["idle"]["rss"], "{:.1f}"),
        ("idle private (clean+dirty), MB", lambda x: x["idle"]["private"], "{:.1f}"),
        ("idle anonymous, MB", lambda x: x["idle"]["anon"], "{:.1f}"),
        ("idle file-backed, MB", lambda x: x["idle"]["file"], "{:.1f}"),
        ("idle threads", lambda x: x["idle"]["threads"], "{:.0f}"),
        ("RSS after the first GET /exam, MB", lambda x: x["after_first"]["rss"], "{:.1f}"),
    ]
    extra = " ".join(a.env) or "none"
    print(f"\n{a.rounds} rounds, extra env: {extra}\n")
    print("| metric | median | min | max |")
    print("|---|---:|---:|---:|")
    for name, f, fmt in table:
        med, lo, hi = stats(f)
        print(f"| {name} | {fmt.format(med)} | {fmt.format(lo)} | {fmt.format(hi)} |")
    print("\nraw: " + json.dumps(rows))


if __name__ == "__main__":
    main()
