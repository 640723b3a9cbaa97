"""(g) Scaling curves of take-exam (ours, and the peer's GET where it applies):
- exam size 10 -> 100 -> 1,000 questions: GET exam latency (wrk -c 1) and POST attempt (graded on
  the server, stored in MongoDB; sequential, bounded count) latency, RSS after each step;
- concurrent connections 1 -> 256 on the 20-question exam: req/s, p50/p99, RSS max under load.
Every step is bounded: wrk runs for a fixed number of seconds, the POSTs for a fixed count."""

from __future__ import annotations

import http.client
import json
import os
import time
import uuid

from common import StartFailed, memory, stop, summary
from takeexam import answers_file, exam_name, load, seed, start_ours, start_peer


def post_attempts(port, name, token, body, n):
    """n sequential graded attempts over one keep-alive connection; latency samples in ms."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    lat = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            c.request("POST", f"/exam/{name}/attempts", body=body,
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                               "Idempotency-Key": uuid.uuid4().hex})
            r = c.getresponse()
            r.read()
            if r.status != 201:
                raise RuntimeError(f"POST attempt answered {r.status}")
            lat.append((time.perf_counter() - t0) * 1e3)
    finally:
        c.close()
    return lat


def run(ctx):
    sizes, conns, secs = ctx.p["scale_sizes"], ctx.p["scale_conns"], ctx.p["scale_s"]
    seed(ctx, sizes + [20])
    token = ctx.token(f"bench-scale-{ctx.run_id}@example.org")
    hdr = [f"Authorization: Bearer {token}"]
    tmp = os.path.join(ctx.data_dir, "bench-logs")
    os.makedirs(tmp, exist_ok=True)
    out = {"sizes": sizes, "conns": conns, "wrk_s": secs, "post_n": ctx.p["scale_post_n"],
           "by_size": {"ours": [], "peer": []}, "by_conns": {"ours": [], "peer": []}, "errors": {}}

    p, port, _ = start_ours(ctx)
    try:
        for n in sizes:
            name = exam_name(ctx, n)
            g = load(p.pid, f"http://127.0.0.1:{port}/exam?object_name={name}", 1, secs, hdr)
            with open(answers_file(ctx, n, os.path.join(tmp, f"answers-{n}.json"))) as f:
                body = f.read()
            post_attempts(port, name, token, body, 5)  # warm-up, discarded
            post = summary(post_attempts(port, name, token, body, ctx.p["scale_post_n"]))
            out["by_size"]["ours"].append({"questions": n, "get": g, "post_ms": post, "rss_mb": memory(p.pid).get("rss_mb")})
            print(f"  scaling ours {n} questions: GET p50 {g['p50_ms']:.2f} ms, POST p50 {post['p50']:.1f} ms", flush=True)
        for c in conns:
            r = load(p.pid, f"http://127.0.0.1:{port}/exam?object_name={exam_name(ctx, 20)}", c, secs, hdr)
            out["by_conns"]["ours"].append(r)
            print(f"  scaling ours -c {c}: {r['rps']:.0f} req/s p99 {r['p99_ms']:.2f} ms", flush=True)
    finally:
        stop(p)

    try:
        p, port, _ = start_peer(ctx)
    except StartFailed as e:
        out["errors"]["peer"] = str(e)
        p = None
    if p:
        try:
            for n in sizes:
                g = load(p.pid, f"http://127.0.0.1:{port}/?object_name={exam_name(ctx, n)}", 1, secs)
                out["by_size"]["peer"].append({"questions": n, "get": g, "rss_mb": memory(p.pid).get("rss_mb")})
            for c in conns:
                r = load(p.pid, f"http://127.0.0.1:{port}/?object_name={exam_name(ctx, 20)}", c, secs)
                out["by_conns"]["peer"].append(r)
                print(f"  scaling peer -c {c}: {r['rps']:.0f} req/s p99 {r['p99_ms']:.2f} ms", flush=True)
        finally:
            stop(p)
    return out
