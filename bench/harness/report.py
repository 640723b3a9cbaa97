"""Writes one run's results: <stem>.json (everything, with samples), <stem>.md (the goal table and
the details), plots in <stem>/ (PNG and SVG), and latest.md (a copy of the newest Markdown)."""

from __future__ import annotations

import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

NOT_RUN = "not run"


def g(d, *path):
    """Nested get that tolerates missing levels."""
    for k in path:
        if d is None:
            return None
        d = d.get(k) if isinstance(d, dict) else (d[k] if isinstance(d, list) and isinstance(k, int) and k < len(d) else None)
    return d


def fmt(v, unit="", digits=None):
    if v is None:
        return NOT_RUN
    if digits is None:
        digits = 0 if abs(v) >= 100 else 1 if abs(v) >= 10 else 2
    return f"{v:,.{digits}f}{unit}"


def rat(a, b, higher_is_better=False):
    """Ratio as 'N×' in the direction that favours ours when > 1."""
    if a is None or b is None or a == 0 or b == 0:
        return "—"
    r = a / b if higher_is_better else b / a
    return f"{r:,.1f}×" if r < 100 else f"{r:,.0f}×"


def met(ok):
    return "—" if ok is None else ("yes" if ok else "**no**")


def goal_rows(res):
    b = res["benchmarks"]
    rows = []  # figure, ours, peer, ratio, goal, met
    cold = g(b, "coldstart", "figures") or {}
    for ours, peer in [("take-exam", "ExamTakeFn"), ("score-calc", "MongoTriggerFn"), ("email", "EmailSendFn"),
                       ("email", "PostSignUpFn"), ("exam-gen", "ExamGenFn"), ("cdc-relay", None)]:
        o = g(cold, f"ours:{ours}", "start_ms", "median")
        p = g(cold, f"peer:{peer}", "start_ms", "median") if peer else None
        ok = None if o is None else (o < 20 and (p is None or p / o >= 30))
        pname = peer or "(no peer)"
        if peer and p is None:
            err = g(b, "coldstart", "errors", f"peer:{peer}")
            pname += " — failed to start" if err else ""
        rows.append((f"cold start exec → first 200 on liveness, {ours} vs {pname} (median ms)",
                     fmt(o, " ms"), fmt(p, " ms") if peer else "—", rat(o, p), "< 20 ms, ≥ 30× faster", met(ok)))
    te = g(b, "takeexam", "figures") or {}
    o, p = g(te, "ours", "first_request_ms", "median"), g(te, "peer", "first_request_ms", "median")
    rows.append(("cold start → first handled request, take-exam GET /exam?object_name= (median ms)",
                 fmt(o, " ms"), fmt(p, " ms"), rat(o, p), "< 50 ms", met(None if o is None else o < 50)))
    for ours, peer in [("take-exam", "ExamTakeFn"), ("score-calc", "MongoTriggerFn"), ("email", "EmailSendFn"),
                       ("exam-gen", "ExamGenFn"), ("cdc-relay", None)]:
        o = g(cold, f"ours:{ours}", "rss_mb", "median")
        p = g(cold, f"peer:{peer}", "rss_mb", "median") if peer else None
        po = g(cold, f"ours:{ours}", "private_mb", "median")
        ok = None if o is None else (o < 15 and (p is None or p / o >= 4))
        rows.append((f"idle RSS 1 s after ready, {ours} (private: {fmt(po, ' MB')}) (median MB)",
                     fmt(o, " MB"), fmt(p, " MB") if peer else "—", rat(o, p), "< 15 MB, ≥ 4× less", met(ok)))
    for c in ("c1", "c32"):
        o, p = g(te, "ours", f"{c}_rss_max_mb", "median"), g(te, "peer", f"{c}_rss_max_mb", "median")
        rows.append((f"RSS under load, take-exam -c {c[1:]} (max MB)", fmt(o, " MB"), fmt(p, " MB"), rat(o, p),
                     "≥ 4× less", met(None if o is None or p is None else p / o >= 4)))
    for c in ("c1", "c32"):
        o, p = g(te, "ours", f"{c}_rps", "median"), g(te, "peer", f"{c}_rps", "median")
        rows.append((f"take-exam GET exam req/s, -c {c[1:]}", fmt(o), fmt(p), rat(o, p, True), "≥ 10× the peer",
                     met(None if o is None or p is None else o / p >= 10)))
        o, p = g(te, "ours", f"{c}_p99_ms", "median"), g(te, "peer", f"{c}_p99_ms", "median")
        rows.append((f"take-exam GET exam p99, -c {c[1:]}", fmt(o, " ms"), fmt(p, " ms"), rat(o, p), "< 5 ms",
                     met(None if o is None else o < 5)))
    kc = g(b, "scorecalc", "kafka_one_core") or {}
    k = kc.get("events_per_s")
    rows.append((f"score-calc envelopes/s, Kafka transport, one core (taskset), {kc.get('done', 0)} envelopes: "
                 "rate of the cards' producer timestamps (bench/score-calc/throughput.py)", fmt(k, "/s"), "—", "—",
                 "≥ 5,000/s", met(None if k is None else k >= 5000)))
    if kc.get("wall_s_incl_start"):
        lb = kc["done"] / kc["wall_s_incl_start"]
        rows.append(("score-calc, same run: envelopes / wall time including process start (a lower bound)",
                     fmt(lb, "/s"), "—", "—", "— (context: start-up weighs on short runs)", "—"))
    o, p = g(b, "scorecalc", "http", "ours", "per_s"), g(b, "scorecalc", "http", "peer", "per_s")
    rows.append(("score-calc over HTTP (CloudEvents, 8 in flight), envelopes/s — peer: MongoTriggerFn, which only "
                 "formats the card and queues it in kafka-python (no MongoDB, no scoreboard, no dedup)", fmt(o, "/s"),
                 fmt(p, "/s"), rat(o, p, True), "— (side by side)", "—"))
    for pages, goal in (("100p", "< 1 s"), ("2p", "—")):
        o50 = g(b, "upload", "figures", pages, "ms", "p50")
        o99 = g(b, "upload", "figures", pages, "ms", "p99")
        rows.append((f"upload → questions_bank file ready, {pages[:-1]}-page PDF (p50 / p99)",
                     f"{fmt(o50, ' ms')} / {fmt(o99, ' ms')}" if o50 is not None else NOT_RUN,
                     "needs Bedrock: not run", "—", goal, met(None if o99 is None or goal == "—" else o99 < 1000)))
    a = g(b, "attempt", "ms")
    rows.append(("graded attempt → score card in the SMTP mailbox (p50 / p99)",
                 f"{fmt(g(a, 'p50'), ' ms')} / {fmt(g(a, 'p99'), ' ms')}" if g(a, "p99") is not None else NOT_RUN,
                 "—", "—", "p99 < 200 ms", met(None if g(a, "p99") is None else g(a, "p99") < 200)))
    sz = g(b, "sizes") or {}
    for name, v in (sz.get("binaries") or {}).items():
        rows.append((f"release binary `{name}` (stripped)", fmt(v["stripped_bytes"] / 1e6, " MB"), "—", "—", "—", "—"))
    for name, img in (sz.get("images") or {}).items():
        what = ("per-function image: distroless/static + binary + its ldd libraries" if name != "examfn"
                else "all-functions image: distroless/cc + examfn")
        rows.append((f"image `{name}`, ESTIMATE ({what}; {img['binary_profile']} binary)",
                     fmt(img["bytes"] / 1e6, " MB"), "—", "—", "< 30 MB", met(img["bytes"] < 30e6)))
    return rows


