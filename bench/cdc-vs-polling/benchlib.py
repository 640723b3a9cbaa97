"""Helpers shared by the examfn CDC benchmarks (bench/score-calc, bench/cdc-vs-polling).

Everything talks to real servers: a Kafka broker (tansu) and a MongoDB
(platform/mongo_launcher.py or mongod), given on the command line. The
functions run as the release binaries from target/release.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def create_topics(brokers: str, names: list[str]) -> None:
    admin = AdminClient({"bootstrap.servers": brokers})
    futures = admin.create_topics([NewTopic(n, num_partitions=1, replication_factor=1) for n in names])
    for name, f in futures.items():
        try:
            f.result(15)
        except Exception as e:  # already exists is fine
            if "TOPIC_ALREADY_EXISTS" not in str(e):
                raise


def new_oid() -> str:
    # 4-byte time + 8 random bytes: a valid ObjectId hex.
    return f"{int(time.time()):08x}" + os.urandom(8).hex()


def result_doc_json(oid: str, i: int, n_questions: int = 5) -> dict:
    score = i % (n_questions + 1)
    pct = score * 100 // n_questions
    return {
        "_id": {"$oid": oid},
        "email": f"student{i % 50}@example.org",
        "score": score,
        "result": "passed" if pct >= 50 else "failed",
        "details": [
            {"question": f"Question {q} of the lecture?", "user_answer": "A",
             "correct_answer": "A" if q < score else "B", "is_correct": q < score}
            for q in range(n_questions)
        ],
        "exam": f"lecture{i % 4}.json",
        "attempt_id": f"att-{oid}",
        "idempotency_key": f"idem-{oid}",
        "percentage": pct,
    }


def debezium_envelope(oid: str, doc: dict) -> tuple[bytes, bytes]:
    """A Debezium 2.x record (key, value; JsonConverter with schemas) for an insert."""
    after = json.dumps(doc, separators=(", ", ": "))
    key = json.dumps({"id": json.dumps({"$oid": oid}, separators=(", ", ": "))}, separators=(",", ":"))
    now = int(time.time() * 1000)
    value = {
        "schema": {"type": "struct", "optional": False, "name": "mongo-trigger-topic.exams.score.Envelope", "fields": []},
        "payload": {
            "before": None, "after": after, "updateDescription": None,
            "source": {"version": "2.7.0.Final", "connector": "mongodb", "name": "mongo-trigger-topic", "ts_ms": now,
                       "snapshot": "false", "db": "exams", "rs": "rs0", "collection": "score", "ord": 1},
            "op": "c", "ts_ms": now, "transaction": None,
        },
    }
    return key.encode(), json.dumps(value, separators=(",", ":")).encode()


def percentile(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1)))))
    return xs[k]


def summary(xs: list[float]) -> dict:
    return {"n": len(xs), "p50": percentile(xs, 50), "p99": percentile(xs, 99),
            "max": max(xs) if xs else float("nan"), "mean": statistics.fmean(xs) if xs else float("nan")}


class TopicWatcher(threading.Thread):
    """Consumes a topic from the start; records receive time and sizes per key."""

    def __init__(self, brokers: str, topic: str):
        super().__init__(daemon=True)
        self.topic = topic
        self.c = Consumer({"bootstrap.servers": brokers, "group.id": unique("bench"),
                           "auto.offset.reset": "earliest", "enable.auto.commit": False,
                           # tansu answers an empty fetch only after the max wait: keep it short
                           "fetch.wait.max.ms": 5})
        self.c.subscribe([topic])
        self.received: dict[str, float] = {}
        self.count = 0
        self.bytes = 0
        self.timestamps: list[int] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.stop.is_set():
            m = self.c.poll(0.1)
            if m is None or m.error():
                continue
            now = time.time()
            key = (m.key() or b"").decode(errors="replace")
            size = len(m.key() or b"") + len(m.value() or b"") + sum(len(k) + len(v or b"") for k, v in (m.headers() or []))
            with self.lock:
                self.count += 1
                self.bytes += size
                self.received.setdefault(key, now)
                self.timestamps.append(m.timestamp()[1])
        self.c.close()


class CountingProxy:
    """A TCP proxy on loopback that counts the bytes in both directions."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.up = 0    # client -> server
        self.down = 0  # server -> client
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.ready = threading.Event()
        self.thread.start()
        self.ready.wait(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", self.port))
        self.ready.set()
        self.loop.run_forever()
        server.close()

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter, up: bool) -> None:
        try:
            while data := await r.read(65536):
                if up:
                    self.up += len(data)
                else:
                    self.down += len(data)
                w.write(data)
                await w.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            w.close()

    async def _client(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        try:
            sr, sw = await asyncio.open_connection(*self.target)
        except OSError:
            cw.close()
            return
        await asyncio.gather(self._pipe(cr, sw, True), self._pipe(sr, cw, False))

    @property
    def total(self) -> int:
        return self.up + self.down

    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"


@dataclass
class Proc:
    name: str
    p: subprocess.Popen
    log: str = ""


def start_function(binary: str, env: dict, log_path: str, cpu: int | None = None) -> subprocess.Popen:
    cmd = [os.path.join(REPO, "target", os.environ.get("BENCH_PROFILE", "release"), binary)]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    full_env = {"PATH": os.environ.get("PATH", ""), "RUST_LOG": "warn", "PORT": str(free_port())}
    full_env.update(env)
    return subprocess.Popen(cmd, env=full_env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)


def stop_process(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
