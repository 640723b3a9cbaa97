#!/usr/bin/env python3
"""CDC (cdc-relay + score-calc) against a polling batch job, on one workload.

The question of seed 004: what does stream-based sync save against a job
that polls the database every 10 s or every 600 s? Every strategy watches
the same workload at the same time: N graded attempts inserted into
`<db>.score` evenly over T (simulated) minutes, on top of BASE older results.

* cdc        : cdc-relay (change stream -> Debezium records) + score-calc
               (FUNC_TRANSPORT=kafka) -> score card on its email topic.
* poll-inc-P : every P s, `find({seq: {$gt: watermark}})` (an incremental
               job with a watermark), a score card per new document.
* poll-full-P: every P s, `find({})` (the naive synchroniser that re-reads
               the collection), a score card per document not seen before.

Time compression: the whole run (arrivals and poll intervals) is played
COMPRESSION times faster than simulated time, so a 600 s job polls every
600/COMPRESSION s of wall time and keeps the same number of polls per
workload. Polling delays (dominated by the wait for the next poll) are
reported in simulated time (measured x COMPRESSION); CDC delays are
processing-bound and reported as measured (wall time).

Bytes read from MongoDB are counted on the wire by a TCP proxy in front of
MongoDB for each strategy (both directions, wire protocol bytes); bytes
moved over Kafka are the key+value+header sizes of the records each
strategy produced. Inserts by the workload itself are not counted.

    ~/.cache/examfn/bench-venv/bin/python bench/cdc-vs-polling/run.py \
        --brokers 127.0.0.1:9092 --mongo 127.0.0.1:27017 --n 120 --minutes 20 --compression 10
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import benchlib as B  # noqa: E402
from bson import ObjectId  # noqa: E402
from confluent_kafka import Producer  # noqa: E402
from pymongo import MongoClient  # noqa: E402


def score_card(doc: dict) -> str:
    """The batch job's score card (same text as score-calc's)."""
    out = "Exam-Generator - Score Card\n\n"
    out += f"Student: {doc.get('email') or 'No email provided'}\n"
    out += f"Score: {doc.get('score', 'Score not available')}\n"
    out += f"Result: {str(doc.get('result') or 'N/A').upper()}\n\nExam Details:\n"
    for d in doc.get("details", []):
        out += f"- Question: {d.get('question', 'N/A')}\n"
        out += f"  Your Answer: {d.get('user_answer', 'N/A')} ({'Correct' if d.get('is_correct') else 'Incorrect'})\n"
        out += f"  Correct Answer: {d.get('correct_answer', 'N/A')}\n\n"
    return out


class Poller(threading.Thread):
    def __init__(self, name: str, mongo: tuple[str, int], db: str, brokers: str, topic: str,
                 interval_s: float, full: bool, start_seq: int):
        super().__init__(daemon=True)
        self.name_ = name
        self.proxy = B.CountingProxy(*mongo)
        self.client = MongoClient(self.proxy.uri())
        self.coll = self.client[db]["score"]
        self.producer = Producer({"bootstrap.servers": brokers, "linger.ms": 5})
        self.topic = topic
        self.interval = interval_s
        self.full = full
        self.watermark = start_seq
        self.seen: set[str] = set()
        self.polls = 0
        self.stop = threading.Event()

    def poll_once(self) -> None:
        query = {} if self.full else {"seq": {"$gt": self.watermark}}
        for doc in self.coll.find(query):
            oid = str(doc["_id"])
            if self.full:
                if oid in self.seen:
                    continue
                self.seen.add(oid)
                if doc.get("seq", -1) <= self.watermark:
                    continue  # an old result: the job already mailed it in an earlier life
            else:
                self.watermark = max(self.watermark, doc.get("seq", self.watermark))
            self.producer.produce(self.topic, key=oid.encode(), value=score_card(doc).encode())
        self.producer.flush(30)
        self.polls += 1

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            self.poll_once()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--mongo", required=True, help="host:port of MongoDB (no proxy)")
    ap.add_argument("--n", type=int, default=120, help="attempts in the workload")
    ap.add_argument("--minutes", type=float, default=20.0, help="simulated span of the workload")
    ap.add_argument("--compression", type=float, default=10.0, help="simulated seconds per wall second")
    ap.add_argument("--base", type=int, default=1000, help="older results already in the collection")
    ap.add_argument("--intervals", default="10,600", help="poll intervals in simulated seconds")
    ap.add_argument("--strategies", default="cdc,poll-inc,poll-full")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    a = ap.parse_args()
    host, port = a.mongo.rsplit(":", 1)
    mongo = (host, int(port))
    strategies = a.strategies.split(",")
    os.makedirs(a.out, exist_ok=True)

    db = B.unique("bench")
    direct = MongoClient(f"mongodb://{a.mongo}/?directConnection=true")
    coll = direct[db]["score"]
    for i in range(a.base):
        d = B.result_doc_json("x", i)
        d["_id"] = ObjectId()
        d["seq"] = -a.base + i
        coll.insert_one(d)

    topics = {}
    procs = []
    watchers = {}
    pollers: list[Poller] = []
    if "cdc" in strategies:
        topics["cdc-src"] = B.unique("bench-cdc")
        topics["cdc"] = B.unique("bench-email-cdc")
    for iv in [float(x) for x in a.intervals.split(",")]:
        for kind in ("poll-inc", "poll-full"):
            if kind in strategies:
                topics[f"{kind}-{int(iv)}s"] = B.unique(f"bench-email-{kind}")
    B.create_topics(a.brokers, list(topics.values()) + ([topics["cdc-src"] + ".dlq"] if "cdc" in strategies else []))

    if "cdc" in strategies:
        relay_proxy = B.CountingProxy(*mongo)
        calc_proxy = B.CountingProxy(*mongo)
        procs.append(B.start_function("cdc-relay", {
            "MONGODB_URI": relay_proxy.uri(), "MONGODB_DB": db, "KAFKA_BROKERS": a.brokers,
            "CDC_TOPIC": topics["cdc-src"]}, f"/tmp/{db}-relay.log"))
        procs.append(B.start_function("score-calc", {
            "FUNC_TRANSPORT": "kafka", "KAFKA_BROKERS": a.brokers, "KAFKA_TOPIC": topics["cdc-src"],
            "KAFKA_CONSUMER_GROUP": B.unique("score-calc"), "EMAIL_TOPIC": topics["cdc"],
            "MONGODB_URI": calc_proxy.uri(), "MONGODB_DB": db}, f"/tmp/{db}-score-calc.log"))
        for k in ("cdc-src", "cdc"):
            watchers[k] = B.TopicWatcher(a.brokers, topics[k])
        t0 = time.time()
        while direct[db]["cdc_offsets"].find_one() is None and time.time() - t0 < 15:
            time.sleep(0.1)
        time.sleep(1.0)  # score-calc joins its group
    for name, topic in topics.items():
        if name.startswith("poll-"):
            iv = float(name.rsplit("-", 1)[1][:-1])
            p = Poller(name, mongo, db, a.brokers, topic, iv / a.compression, name.startswith("poll-full"), -1)
            pollers.append(p)
            watchers[name] = B.TopicWatcher(a.brokers, topic)
    for w in watchers.values():
        w.start()
    for p in pollers:
        p.start()

    # The workload.
    span = a.minutes * 60.0 / a.compression
    gap = span / a.n
    inserted: dict[str, float] = {}
    start = time.time()
    for i in range(a.n):
        target = start + i * gap
        if (d := target - time.time()) > 0:
            time.sleep(d)
        doc = B.result_doc_json("x", i)
        doc["_id"] = ObjectId()
        doc["seq"] = i
        coll.insert_one(doc)
        inserted[str(doc["_id"])] = time.time()
    # Let every strategy catch up: one more poll of the slowest job.
    slowest = max([p.interval for p in pollers], default=0.0)
    deadline = time.time() + slowest + 30
    def complete() -> bool:
        keys = [k for k in watchers if k != "cdc-src"]
        return all(sum(1 for oid in inserted if oid in watchers[k].received) >= a.n for k in keys)
    while time.time() < deadline and not complete():
        time.sleep(0.5)
    time.sleep(1.0)
    for p in pollers:
        p.stop.set()
    for pr in procs:
        B.stop_process(pr)
    for w in watchers.values():
        w.stop.set()

    rows = []
    def delays(w: B.TopicWatcher, scale: float) -> list[float]:
        return [(w.received[k] - t) * scale for k, t in inserted.items() if k in w.received]
    if "cdc" in strategies:
        d = delays(watchers["cdc"], 1.0)
        # First stage alone: insert -> Debezium record on the CDC topic (key names the id).
        src = watchers["cdc-src"]
        relay_d = []
        for k, t_recv in src.received.items():
            try:
                kid = json.loads(k)
                kid = kid.get("payload", kid)["id"]
                oid = json.loads(kid)["$oid"]
            except (ValueError, KeyError, TypeError):
                continue
            if oid in inserted:
                relay_d.append(t_recv - inserted[oid])
        rows.append({"strategy": "cdc", "interval_s": 0, "polls": 0, "delivered": len(d),
                     "relay_delay_s": B.summary(relay_d),
                     "mongo_bytes": relay_proxy.total + calc_proxy.total,
                     "mongo_bytes_relay": relay_proxy.total, "mongo_bytes_score_calc": calc_proxy.total,
                     "kafka_bytes": watchers["cdc-src"].bytes + watchers["cdc"].bytes,
                     "delay_s": B.summary(d), "delay_scale": 1.0})
    for p in pollers:
        d = delays(watchers[p.name_], a.compression)
        iv = int(p.name_.rsplit("-", 1)[1][:-1])
        rows.append({"strategy": p.name_.rsplit("-", 1)[0], "interval_s": iv, "polls": p.polls, "delivered": len(d),
                     "mongo_bytes": p.proxy.total, "kafka_bytes": watchers[p.name_].bytes,
                     "delay_s": B.summary(d), "delay_scale": a.compression})
    result = {"n": a.n, "minutes": a.minutes, "compression": a.compression, "base": a.base,
              "wall_s": round(time.time() - start, 1), "rows": rows}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = os.path.join(a.out, f"run-{stamp}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    print(table(result))
    print(f"\nwritten {path}")


def table(r: dict) -> str:
    lines = [f"N={r['n']} attempts over {r['minutes']} simulated min, {r['base']} older results, "
             f"time compression x{r['compression']:g}",
             "",
             "| strategy | interval | polls | delivered | MongoDB bytes | Kafka bytes | delay p50 | delay p99 | delay max |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in r["rows"]:
        d = row["delay_s"]
        iv = "stream" if row["strategy"] == "cdc" else f"{row['interval_s']} s"
        lines.append(f"| {row['strategy']} | {iv} | {row['polls']} | {row['delivered']}/{r['n']} | "
                     f"{row['mongo_bytes']:,} | {row['kafka_bytes']:,} | {fmt(d['p50'])} | {fmt(d['p99'])} | {fmt(d['max'])} |")
    return "\n".join(lines)


def fmt(s: float) -> str:
    if s != s:
        return "n/a"
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.1f} s"


if __name__ == "__main__":
    main()