def markdown(res, stem, plots):
    m = res["machine"]
    lines = [f"# examfn benchmarks — {res['date']} ({res['mode']})", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}, kernel {m['kernel']}; "
             f"{m['rustc']}; Python {m['python']}; {m['wrk']}. Commit `{m['git_commit'][:12]}`"
             f"{' (with uncommitted changes)' if m['git_dirty'] else ''}. Load average at start "
             f"{m['loadavg_start'][0]:.2f}, at end {m['loadavg_end'][0]:.2f}. Total {res['total_s']:.0f} s.", "",
             "Reproduce: `bench/run" + (" --quick" if res["mode"] == "quick" else "") + "` (see "
             "[bench/README.md](../README.md)). Every figure with its samples: "
             f"[{stem}.json]({stem}.json). Ratios are from this one run (ours and the peer alternate on the same "
             "machine), so they hold better than the absolute numbers on a shared machine.", "",
             "| figure | ours | peer | ratio | goal | met? |", "|---|---:|---:|---:|---|---|"]
    busy = max(m["loadavg_start"][0], m["loadavg_end"][0])
    if busy > (m["cores"] or 1):
        lines[-2:-2] = [f"**The machine was busy during this run** (load average up to {busy:.1f} on {m['cores']} cores, "
                        "from other work): tail latencies and start-up times are inflated; the ratios, measured "
                        "alternately in the same run, are the figures to compare.", ""]
    for r in goal_rows(res):
        lines.append("| " + " | ".join(r) + " |")
    lines.append("")
    if res["errors"]:
        lines += ["## Benchmarks that failed in this run", ""]
        lines += [f"- `{k}`: {v}" for k, v in res["errors"].items()]
        lines.append("")
    notes = []
    b = res["benchmarks"]
    for k, v in (g(b, "coldstart", "errors") or {}).items():
        notes.append(f"- cold start `{k}`: {v[:300]}")
    for sect in ("takeexam", "scaling", "upload", "scorecalc"):
        for k, v in (g(b, sect, "errors") or {}).items():
            notes.append(f"- {sect} `{k}`: {str(v)[:300]}")
    sc = g(b, "scorecalc", "http")
    if sc and sc.get("peer"):
        notes.append(f"- score-calc over HTTP: {sc['n']} envelopes each; ours answered {sc['n'] - sc['ours']['failures']} "
                     f"with 2xx, the peer {sc['n'] - sc['peer']['failures']}; the peer's cards that reached its Kafka "
                     f"topic within 10 s: {sc['peer'].get('cards_on_topic', 'not checked')}.")
    if g(b, "attempt"):
        a = b["attempt"]
        notes.append(f"- attempt → mail: {a['n']} attempts at {a['rate_per_s']}/s, {a['delivered']} cards matched, "
                     f"{a['missing']} missing, {a['duplicates']} duplicates.")
    if notes:
        lines += ["## Notes", ""] + notes + [""]
    lines += ["## Details", ""]
    lines += scaling_tables(res)
    lines += ["### Plots", ""]
    for p in plots:
        lines.append(f"![{p}]({stem}/{p}.svg)")
    lines += ["", "The peer: hamzabouissi/exam-architecture's FastAPI functions under uvicorn (one worker), from a "
              "checkout outside this repository, with the packages their requirements.txt lists (unpinned there; "
              "the versions installed are in the JSON under `peer.freeze`). ExamGenFn calls Bedrock (an outside "
              "LLM), so only its start-up and memory are measured; the peer's take-exam does not grade on the "
              "server, so the POST-attempt curve has no peer.", ""]
    return "\n".join(lines)


