"""(c) score-calc:
1. envelopes/s in the Kafka transport on one core: bench/score-calc/throughput.py as a subprocess
   (it pre-produces N Debezium envelopes, starts the release score-calc pinned to one CPU, and
   rates the score cards appearing on a fresh email topic; its last stdout line is JSON);
2. side by side over HTTP (as Knative's KafkaSource would deliver): the same Debezium envelopes
   POSTed as binary-mode CloudEvents, 8 in flight, a bounded count, to our score-calc
   (FUNC_TRANSPORT=http; own database and email topic) and to the peer's MongoTriggerFn (which only
   formats the card and hands it to kafka-python; no scoreboard, no exactly-once)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time

from common import StartFailed, free_port, spawn_until_200, stop, summary

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cdc-vs-polling"))
import benchlib as B  # noqa: E402


def throughput(ctx):
    script = os.path.join(ctx.root, "bench", "score-calc", "throughput.py")
    cmd = [sys.executable, script, "--brokers", ctx.kafka, "--mongo-uri", ctx.mongodb_uri, "--n", str(ctx.p["score_n"]),
           "--timeout", "600"]
    helptext = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True, timeout=60).stdout
    if "--json" in helptext:  # newer versions print the JSON line only when asked
        cmd.append("--json")
    cp = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ctx.root)
    lines = [x for x in cp.stdout.strip().splitlines() if x.strip()]
    res = None
    for line in reversed(lines):
        try:
            res = json.loads(line)
            break
        except ValueError:
            continue
    if cp.returncode != 0 or not isinstance(res, dict):
        raise RuntimeError(f"throughput.py failed ({cp.returncode}): {cp.stdout[-400:]} {cp.stderr[-400:]}")
    return res


def post_all(port, bodies, conc):
    """POST every body with `conc` keep-alive connections; returns (latencies ms, wall s, failures)."""
    lock = threading.Lock()
    it = iter(enumerate(bodies))
    lat, fails = [], []

    def worker():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                nxt = next(it, None)
            if nxt is None:
                break
            i, body = nxt
            hdr = {"Content-Type": "application/json", "ce-specversion": "1.0", "ce-id": f"partition:0/offset:{i}",
                   "ce-type": "dev.knative.kafka.event", "ce-source": "/bench/score-calc",
                   "ce-subject": f"partition:0#{i}"}
            t0 = time.perf_counter()
            try:
                c.request("POST", "/", body=body, headers=hdr)
                r = c.getresponse()
                r.read()
                ok = 200 <= r.status < 300
            except OSError as e:
                ok = False
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                r = e
            with lock:
                (lat if ok else fails).append((time.perf_counter() - t0) * 1e3 if ok else str(getattr(r, "status", r)))
        c.close()

    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker) for _ in range(conc)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(600)
    return lat, time.perf_counter() - t0, fails


def http_side_by_side(ctx):
    n, conc = ctx.p["http_envelopes"], 8
    bodies = []
    for i in range(n):
        oid = B.new_oid()
        bodies.append(B.debezium_envelope(oid, B.result_doc_json(oid, i))[1])
    email_topic = f"bench-http-email-{ctx.run_id}"
    B.create_topics(ctx.kafka, [email_topic])
    logs = os.path.join(ctx.data_dir, "bench-logs")
    out = {"n": n, "concurrency": conc}
    port = free_port()
    env = ctx.function_env("score-calc")
    env.update({"PORT": str(port), "FUNC_TRANSPORT": "http", "RUST_LOG": "warn", "EMAIL_TOPIC": email_topic,
                "MONGODB_DB": f"bench_sc_{ctx.run_id}"})
    p, _ = spawn_until_200([ctx.bin("score-calc")], env, port, "/health/readiness", log=os.path.join(logs, "score-calc-http.log"))
    try:
        lat, wall, fails = post_all(port, bodies, conc)
        out["ours"] = {"per_s": len(lat) / wall, "ms": summary(lat), "failures": len(fails), "fail_examples": fails[:3]}
    finally:
        stop(p)
    app = ctx.peer_app("MongoTriggerFn")
    if app:
        port = free_port()
        try:
            p, _ = spawn_until_200(ctx.peer_cmd(port), ctx.peer_env(EMAIL_TOPIC_ARN=email_topic), port, "/health",
                                   cwd=app, log=os.path.join(logs, "MongoTriggerFn-http.log"))
        except StartFailed as e:
            out["peer_error"] = str(e)
            return out
        try:
            before = records_on(ctx.kafka, email_topic)
            lat, wall, fails = post_all(port, bodies, conc)
            out["peer"] = {"per_s": len(lat) / wall, "ms": summary(lat), "failures": len(fails), "fail_examples": fails[:3]}
            # the peer answers 200 before kafka-python has sent anything: count what reached the topic
            deadline = time.time() + 10
            while records_on(ctx.kafka, email_topic) - before < n and time.time() < deadline:
                time.sleep(0.2)
            out["peer"]["cards_on_topic"] = records_on(ctx.kafka, email_topic) - before
        finally:
            stop(p)
    return out


def records_on(brokers, topic):
    """High watermark of partition 0 of a one-partition topic."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": brokers, "group.id": B.unique("bench-wm"), "enable.auto.commit": False})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
    finally:
        c.close()


def run(ctx):
    out = {"errors": {}}
    try:
        out["kafka_one_core"] = throughput(ctx)
        print(f"  score-calc Kafka transport: {out['kafka_one_core'].get('events_per_s')} envelopes/s", flush=True)
    except Exception as e:  # noqa: BLE001 - reported, the rest of the run goes on
        out["errors"]["kafka_one_core"] = str(e)
    try:
        out["http"] = http_side_by_side(ctx)
        print(f"  score-calc over HTTP: ours {out['http'].get('ours', {}).get('per_s', 0):.0f}/s, "
              f"peer {out['http'].get('peer', {}).get('per_s', 0):.0f}/s", flush=True)
    except Exception as e:  # noqa: BLE001
        out["errors"]["http"] = str(e)
    return out
