"""(f) Sizes: every release binary as built and stripped (`strip -o` on a copy), and the images.

There is no container engine here, so image sizes are ESTIMATES, labelled as such, built the way
the Dockerfile builds them:
- per-function images (`thin`): gcr.io/distroless/static-debian12 + the function's binary + the
  shared libraries `ldd` lists for it (their real sizes here);
- the all-functions image (`examfn`): gcr.io/distroless/cc-debian12 + the `examfn` binary.
A distroless base is estimated from the Debian 12 packages it is made of (their `Installed-Size`
from dpkg/apt on this Debian 12 machine), which over-counts a little (distroless drops docs).
The binaries are the Dockerfile's `--profile image` builds from target/image/ when present
(`bench/run --image` builds them), else the stripped release binaries (the report says which)."""


from __future__ import annotations

import os
import re
import subprocess
import tempfile

BINARIES = ["examfn", "take-exam", "exam-gen", "score-calc", "email", "cdc-relay"]
# what gcr.io/distroless/cc-debian12 installs (base-debian12 + libgcc/libstdc++/libgomp)
DISTROLESS_STATIC = ["base-files", "netbase", "tzdata", "media-types", "ca-certificates"]
# cc = static + glibc, libssl, libgcc/libstdc++/libgomp
DISTROLESS_CC = DISTROLESS_STATIC + ["libc6", "libssl3", "libgcc-s1", "libgomp1", "libstdc++6"]
FUNCTIONS = ["take-exam", "exam-gen", "score-calc", "email", "cdc-relay"]


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


def ldd_libs(path):
    """Sizes of the shared libraries a binary loads (as the Dockerfile's `ldd | cp -L` copies them)."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True, timeout=30).stdout
    libs = {}
    for line in out.splitlines():
        parts = line.split()
        f = parts[2] if len(parts) >= 3 and parts[1] == "=>" else parts[0] if parts and parts[0].startswith("/") else None
        if f and f.startswith("/") and os.path.exists(f):
            libs[f] = os.path.getsize(os.path.realpath(f))
    return libs


def run(ctx):
    out = {"binaries": {}, "images": {}}
    stripped = {}
    d = tempfile.mkdtemp(prefix="examfn-sizes-")
    for b in BINARIES:
        path = ctx.bin(b)
        if not os.path.exists(path):
            continue
        stripped[b] = os.path.join(d, b)
        subprocess.run(["strip", "-o", stripped[b], path], check=True, timeout=120)
        out["binaries"][b] = {"bytes": os.path.getsize(path), "stripped_bytes": os.path.getsize(stripped[b])}
    static = {p: installed_kb(p) for p in DISTROLESS_STATIC}
    cc = {p: installed_kb(p) for p in DISTROLESS_CC}
    static_b = sum(v for v in static.values() if v) * 1024
    cc_b = sum(v for v in cc.values() if v) * 1024
    image_dir = os.path.join(ctx.root, "target", "image")
    for f in FUNCTIONS + ["examfn"]:
        img_bin = os.path.join(image_dir, f)
        if os.path.exists(img_bin):
            path, profile = img_bin, "image"
        elif f in stripped:
            path, profile = stripped[f], "release (stripped)"
        else:
            continue
        binary = os.path.getsize(path)
        if f == "examfn":
            out["images"][f] = {"estimate": True, "base": "distroless/cc-debian12", "base_bytes": cc_b,
                                "binary_profile": profile, "binary_bytes": binary, "libs_bytes": 0,
                                "bytes": cc_b + binary}
        else:
            libs = ldd_libs(path)
            out["images"][f] = {"estimate": True, "base": "distroless/static-debian12", "base_bytes": static_b,
                                "binary_profile": profile, "binary_bytes": binary, "libs": libs,
                                "libs_bytes": sum(libs.values()), "bytes": static_b + binary + sum(libs.values())}
    out["base_packages_kb"] = {"static": static, "cc": cc}
    for f in stripped.values():
        os.unlink(f)
    os.rmdir(d)
    return out
