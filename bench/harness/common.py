"""Shared pieces of the examfn benchmark harness: the context (platform endpoints,
peers, mode), statistics, processes, memory, HTTP polling, wrk.

Everything talks to real servers on loopback; every loop is bounded in count and time.
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- statistics

def percentile(xs, p):
    """Nearest-rank percentile of a list (p in 0..100); nan for an empty list."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def summary(xs):
    """The summary every figure carries: median, p50, p99, min, max, n (and the samples)."""
    xs = [float(x) for x in xs if x is not None and x == x]
    if not xs:
        return {"n": 0, "median": None, "p50": None, "p99": None, "min": None, "max": None, "samples": []}
    return {"n": len(xs), "median": statistics.median(xs), "p50": percentile(xs, 50), "p99": percentile(xs, 99),
            "min": min(xs), "max": max(xs), "samples": [round(x, 4) for x in xs]}


def ratio(a, b):
    try:
        return a / b if a is not None and b else None
    except TypeError:
        return None


# ---------------------------------------------------------------- context

MODES = {
    # rounds / durations; quick keeps the whole run under 5 minutes, full under 25.
    "quick": {"cold_rounds": 3, "wrk_rounds": 1, "wrk_s": 3, "score_n": 2000, "http_envelopes": 200,
              "uploads": 3, "attempts": 40, "attempt_rate": 8.0, "scale_s": 2, "scale_post_n": 20,
              "scale_conns": [1, 4, 16, 64, 256], "scale_sizes": [10, 100, 1000]},
    "full": {"cold_rounds": 10, "wrk_rounds": 3, "wrk_s": 10, "score_n": 3000, "http_envelopes": 1000,
             "uploads": 10, "attempts": 200, "attempt_rate": 10.0, "scale_s": 5, "scale_post_n": 60,
             "scale_conns": [1, 4, 16, 64, 256], "scale_sizes": [10, 100, 1000]},
}


