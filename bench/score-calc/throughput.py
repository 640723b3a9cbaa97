#!/usr/bin/env python3
"""score-calc throughput in the Kafka transport on one core.

Pre-produces N distinct Debezium insert envelopes to a fresh topic, then
starts the release score-calc pinned to one CPU (`taskset -c 0`,
FUNC_TRANSPORT=kafka) and measures how fast score cards appear on a fresh
email topic: rate = (N - 1) / (last - first record timestamp), the
timestamps being set by score-calc's producer.

    ~/.cache/examfn/bench-venv/bin/python bench/score-calc/throughput.py \
        --brokers 127.0.0.1:9092 --mongo-uri 'mongodb://127.0.0.1:27017/?directConnection=true' --n 3000

The runtime hands score-calc up to KAFKA_BATCH_MAX records at once (the
function's default, 500, unless --batch-max is given; 1 = one record at a
time). A batch costs one claim `insert_many`, one scoreboard CAS (read +
update) per distinct board, one `update` command with the best upserts, the
produces (concurrently) and one `update_many` marking them sent: MongoDB
work per document still dominates, so the figure depends on the MongoDB
server (the Python nx-27017 stand-in locally).

Also reported: the batch sizes score-calc logged, and the CPU use (% of one
core, from /proc) of score-calc and of any process given with
--watch-pid NAME=PID (e.g. the MongoDB stand-in) between the first and the
last score card.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cdc-vs-polling"))
import benchlib as B  # noqa: E402
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402


class WatermarkCounter:
    """Counts the cards from the email topic's high watermark (a ListOffsets
    request) instead of consuming it while score-calc produces: tansu 0.6
    serialises produce against a concurrent fetch of the same topic (500
    records take 0.1 s alone and 2-14 s while a consumer reads the topic),
    so a live reader would measure its own interference. The cards are
    read once, after score-calc stopped, for their timestamps."""

    def __init__(self, brokers: str, topic: str):
        self.brokers, self.topic = brokers, topic
        self.c = Consumer({"bootstrap.servers": brokers, "group.id": B.unique("bench-count"),
                           "enable.auto.commit": False})
        self.count = 0

    def poll(self) -> int:
        try:
            _, high = self.c.get_watermark_offsets(TopicPartition(self.topic, 0), timeout=10)
            self.count = max(self.count, high)
        except KafkaException as e:  # a busy broker: ask again next time
            print(f"watermark query failed: {e}", file=sys.stderr)
        return self.count

    def timestamps(self, n: int, timeout: float = 120) -> list[int]:
        self.c.close()
        reader = B.TopicWatcher(self.brokers, self.topic)
        reader.start()
        deadline = time.time() + timeout
        while reader.count < n and time.time() < deadline:
            time.sleep(0.2)
        reader.stop.set()
        return list(reader.timestamps)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its reaped children), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--mongo-uri", required=True)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--cpu", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--out", default=None, help="append the result as a JSON line here")
    ap.add_argument("--batch-max", type=int, default=None, help="KAFKA_BATCH_MAX for score-calc (default: its own, 500)")
    ap.add_argument("--live-reader", action="store_true",
                    help="count cards with a consumer reading the email topic during the run (the old way; slows tansu down)")
    ap.add_argument("--watch-pid", action="append", default=[], metavar="NAME=PID",
                    help="also report this process's CPU use during the run (repeatable)")
    a = ap.parse_args()
    watched = {name: int(pid) for name, pid in (w.split("=", 1) for w in a.watch_pid)}

    src, email = B.unique("bench-cdc"), B.unique("bench-email")
    B.create_topics(a.brokers, [src, email, src + ".dlq"])
    p = Producer({"bootstrap.servers": a.brokers, "linger.ms": 5})
    for i in range(a.n):
        oid = B.new_oid()
        k, v = B.debezium_envelope(oid, B.result_doc_json(oid, i))
        p.produce(src, key=k, value=v)
        if i % 1000 == 0:
            p.poll(0)
    p.flush(60)
    envelope_bytes = len(v)

    if a.live_reader:
        watcher = B.TopicWatcher(a.brokers, email)
        watcher.start()
    else:
        watcher = WatermarkCounter(a.brokers, email)
    env = {"FUNC_TRANSPORT": "kafka", "KAFKA_BROKERS": a.brokers, "KAFKA_TOPIC": src,
           "KAFKA_CONSUMER_GROUP": B.unique("score-calc"), "EMAIL_TOPIC": email,
           "MONGODB_URI": a.mongo_uri, "MONGODB_DB": B.unique("bench"),
           # one line per batch (size, time); the rest stays at warn
           "RUST_LOG": os.environ.get("BENCH_RUST_LOG", "warn,examfn_runtime::kafka=info")}
    if a.batch_max is not None:
        env["KAFKA_BATCH_MAX"] = str(a.batch_max)
    log_path = f"/tmp/{src}.log"
    t0 = time.time()
    proc = B.start_function("score-calc", env, log_path, cpu=a.cpu)
    pids = {"score-calc": proc.pid, **watched}
    first = last = None
    try:
        while watcher.count < a.n and time.time() - t0 < a.timeout:
            if proc.poll() is not None:
                sys.exit(f"score-calc exited: see {log_path}")
            if not a.live_reader:
                watcher.poll()
            if first is None and watcher.count > 0:
                first = (time.time(), {k: cpu_seconds(p) for k, p in pids.items()})
            time.sleep(0.1)
        if first is not None:
            last = (time.time(), {k: cpu_seconds(p) for k, p in pids.items()})
        wall = time.time() - t0
    finally:
        B.stop_process(proc)
        if a.live_reader:
            watcher.stop.set()
    cpu = {}
    if first and last and last[0] > first[0]:
        cpu = {f"cpu_pct_{k}": round(100 * (last[1][k] - first[1][k]) / (last[0] - first[0]), 1) for k in pids}
    with open(log_path) as f:
        batch_lines = re.findall(r"^(\S+Z) .*batch handled events=(\d+) .*took_ms=([\d.]+)", f.read(), re.M)
    sizes = [int(n) for _, n, _ in batch_lines]
    ts = sorted(watcher.timestamps if a.live_reader else watcher.timestamps(watcher.poll()))
    done = len(ts)
    rate = (done - 1) / ((ts[-1] - ts[0]) / 1000.0) if done > 1 and ts[-1] > ts[0] else float("nan")
    res = {"bench": "score-calc-throughput", "n": a.n, "done": done, "cpu": a.cpu, "envelope_bytes": envelope_bytes,
           "events_per_s": round(rate, 1), "wall_s_incl_start": round(wall, 2),
           "counting": "live-reader" if a.live_reader else "watermark",
           "batch_max": a.batch_max if a.batch_max is not None else 500, "batches": len(sizes),
           "batch_mean": round(statistics.mean(sizes), 1) if sizes else None,
           "batch_max_seen": max(sizes) if sizes else None,
           # events per second of batch handling time (claim .. mark sent), from score-calc's log
           "events_per_busy_s": round(sum(sizes) / (sum(float(t) for _, _, t in batch_lines) / 1000), 1) if sizes else None,
           **cpu}
    print(json.dumps(res))
    if a.out:
        with open(a.out, "a") as f:
            f.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
