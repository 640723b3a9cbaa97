"""(a) Cold start of every function, ours vs the peer's equivalent, alternating in each round:
exec -> first 200 on the liveness path (ours /health/liveness, the peer's /health), polled every
0.5 ms over a fresh connection; idle memory 1 s after ready (VmRSS, PSS, private)."""

from __future__ import annotations

import os
import time

from common import StartFailed, free_port, memory, spawn_until_200, stop, summary

# ours (thin release binary) -> the peer's function doing the same job
PAIRS = [
    ("take-exam", "ExamTakeFn"),
    ("score-calc", "MongoTriggerFn"),
    ("email", "EmailSendFn"),
    ("email", "PostSignUpFn"),
    ("exam-gen", "ExamGenFn"),
    ("cdc-relay", None),
]


def our_env(ctx, name, port):
    env = ctx.function_env(name)
    env.update({"PORT": str(port), "FUNC_TRANSPORT": "http", "RUST_LOG": "warn"})
    if name == "cdc-relay":
        # its own collection and topic: a second relay must not duplicate the platform's records
        env.update({"CDC_COLLECTION": f"bench_cold_{ctx.run_id}", "CDC_TOPIC": f"bench-cold-cdc-{ctx.run_id}"})
    return env


def one(cmd, env, port, path, cwd, log):
    p, ms = spawn_until_200(cmd, env, port, path, cwd=cwd, log=log)
    try:
        time.sleep(1.0)
        mem = memory(p.pid)
    finally:
        stop(p)
    return ms, mem


def run(ctx):
    rounds = ctx.p["cold_rounds"]
    logs = os.path.join(ctx.data_dir, "bench-logs")
    os.makedirs(logs, exist_ok=True)
    samples = {}  # key -> {"start_ms": [], "rss_mb": [], ...}
    errors = {}

    def add(key, ms, mem):
        s = samples.setdefault(key, {"start_ms": [], "rss_mb": [], "pss_mb": [], "private_mb": []})
        s["start_ms"].append(ms)
        for k in ("rss_mb", "pss_mb", "private_mb"):
            s[k].append(mem.get(k))

    for r in range(rounds):
        for ours, peer in PAIRS:
            key = f"ours:{ours}"
            if not (ours == "email" and peer == "PostSignUpFn"):  # email measured once per round
                port = free_port()
                try:
                    add(key, *one([ctx.bin(ours)], our_env(ctx, ours, port), port, "/health/liveness", None,
                                  os.path.join(logs, f"cold-{ours}.log")))
                except StartFailed as e:
                    errors[key] = str(e)
            app = ctx.peer_app(peer) if peer else None
            if app and f"peer:{peer}" not in errors:
                port = free_port()
                try:
                    add(f"peer:{peer}", *one(ctx.peer_cmd(port), ctx.peer_env(), port, "/health", app,
                                             os.path.join(logs, f"cold-{peer}.log")))
                except StartFailed as e:
                    errors[f"peer:{peer}"] = str(e)
        print(f"  cold start round {r + 1}/{rounds} done", flush=True)

    out = {"rounds": rounds, "pairs": PAIRS, "errors": errors, "figures": {}}
    for key, s in samples.items():
        out["figures"][key] = {k: summary(v) for k, v in s.items()}
    return out