@dataclass
class Ctx:
    root: str
    data_dir: str
    mode: str
    endpoints: dict
    secrets: dict
    peer_dir: str | None
    peer_python: str | None
    p: dict = field(default_factory=dict)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _tokens: dict = field(default_factory=dict)
    _s3: object = None

    @property
    def release(self):
        return os.path.join(self.root, "target", "release")

    def bin(self, name):
        return os.path.join(self.release, name)

    @property
    def kafka(self):
        return self.endpoints["kafka"]["bootstrap"]

    @property
    def mongodb_uri(self):
        return self.endpoints["mongodb"]["uri"]

    @property
    def s3_endpoint(self):
        return self.endpoints["s3"]["endpoint"]

    @property
    def bucket(self):
        return self.endpoints["s3"]["bucket"]

    @property
    def maildir(self):
        return self.endpoints["smtp"]["maildir"]

    def function_env(self, name):
        """The environment the platform gave this function (read from its process), so a
        benchmark copy of it talks to the same servers."""
        def environ(pid):
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    pairs = [x.split(b"=", 1) for x in f.read().split(b"\0") if b"=" in x]
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().split(b"\0")
            except OSError:
                return None
            env = {k.decode(): v.decode() for k, v in pairs}
            # ours only: `examfn run <name>` of this platform (same MongoDB)
            if name.encode() in cmd and env.get("MONGODB_URI") == self.mongodb_uri:
                return env
            return None

        env = environ(self.endpoints["functions"][name]["pid"])
        if env is None:  # restarted by `up` after a crash: find the new process
            for pid in filter(str.isdigit, os.listdir("/proc")):
                env = environ(pid)
                if env is not None:
                    break
        if env is None:
            raise RuntimeError(f"the platform's {name} is not running")
        return env

    def peer_app(self, fn):
        if not self.peer_dir or not self.peer_python:
            return None
        d = os.path.join(self.peer_dir, "knative", fn, "app")
        return d if os.path.isdir(d) else None

    def peer_env(self, **extra):
        env = base_env()
        env.update({"AWS_ACCESS_KEY_ID": self.secrets["s3_access_key"],
                    "AWS_SECRET_ACCESS_KEY": self.secrets["s3_secret_key"],
                    "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                    "AWS_ENDPOINT_URL_S3": self.s3_endpoint, "AWS_ENDPOINT_URL": self.s3_endpoint,
                    "BUCKET_NAME": self.bucket, "MONGO_URI": self.mongodb_uri,
                    "MONGO_TABLE_NAME": "subscribers", "KAFKA_BOOTSTRAP_SERVER": self.kafka,
                    "EMAIL_TOPIC_ARN": f"bench-peer-email-{self.run_id}", "TOPIC_ARN": f"bench-peer-email-{self.run_id}",
                    "MAILGUN_API_KEY": "bench-not-used", "PYTHONDONTWRITEBYTECODE": "1"})
        env.update(extra)
        return env

    def peer_cmd(self, port):
        return [self.peer_python, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port),
                "--log-level", "warning"]

    def s3(self):
        if self._s3 is None:
            import boto3
            from botocore.config import Config
            self._s3 = boto3.client("s3", endpoint_url=self.s3_endpoint, region_name="us-east-1",
                                    aws_access_key_id=self.secrets["s3_access_key"],
                                    aws_secret_access_key=self.secrets["s3_secret_key"],
                                    config=Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"}))
        return self._s3

    def token(self, email, role="student"):
        key = (email, role)
        if key not in self._tokens:
            out = subprocess.run([self.bin("examfn"), "token", "--data-dir", self.data_dir, "--email", email,
                                  "--role", role], capture_output=True, text=True, check=True, timeout=30).stdout
            self._tokens[key] = out.strip().splitlines()[-1].strip()
        return self._tokens[key]


def base_env():
    """A clean environment: no AWS_/MONGO/KAFKA leftovers from the caller."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "LC_ALL")
    return {k: v for k, v in os.environ.items() if k in keep}


# ---------------------------------------------------------------- sockets, processes, memory

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_status(port, path, headers=(), timeout=0.5):
    """Status code of one GET over a fresh connection, or None when nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
            h = "".join(f"{x}\r\n" for x in headers)
            c.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{h}Connection: close\r\n\r\n".encode())
            head = c.recv(16)
            if head.startswith(b"HTTP/1."):
                return int(head[9:12])
    except (OSError, ValueError):
        pass
    return None


class StartFailed(Exception):
    pass


def spawn_until_200(cmd, env, port, path, headers=(), cwd=None, timeout=60.0, log=None, poll_s=0.0005):
    """Start a server and poll `path` every `poll_s` until it answers 200.
    Returns (process, ms from exec to the first 200). Raises StartFailed (process killed)."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    t0 = time.perf_counter()
    try:
        p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
    except OSError as e:
        if log:
            out.close()
        raise StartFailed(f"cannot start {cmd[0]}: {e}") from e
    try:
        while True:
            if http_status(port, path, headers) == 200:
                return p, (time.perf_counter() - t0) * 1e3
            if p.poll() is not None:
                raise StartFailed(f"{os.path.basename(cmd[0])} exited with {p.returncode} before {path} answered 200"
                                  + (f" (log: {tail(log)})" if log else ""))
            if time.perf_counter() - t0 > timeout:
                raise StartFailed(f"{os.path.basename(cmd[0])}: no 200 on {path} within {timeout:.0f} s")
            time.sleep(poll_s)
    except BaseException:
        stop(p)
        raise
    finally:
        if log:
            out.close()


def tail(path, n=400):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode(errors="replace").strip().replace("\n", " | ")
    except OSError:
        return ""


def stop(p, timeout=10):
    if p is None or p.poll() is not None:
        return
    p.terminate()
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


def memory(pid):
    """RSS (VmRSS), PSS and private memory (smaps_rollup) of a process, in MB."""
    m = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    m["rss_mb"] = int(line.split()[1]) / 1024
        with open(f"/proc/{pid}/smaps_rollup") as f:
            kb = {}
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                    kb[parts[0][:-1]] = int(parts[1])
        m["pss_mb"] = kb.get("Pss", 0) / 1024
        m["private_mb"] = (kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)) / 1024
        m["anonymous_mb"] = kb.get("Anonymous", 0) / 1024
    except OSError:
        pass
    return m


class RssSampler(threading.Thread):
    """Samples VmRSS of a process every `every` s until stopped (max and all samples)."""

    def __init__(self, pid, every=0.1):
        super().__init__(daemon=True)
        self.pid, self.every, self.samples = pid, every, []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            m = memory(self.pid).get("rss_mb")
            if m:
                self.samples.append(m)
            self.done.wait(self.every)

    def stop(self):
        self.done.set()
        self.join(2)
        return max(self.samples) if self.samples else None


# ---------------------------------------------------------------- wrk

WRK_LUA = os.path.join(HERE, "wrk_report.lua")


def wrk(url, conns, duration_s, headers=(), body_file=None, timeout_s=10):
    """One bounded wrk run; returns req/s and latency p50/p90/p99/min/max/mean in ms.
    Non-2xx answers or socket errors are reported (the caller decides)."""
    threads = 1 if conns == 1 else 2
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration_s}s", f"--timeout", f"{timeout_s}s",
           "-s", WRK_LUA]
    for h in headers:
        cmd += ["-H", h]
    env = dict(os.environ, WRK_BODY_FILE=body_file or "")
    cp = subprocess.run(cmd + [url], capture_output=True, text=True, env=env, timeout=duration_s + timeout_s + 60)
    out = cp.stdout
    m = re.search(r"^WRKJSON (\{.*\})$", out, re.M)
    if cp.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({cp.returncode}): {out[-500:]} {cp.stderr[-500:]}")
    r = json.loads(m.group(1))
    res = {"conns": conns, "threads": threads, "duration_s": duration_s, "requests": r["requests"],
           "rps": r["requests"] / (r["duration_us"] / 1e6),
           "errors": r["errors"], "non2xx": r["status"]}
    for k in ("p50", "p90", "p99", "min", "max", "mean"):
        res[k + "_ms"] = r[k] / 1000.0
    return res
