"""(b) take-exam: exec -> first handled request (GET /exam?object_name= with a student token; the
peer: GET /?object_name=), then wrk at -c 1 -t 1 and -c 32 -t 2 (req/s, latency percentiles), RSS
sampled during the load; ours vs the peer, in the same run on the same S3 bucket.

Our take-exam is a fresh thin release binary with the platform's environment, but its own MongoDB
database, so the benchmark's attempts never reach the platform's change stream."""

from __future__ import annotations

import json
import os
import time
import urllib.request

from common import RssSampler, StartFailed, free_port, memory, spawn_until_200, stop, summary, wrk


def exam(n):
    """An exam of n questions: 60 % multiple choice (4 options), 40 % true/false."""
    qs = []
    for i in range(n):
        if i % 5 < 3:
            opts = [f"Option {chr(65 + j)} for question {i + 1}: a plausible answer text" for j in range(4)]
            qs.append({"question": f"Question {i + 1}: which statement about topic {i + 1} of the lecture is right?",
                       "options": opts, "correct_answer": opts[i % 4]})
        else:
            qs.append({"question": f"True or false {i + 1}: the lecture says statement number {i + 1} holds.",
                       "options": ["True", "False"], "correct_answer": "True" if i % 2 else "False"})
    return qs


def exam_name(ctx, n):
    return f"bench-{ctx.run_id}-{n}q.json"


def seed(ctx, sizes):
    """Put the exams into the platform's bucket (questions_bank/), once per run."""
    done = ctx.__dict__.setdefault("_seeded", {})
    for n in sizes:
        if n not in done:
            body = json.dumps(exam(n)).encode()
            ctx.s3().put_object(Bucket=ctx.bucket, Key=f"questions_bank/{exam_name(ctx, n)}", Body=body,
                                ContentType="application/json")
            done[n] = len(body)
    return done


def answers_file(ctx, n, path):
    """A POST body answering every question (every third one wrongly)."""
    body = {"answers": [q["options"][0] if i % 3 == 2 else q["correct_answer"] for i, q in enumerate(exam(n))]}
    with open(path, "w") as f:
        json.dump(body, f)
    return path


def start_ours(ctx, first_path=None, token=None):
    """Our take-exam on a free port; returns (process, port, ms to first 200 on first_path)."""
    port = free_port()
    env = ctx.function_env("take-exam")
    env.update({"PORT": str(port), "RUST_LOG": "warn", "MONGODB_DB": f"bench_{ctx.run_id}"})
    hdr = [f"Authorization: Bearer {token}"] if token else []
    p, ms = spawn_until_200([ctx.bin("take-exam")], env, port, first_path or "/health/liveness", headers=hdr,
                            log=os.path.join(ctx.data_dir, "bench-logs", "take-exam.log"))
    return p, port, ms


def start_peer(ctx, first_path=None):
    app = ctx.peer_app("ExamTakeFn")
    if not app:
        return None, None, None
    port = free_port()
    p, ms = spawn_until_200(ctx.peer_cmd(port), ctx.peer_env(), port, first_path or "/health", cwd=app,
                            log=os.path.join(ctx.data_dir, "bench-logs", "ExamTakeFn.log"))
    return p, port, ms


def get_json(url, token=None):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def load(pid, url, conns, secs, headers=(), body_file=None, warmup_s=1):
    """A warm-up wrk run (discarded), then the measured one with RSS sampled during it."""
    if warmup_s:
        wrk(url, conns, warmup_s, headers, body_file=body_file)
    s = RssSampler(pid)
    s.start()
    try:
        res = wrk(url, conns, secs, headers, body_file=body_file)
    finally:
        res_rss = s.stop()
    res["rss_max_mb"] = res_rss
    return res


def run(ctx):
    os.makedirs(os.path.join(ctx.data_dir, "bench-logs"), exist_ok=True)
    sizes = seed(ctx, [20])
    name = exam_name(ctx, 20)
    token = ctx.token(f"bench-{ctx.run_id}@example.org")
    hdr = [f"Authorization: Bearer {token}"]
    ours_path = f"/exam?object_name={name}"
    peer_path = f"/?object_name={name}"
    rounds, secs = ctx.p["wrk_rounds"], ctx.p["wrk_s"]
    raw = {"ours": [], "peer": []}
    errors = {}
    for r in range(rounds):
        # ours: exec -> first handled request, idle memory, then the load
        p, port, first_ms = start_ours(ctx, ours_path, token)
        try:
            got = get_json(f"http://127.0.0.1:{port}{ours_path}", token)
            assert len(got["questions"] if isinstance(got, dict) else got) == 20, "take-exam serves the 20 questions"
            time.sleep(1.0)
            idle = memory(p.pid)
            c1 = load(p.pid, f"http://127.0.0.1:{port}{ours_path}", 1, secs, hdr)
            c32 = load(p.pid, f"http://127.0.0.1:{port}{ours_path}", 32, secs, hdr)
            raw["ours"].append({"first_request_ms": first_ms, "idle": idle, "c1": c1, "c32": c32,
                                "after": memory(p.pid)})
        finally:
            stop(p)
        # the peer, same shape
        try:
            p, port, first_ms = start_peer(ctx, peer_path)
        except StartFailed as e:
            errors["peer"] = str(e)
            p = None
        if p:
            try:
                got = get_json(f"http://127.0.0.1:{port}{peer_path}")
                assert len(got["body"]) == 20, "the peer serves the 20 questions"
                time.sleep(1.0)
                idle = memory(p.pid)
                c1 = load(p.pid, f"http://127.0.0.1:{port}{peer_path}", 1, secs)
                c32 = load(p.pid, f"http://127.0.0.1:{port}{peer_path}", 32, secs)
                raw["peer"].append({"first_request_ms": first_ms, "idle": idle, "c1": c1, "c32": c32,
                                    "after": memory(p.pid)})
            finally:
                stop(p)
        print(f"  take-exam round {r + 1}/{rounds} done", flush=True)

    def fig(side):
        rs = raw[side]
        if not rs:
            return None
        f = {"first_request_ms": summary([x["first_request_ms"] for x in rs]),
             "idle_rss_mb": summary([x["idle"].get("rss_mb") for x in rs]),
             "idle_private_mb": summary([x["idle"].get("private_mb") for x in rs])}
        for c in ("c1", "c32"):
            for k in ("rps", "p50_ms", "p99_ms", "min_ms", "max_ms", "rss_max_mb"):
                f[f"{c}_{k}"] = summary([x[c][k] for x in rs])
            f[f"{c}_errors"] = sum(x[c]["errors"] + x[c]["non2xx"] for x in rs)
        return f

    return {"exam": name, "exam_bytes": sizes[20], "rounds": rounds, "wrk_s": secs, "errors": errors,
            "figures": {"ours": fig("ours"), "peer": fig("peer")}, "raw": raw}