def scaling_tables(res):
    s = g(res, "benchmarks", "scaling")
    if not s:
        return []
    out = ["### Scaling: exam size (take-exam, wrk -c 1 for GET; sequential graded POSTs)", "",
           "| questions | ours GET p50 / p99 ms | ours POST attempt p50 / p99 ms | ours RSS MB | peer GET p50 / p99 ms | peer RSS MB |",
           "|---:|---:|---:|---:|---:|---:|"]
    peer = {x["questions"]: x for x in s["by_size"].get("peer", [])}
    for x in s["by_size"].get("ours", []):
        pr = peer.get(x["questions"])
        out.append(f"| {x['questions']} | {fmt(x['get']['p50_ms'])} / {fmt(x['get']['p99_ms'])} | "
                   f"{fmt(x['post_ms']['p50'])} / {fmt(x['post_ms']['p99'])} | {fmt(x['rss_mb'])} | "
                   + (f"{fmt(pr['get']['p50_ms'])} / {fmt(pr['get']['p99_ms'])} | {fmt(pr['rss_mb'])} |" if pr else f"{NOT_RUN} | {NOT_RUN} |"))
    out += ["", "### Scaling: concurrent connections (take-exam GET, 20 questions)", "",
            "| connections | ours req/s | ours p50 / p99 ms | ours RSS max MB | peer req/s | peer p50 / p99 ms | peer RSS max MB |",
            "|---:|---:|---:|---:|---:|---:|---:|"]
    peer = {x["conns"]: x for x in s["by_conns"].get("peer", [])}
    for x in s["by_conns"].get("ours", []):
        pr = peer.get(x["conns"])
        out.append(f"| {x['conns']} | {fmt(x['rps'])} | {fmt(x['p50_ms'])} / {fmt(x['p99_ms'])} | {fmt(x['rss_max_mb'])} | "
                   + (f"{fmt(pr['rps'])} | {fmt(pr['p50_ms'])} / {fmt(pr['p99_ms'])} | {fmt(pr['rss_max_mb'])} |"
                      if pr else f"{NOT_RUN} | {NOT_RUN} | {NOT_RUN} |"))
    out.append("")
    return out


# ---------------------------------------------------------------- plots

OURS_C, PEER_C = "#1f77b4", "#d62728"


