#!/usr/bin/env python3
"""Plot a run of bench/cdc-vs-polling/run.py: bytes and delay per strategy.

    ~/.cache/examfn/bench-venv/bin/python bench/cdc-vs-polling/plot.py results/run-….json [out.png]
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    path = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else path.rsplit(".", 1)[0] + ".png"
    r = json.load(open(path))
    rows = r["rows"]
    labels = ["CDC (stream)" if x["strategy"] == "cdc" else f"{x['strategy']}\nevery {x['interval_s']} s" for x in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    xs = range(len(rows))
    w = 0.4
    ax1.bar([x - w / 2 for x in xs], [max(1, x["mongo_bytes"]) for x in rows], w, label="read from MongoDB (wire)")
    ax1.bar([x + w / 2 for x in xs], [max(1, x["kafka_bytes"]) for x in rows], w, label="moved over Kafka")
    ax1.set_yscale("log")
    ax1.set_ylabel("bytes (log)")
    ax1.set_xticks(list(xs), labels, fontsize=8)
    ax1.set_title("Bytes for the whole workload")
    ax1.legend(fontsize=8)
    ax2.bar([x - w / 2 for x in xs], [x["delay_s"]["p50"] for x in rows], w, label="p50")
    ax2.bar([x + w / 2 for x in xs], [x["delay_s"]["p99"] for x in rows], w, label="p99")
    ax2.set_yscale("log")
    ax2.set_ylabel("seconds (log)")
    ax2.set_xticks(list(xs), labels, fontsize=8)
    ax2.set_title("Delay insert -> score card on the email topic")
    ax2.legend(fontsize=8)
    fig.suptitle(f"{r['n']} attempts over {r['minutes']:g} min on {r['base']} older results "
                 f"(polling played x{r['compression']:g} faster; delays in simulated time)", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
