"""(f) Sizes: every release binary as built and stripped (`strip -o` on a copy), and the image.

There is no container engine here, so the image size is an ESTIMATE, labelled as such: the
Dockerfile's runtime image is gcr.io/distroless/cc-debian12 plus the one `examfn` binary. The base
is estimated from the Debian 12 packages that distroless' cc image is made of (their
`Installed-Size` from dpkg/apt on this Debian 12 machine), which over-counts a little (distroless
drops docs and most of tzdata's extras)."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile

BINARIES = ["examfn", "take-exam", "exam-gen", "score-calc", "email", "cdc-relay"]
# what gcr.io/distroless/cc-debian12 installs (base-debian12 + libgcc/libstdc++/libgomp)
DISTROLESS_CC = ["base-files", "netbase", "tzdata", "media-types", "ca-certificates", "libc6", "libssl3",
                 "libgcc-s1", "libgomp1", "libstdc++6"]


def installed_kb(pkg):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Installed-Size}", pkg], capture_output=True, text=True,
                             timeout=20)
        if out.returncode == 0 and out.stdout.strip().isdigit():
            return int(out.stdout.strip())
        out = subprocess.run(["apt-cache", "show", "--no-all-versions", pkg], capture_output=True, text=True,
                             timeout=20)
        m = re.search(r"^Installed-Size: (\d+)", out.stdout, re.M)
        return int(m.group(1)) if m else None
    except OSError:
        return None


def run(ctx):
    out = {"binaries": {}, "image": {}}
    with tempfile.TemporaryDirectory() as d:
        for b in BINARIES:
            path = ctx.bin(b)
            if not os.path.exists(path):
                continue
            stripped = os.path.join(d, b)
            subprocess.run(["strip", "-o", stripped, path], check=True, timeout=120)
            out["binaries"][b] = {"bytes": os.path.getsize(path), "stripped_bytes": os.path.getsize(stripped)}
    pk = {p: installed_kb(p) for p in DISTROLESS_CC}
    base = sum(v for v in pk.values() if v) * 1024
    binary = out["binaries"].get("examfn", {}).get("stripped_bytes", 0)
    out["image"] = {"estimate": True, "method": "stripped examfn + Installed-Size of distroless cc-debian12's Debian packages",
                    "base_packages_kb": pk, "base_bytes": base, "binary_bytes": binary, "bytes": base + binary}
    return out
