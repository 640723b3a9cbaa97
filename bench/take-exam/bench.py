#!/usr/bin/env python3
"""Benchmark take-exam's GET /exam?object_name= (a 20-question exam) over
loopback with wrk, side by side with the Python port's FastAPI take-exam
function on the same S3, in one run.

Measures, per side and per round: requests/s and p50/p99 latency at -c 1 and
-c 32, idle RSS, and process start -> first liveness 200. Prints the medians
over the rounds and the ratios as a Markdown table.

Needs: wrk (Debian), a release build of take-exam, a running S3 (s3s-fs) and
MongoDB (take-exam's readiness and start-up use it), a Python with boto3 to seed
the exam (the peer's venv has it). The peer is optional: check out
hamzabouissi/exam-architecture OUTSIDE this repository and make a venv with
boto3 fastapi uvicorn (see README.md); nothing of it is kept here.

  python3 bench/take-exam/bench.py \
      --take-exam target/release/take-exam \
      --s3 http://127.0.0.1:PORT --access-key K --secret-key S \
      --mongodb 'mongodb://127.0.0.1:PORT/?directConnection=true' \
      [--peer-app /tmp/peer/knative/ExamTakeFn/app --peer-python /tmp/peer/venv/bin/python] \
      [--rounds 3 --duration 10]
"""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def seed(python, s3, ak, sk, bucket):
    """Create the bucket and a 20-question exam (12 MCQ, 8 true/false) with boto3."""
    exam = []
    for i in range(12):
        opts = [f"Option {chr(65 + j)} for question {i + 1}: a plausible answer text" for j in range(4)]
        exam.append({"question": f"Question {i + 1}: which statement about topic {i + 1} of the lecture is right?",
                     "options": opts, "correct_answer": opts[i % 4]})
    for i in range(8):
        exam.append({"question": f"True or false {i + 1}: the lecture says statement number {i + 1} holds.",
                     "options": ["True", "False"], "correct_answer": "True" if i % 2 else "False"})
    code = (
        "import boto3,sys,json\n"
        "c=boto3.client('s3',endpoint_url=sys.argv[1],aws_access_key_id=sys.argv[2],aws_secret_access_key=sys.argv[3],region_name='us-east-1')\n"
        "c.create_bucket(Bucket=sys.argv[4])\n"
        "c.put_object(Bucket=sys.argv[4],Key='questions_bank/bench20.json',Body=sys.stdin.buffer.read())\n"
    )
    subprocess.run([python, "-c", code, s3, ak, sk, bucket], input=json.dumps(exam).encode(), check=True)
    return len(json.dumps(exam))