def save(fig, d, name, names):
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(d, f"{name}.{ext}"), dpi=110)
    plt.close(fig)
    names.append(name)


def bars(ax, labels, ours, peer, ylabel, log=False, title=""):
    xs = range(len(labels))
    w = 0.38

    def draw(vals, off, color, label):
        med = [v["median"] if v else 0 for v in vals]
        lo = [v["median"] - v["min"] if v else 0 for v in vals]
        hi = [v["max"] - v["median"] if v else 0 for v in vals]
        ax.bar([x + off for x in xs], med, w, color=color, label=label, yerr=[lo, hi], capsize=3)
        for x, v in zip(xs, vals):
            ax.text(x + off, (v["max"] if v else 0) or 0, fmt(v["median"]) if v else "n/a", ha="center",
                    va="bottom", fontsize=7)

    draw(ours, -w / 2, OURS_C, "examfn (Rust)")
    draw(peer, w / 2, PEER_C, "peer (FastAPI)")
    top = max([v["max"] for v in ours + peer if v and v.get("max")] or [1])
    ax.set_ylim(top=top * (12 if log else 1.3))  # room for the labels and the legend
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)


def plots(res, d):
    os.makedirs(d, exist_ok=True)
    names = []
    b = res["benchmarks"]
    cold = g(b, "coldstart", "figures")
    pairs = [("take-exam", "ExamTakeFn"), ("score-calc", "MongoTriggerFn"), ("email", "EmailSendFn"),
             ("email", "PostSignUpFn"), ("exam-gen", "ExamGenFn"), ("cdc-relay", None)]
    if cold:
        labels = [f"{o}\nvs {p or '—'}" for o, p in pairs]
        fig, ax = plt.subplots(figsize=(9, 4.5))
        bars(ax, labels, [g(cold, f"ours:{o}", "start_ms") for o, _ in pairs],
             [g(cold, f"peer:{p}", "start_ms") if p else None for _, p in pairs], "ms (log)", True,
             "cold start: exec → first 200 on liveness (median, min–max)")
        ax.axhline(20, color="grey", ls="--", lw=0.8)
        save(fig, d, "coldstart", names)
        pairs_m = [x for x in pairs if x[1] != "PostSignUpFn"]
        fig, ax = plt.subplots(figsize=(9, 4.5))
        bars(ax, [f"{o}\nvs {p or '—'}" for o, p in pairs_m], [g(cold, f"ours:{o}", "rss_mb") for o, _ in pairs_m],
             [g(cold, f"peer:{p}", "rss_mb") if p else None for _, p in pairs_m], "MB", False,
             "idle RSS 1 s after ready (median, min–max)")
        ax.axhline(15, color="grey", ls="--", lw=0.8)
        save(fig, d, "rss", names)
    te = g(b, "takeexam", "figures")
    if te and te.get("ours"):
        fig, axs = plt.subplots(1, 2, figsize=(10, 4.2))
        labels = ["p50 -c 1", "p99 -c 1", "p50 -c 32", "p99 -c 32"]
        keys = ["c1_p50_ms", "c1_p99_ms", "c32_p50_ms", "c32_p99_ms"]
        bars(axs[0], labels, [g(te, "ours", k) for k in keys], [g(te, "peer", k) for k in keys], "ms (log)", True,
             "take-exam GET exam latency")
        axs[0].axhline(5, color="grey", ls="--", lw=0.8)
        bars(axs[1], ["-c 1", "-c 32"], [g(te, "ours", "c1_rps"), g(te, "ours", "c32_rps")],
             [g(te, "peer", "c1_rps"), g(te, "peer", "c32_rps")], "req/s (log)", True, "take-exam GET exam throughput")
        save(fig, d, "takeexam", names)
    s = g(b, "scaling")
    if s and s["by_size"].get("ours"):
        fig, axs = plt.subplots(1, 2, figsize=(10, 4.2))
        ours, peer = s["by_size"]["ours"], s["by_size"].get("peer", [])
        q = [x["questions"] for x in ours]
        axs[0].plot(q, [x["get"]["p50_ms"] for x in ours], "o-", color=OURS_C, label="ours GET p50")
        axs[0].plot(q, [x["get"]["p99_ms"] for x in ours], "o--", color=OURS_C, mfc="none", label="ours GET p99")
        axs[0].plot(q, [x["post_ms"]["p50"] for x in ours], "s-", color="#2ca02c", label="ours POST attempt p50")
        axs[0].plot(q, [x["post_ms"]["p99"] for x in ours], "s--", color="#2ca02c", mfc="none", label="ours POST attempt p99")
        if peer:
            qp = [x["questions"] for x in peer]
            axs[0].plot(qp, [x["get"]["p50_ms"] for x in peer], "^-", color=PEER_C, label="peer GET p50")
            axs[0].plot(qp, [x["get"]["p99_ms"] for x in peer], "^--", color=PEER_C, mfc="none", label="peer GET p99")
        axs[0].set(xscale="log", yscale="log", xlabel="questions in the exam", ylabel="latency ms (log)",
                   title="latency vs exam size")
        axs[0].legend(fontsize=7)
        axs[1].plot(q, [x["rss_mb"] for x in ours], "o-", color=OURS_C, label="ours")
        if peer:
            axs[1].plot([x["questions"] for x in peer], [x["rss_mb"] for x in peer], "^-", color=PEER_C, label="peer")
        axs[1].set(xscale="log", xlabel="questions in the exam", ylabel="RSS MB", title="RSS after each step")
        axs[1].set_ylim(bottom=0)
        axs[1].legend(fontsize=8)
        save(fig, d, "scaling_exam_size", names)
    if s and s["by_conns"].get("ours"):
        fig, axs = plt.subplots(1, 3, figsize=(13, 4.2))
        for side, color, mark in (("ours", OURS_C, "o"), ("peer", PEER_C, "^")):
            xs = s["by_conns"].get(side) or []
            if not xs:
                continue
            c = [x["conns"] for x in xs]
            axs[0].plot(c, [x["p50_ms"] for x in xs], mark + "-", color=color, label=f"{side} p50")
            axs[0].plot(c, [x["p99_ms"] for x in xs], mark + "--", color=color, mfc="none", label=f"{side} p99")
            axs[1].plot(c, [x["rps"] for x in xs], mark + "-", color=color, label=side)
            axs[2].plot(c, [x["rss_max_mb"] for x in xs], mark + "-", color=color, label=side)
        axs[0].set(xscale="log", yscale="log", xlabel="connections", ylabel="ms (log)", title="latency vs connections")
        axs[1].set(xscale="log", yscale="log", xlabel="connections", ylabel="req/s (log)", title="throughput")
        axs[2].set(xscale="log", xlabel="connections", ylabel="MB", title="RSS max under load")
        axs[2].set_ylim(bottom=0)
        for ax in axs:
            ax.legend(fontsize=7)
        save(fig, d, "scaling_concurrency", names)
    cdfs = []
    for pages in ("2p", "100p"):
        xs = g(b, "upload", "figures", pages, "ms", "samples")
        if xs:
            cdfs.append((f"upload → exam ready, {pages[:-1]} pages", xs))
    xs = g(b, "attempt", "ms", "samples")
    if xs:
        cdfs.append(("attempt → score card in the mailbox", xs))
    if cdfs:
        fig, ax = plt.subplots(figsize=(8, 4.2))
        for label, xs in cdfs:
            s_ = sorted(xs)
            ax.step(s_, [(i + 1) / len(s_) for i in range(len(s_))], where="post", label=f"{label} (n={len(s_)})")
        ax.set(xscale="log", xlabel="ms (log)", ylabel="fraction", title="end-to-end latency CDFs (ours)")
        ax.legend(fontsize=8)
        save(fig, d, "end_to_end", names)
    return names


def write(res, out_dir, stem, latest=True):
    os.makedirs(out_dir, exist_ok=True)
    pdir = os.path.join(out_dir, stem)
    names = plots(res, pdir)
    jpath = os.path.join(out_dir, f"{stem}.json")
    with open(jpath, "w") as f:
        json.dump(res, f, indent=1, default=str)
    md = markdown(res, stem, names)
    mpath = os.path.join(out_dir, f"{stem}.md")
    with open(mpath, "w") as f:
        f.write(md + "\n")
    written = [jpath, mpath]
    if latest:
        path = os.path.join(out_dir, "latest.md")
        with open(path, "w") as f:
            f.write(f"<!-- copy of {stem}.md, the newest complete run -->\n" + md + "\n")
        written.append(path)
    return written + [os.path.join(pdir, f"{n}.png") for n in names]


if __name__ == "__main__":
    # Re-render the Markdown and the plots of a stored run: report.py bench/results/<stem>.json [--latest]
    import sys

    src = sys.argv[1]
    with open(src) as f:
        stored = json.load(f)
    stem = os.path.basename(src)[:-len(".json")]
    print("\n".join(write(stored, os.path.dirname(os.path.abspath(src)), stem, latest="--latest" in sys.argv)))
