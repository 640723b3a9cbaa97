#!/usr/bin/env python3
"""score-calc throughput in the Kafka transport on one core.

Pre-produces N distinct Debezium insert envelopes to a fresh topic, then
starts the release score-calc pinned to one CPU (`taskset -c 0`,
FUNC_TRANSPORT=kafka) and measures how fast score cards appear on a fresh
email topic: rate = (N - 1) / (last - first record timestamp), the
timestamps being set by score-calc's producer.

    ~/.cache/examfn/bench-venv/bin/python bench/score-calc/throughput.py \
        --brokers 127.0.0.1:9092 --mongo-uri 'mongodb://127.0.0.1:27017/?directConnection=true' --n 3000

Each envelope costs score-calc one claim insert, two scoreboard CAS rounds
(read + update), one `$max` upsert, one produce and one `state: sent`
update: MongoDB round trips dominate, so the figure depends on the MongoDB
server (the Python nx-27017 stand-in locally).
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cdc-vs-polling"))
import benchlib as B  # noqa: E402
from confluent_kafka import Producer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--mongo-uri", required=True)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--cpu", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--out", default=None, help="append the result as a JSON line here")
    a = ap.parse_args()

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

    watcher = B.TopicWatcher(a.brokers, email)
    watcher.start()
    env = {"FUNC_TRANSPORT": "kafka", "KAFKA_BROKERS": a.brokers, "KAFKA_TOPIC": src,
           "KAFKA_CONSUMER_GROUP": B.unique("score-calc"), "EMAIL_TOPIC": email,
           "MONGODB_URI": a.mongo_uri, "MONGODB_DB": B.unique("bench")}
    t0 = time.time()
    proc = B.start_function("score-calc", env, f"/tmp/{src}.log", cpu=a.cpu)
    try:
        while watcher.count < a.n and time.time() - t0 < a.timeout:
            if proc.poll() is not None:
                sys.exit(f"score-calc exited: see /tmp/{src}.log")
            time.sleep(0.2)
        wall = time.time() - t0
    finally:
        B.stop_process(proc)
        watcher.stop.set()
    ts = sorted(watcher.timestamps)
    done = len(ts)
    rate = (done - 1) / ((ts[-1] - ts[0]) / 1000.0) if done > 1 and ts[-1] > ts[0] else float("nan")
    res = {"bench": "score-calc-throughput", "n": a.n, "done": done, "cpu": a.cpu, "envelope_bytes": envelope_bytes,
           "events_per_s": round(rate, 1), "wall_s_incl_start": round(wall, 2)}
    print(json.dumps(res))
    if a.out:
        with open(a.out, "a") as f:
            f.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
