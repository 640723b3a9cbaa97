#!/usr/bin/env python3
"""The examfn benchmark harness, run by bench/run against one running `examfn up`.

    python3 bench/harness/run.py --root REPO --data-dir D [--mode quick|full] [--only a,b]
                                 [--peer-dir DIR --peer-python PY] [--out-dir bench/results]

Runs each benchmark (a module with run(ctx) -> dict), keeps going when one fails (its error is
recorded), and writes bench/results/<date>[-quick].json, .md and the plots in
bench/results/<date>[-quick]/, plus bench/results/latest.md."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import MODES, Ctx  # noqa: E402

ORDER = ["sizes", "coldstart", "takeexam", "scaling", "scorecalc", "upload", "attempt"]


def sh(cmd, cwd=None):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd=cwd).stdout.strip()
    except OSError:
        return ""


def machine(root):
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    commit = sh(["git", "rev-parse", "HEAD"], root)
    dirty = bool(sh(["git", "status", "--porcelain", "--untracked-files=no"], root))
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(mem_kb / 1024 / 1024, 1),
            "kernel": platform.release(), "os": sh(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
            "rustc": sh(["rustc", "-V"]), "python": platform.python_version(), "wrk": sh(["sh", "-c", "wrk -v 2>&1 | head -1"]),
            "git_commit": commit, "git_dirty": dirty, "loadavg_start": os.getloadavg()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", required=True)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--mode", choices=sorted(MODES), default="full")
    ap.add_argument("--only", default="")
    ap.add_argument("--peer-dir")
    ap.add_argument("--peer-python")
    ap.add_argument("--out-dir")
    a = ap.parse_args()

    with open(os.path.join(a.data_dir, "endpoints.json")) as f:
        endpoints = json.load(f)
    with open(os.path.join(a.data_dir, "secrets.json")) as f:
        secrets = json.load(f)
    ctx = Ctx(root=os.path.abspath(a.root), data_dir=a.data_dir, mode=a.mode, endpoints=endpoints, secrets=secrets,
              peer_dir=a.peer_dir, peer_python=a.peer_python, p=MODES[a.mode])
    os.makedirs(os.path.join(a.data_dir, "bench-logs"), exist_ok=True)
    only = [x.strip() for x in a.only.split(",") if x.strip()]
    unknown = [x for x in only if x not in ORDER]
    if unknown:
        sys.exit(f"unknown benchmark(s) {unknown}; choose from {ORDER}")
    todo = [x for x in ORDER if not only or x in only]

    started = datetime.datetime.now(datetime.timezone.utc)
    res = {"date": started.isoformat(timespec="seconds"), "mode": a.mode, "params": ctx.p,
           "machine": machine(a.root), "peer": {"dir": a.peer_dir, "python": a.peer_python,
                                                 "freeze": peer_freeze(a.peer_python)},
           "benchmarks": {}, "errors": {}, "durations_s": {}}
    for name in todo:
        print(f"--> {name}", flush=True)
        t0 = time.time()
        try:
            mod = __import__(name)
            res["benchmarks"][name] = mod.run(ctx)
        except Exception as e:  # noqa: BLE001 - one failing benchmark must not lose the others
            traceback.print_exc()
            res["errors"][name] = f"{type(e).__name__}: {e}"
        res["durations_s"][name] = round(time.time() - t0, 1)
        print(f"    {name} took {res['durations_s'][name]} s", flush=True)
    res["machine"]["loadavg_end"] = os.getloadavg()
    res["total_s"] = round((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds(), 1)

    import report
    out_dir = a.out_dir or os.path.join(a.root, "bench", "results")
    stem = started.strftime("%Y-%m-%d") + ("-quick" if a.mode == "quick" else "")
    if only:  # a partial run never replaces the day's complete results nor latest.md
        stem += "-only-" + "-".join(todo)
    paths = report.write(res, out_dir, stem, latest=not only)
    print("\n".join(["wrote:"] + paths))
    if res["errors"]:
        print(f"benchmarks with errors: {res['errors']}", file=sys.stderr)


def peer_freeze(python):
    if not python:
        return None
    f = os.path.join(os.path.dirname(os.path.dirname(python)), "freeze.txt")
    try:
        with open(f) as fh:
            return fh.read().split()
    except OSError:
        return None


if __name__ == "__main__":
    main()