def http_ok(port, path):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as c:
            c.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            return c.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def start(cmd, env, port, health, cwd=None):
    """Start a server; return (process, ms from spawn to first 200 on the health path)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        if http_ok(port, health):
            return p, (time.perf_counter() - t0) * 1e3
        if p.poll() is not None:
            raise SystemExit(f"{cmd[0]} exited with {p.returncode} before answering {health}")
        if time.perf_counter() - t0 > 30:
            p.kill()
            raise SystemExit(f"{cmd[0]} did not answer {health} within 30 s")
        time.sleep(0.0005)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def anon_mb(pid):
    """Private anonymous memory (heap, stacks): RSS without the shared, file-backed text pages."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Anonymous:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def to_ms(v, unit):
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def wrk(url, conns, duration, headers):
    threads = 1 if conns == 1 else 2
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {m.group(1): to_ms(m.group(2), m.group(3)) for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        raise SystemExit(f"{url}: {non2xx.group(1)} error responses\n{out}")
    return {"rps": rps, "p50": lat["50"], "p99": lat["99"]}


def median(xs):
    return statistics.median(xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--take-exam", required=True)
    ap.add_argument("--s3", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--mongodb", required=True)
    ap.add_argument("--seed-python", default=None, help="a Python with boto3 (default: --peer-python)")
    ap.add_argument("--peer-app", default=None, help="directory of the peer's ExamTakeFn/app")
    ap.add_argument("--peer-python", default=None, help="python of a venv with boto3 fastapi uvicorn")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10)
    a = ap.parse_args()

    seed_python = a.seed_python or a.peer_python or sys.executable
    bucket = "bench-" + uuid.uuid4().hex[:10]
    size = seed(seed_python, a.s3, a.access_key, a.secret_key, bucket)
    print(f"seeded s3://{bucket}/questions_bank/bench20.json ({size} bytes, 20 questions)", file=sys.stderr)
    keys = tempfile.mkdtemp(prefix="examfn-bench-keys-")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AUTH_", "MONGODB_"))}
    s3_env = {"AWS_ACCESS_KEY_ID": a.access_key, "AWS_SECRET_ACCESS_KEY": a.secret_key,
              "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": a.s3,
              "BUCKET_NAME": bucket}

    results = {"take-exam": [], "peer": []}
    for r in range(a.rounds):
        # --- take-exam
        port = free_port()
        env = dict(base_env, **s3_env, PORT=str(port), MONGODB_URI=a.mongodb, MONGODB_DB="bench_" + bucket[6:],
                   AUTH_DEV_KEYS_DIR=keys, RUST_LOG="warn")
        p, start_ms = start([a.take_exam], env, port, "/health/liveness")
        try:
            time.sleep(1.0)
            idle, anon = rss_mb(p.pid), anon_mb(p.pid)
            req = urllib.request.Request(f"http://127.0.0.1:{port}/dev/token", method="POST",
                                         data=json.dumps({"email": "bench@example.org", "role": "student"}).encode(),
                                         headers={"Content-Type": "application/json"})
            token = json.load(urllib.request.urlopen(req))["token"]
            url = f"http://127.0.0.1:{port}/exam?object_name=bench20.json"
            hdr = [f"Authorization: Bearer {token}"]
            body = urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})).read()
            assert len(json.loads(body)) == 20, "take-exam returns the 20 questions"
            c1 = wrk(url, 1, a.duration, hdr)
            c32 = wrk(url, 32, a.duration, hdr)
            time.sleep(1.0)
            results["take-exam"].append({"start_ms": start_ms, "idle_rss": idle, "idle_anon": anon, "rss_after": rss_mb(p.pid), "c1": c1, "c32": c32})
        finally:
            p.terminate()
            p.wait()
        # --- peer
        if a.peer_app and a.peer_python:
            port = free_port()
            env = dict(base_env, **s3_env)
            cmd = [a.peer_python, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
            p, start_ms = start(cmd, env, port, "/health", cwd=a.peer_app)
            try:
                time.sleep(1.0)
                idle, anon = rss_mb(p.pid), anon_mb(p.pid)
                url = f"http://127.0.0.1:{port}/?object_name=bench20.json"
                body = json.loads(urllib.request.urlopen(url).read())
                assert len(body["body"]) == 20, "the peer returns the 20 questions"
                c1 = wrk(url, 1, a.duration, [])
                c32 = wrk(url, 32, a.duration, [])
                time.sleep(1.0)
                results["peer"].append({"start_ms": start_ms, "idle_rss": idle, "idle_anon": anon, "rss_after": rss_mb(p.pid), "c1": c1, "c32": c32})
            finally:
                p.terminate()
                p.wait()
        print(f"round {r + 1}/{a.rounds}: " + json.dumps(results), file=sys.stderr)

    def med(side, f):
        return median([f(x) for x in results[side]]) if results[side] else float("nan")

    rows = [
        ("req/s, -c 1", lambda x: x["c1"]["rps"], "{:.0f}"),
        ("p50 ms, -c 1", lambda x: x["c1"]["p50"], "{:.3f}"),
        ("p99 ms, -c 1", lambda x: x["c1"]["p99"], "{:.3f}"),
        ("req/s, -c 32", lambda x: x["c32"]["rps"], "{:.0f}"),
        ("p50 ms, -c 32", lambda x: x["c32"]["p50"], "{:.3f}"),
        ("p99 ms, -c 32", lambda x: x["c32"]["p99"], "{:.3f}"),
        ("idle RSS MB", lambda x: x["idle_rss"], "{:.1f}"),
        ("idle anonymous (private) MB", lambda x: x["idle_anon"], "{:.1f}"),
        ("RSS after load MB", lambda x: x["rss_after"], "{:.1f}"),
        ("start → first liveness 200, ms", lambda x: x["start_ms"], "{:.1f}"),
    ]
    print(f"\nMedians of {a.rounds} rounds, {a.duration} s per wrk run, 20-question exam ({size} bytes):\n")
    print("| metric | take-exam (Rust) | peer (FastAPI) | ratio |")
    print("|---|---:|---:|---:|")
    for name, f, fmt in rows:
        ours, peer = med("take-exam", f), med("peer", f)
        ratio = "" if peer != peer else (f"{ours / peer:.1f}×" if "req/s" in name else f"{peer / ours:.1f}× lower" if ours else "")
        print(f"| {name} | {fmt.format(ours)} | {'—' if peer != peer else fmt.format(peer)} | {ratio} |")
    print("\nraw: " + json.dumps(results))


if __name__ == "__main__":
    main()
