#!/usr/bin/env python3
"""Write functions/<fn>/func.yaml from the prod Knative Services the chart renders.

    bash knative/check.sh --update-func-yaml

keeps the func.yaml files (for `func deploy --build=false`) in step with the
chart: invoke, env (literal values, {{ configMap:… }} and {{ secret:… }}),
scale, resources and health endpoints. `created` is kept from the old file.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

import yaml

HEADER = """\
# func.yaml of the {name} function (Knative Functions, spec 0.36.0).
# Generated from the chart by `bash knative/check.sh --update-func-yaml`.
#
# `func build` cannot build this function: its Rust builder wants Cargo.toml
# and Cargo.lock at the function's root, and {name} is a member of the
# examfn workspace (one Cargo.lock at the repository root). Build the image
# with the repository's Dockerfile instead and deploy it without a build:
#   docker build --target {name} -t ghcr.io/examfn/{name}:0.1.0 .
#   docker push ghcr.io/examfn/{name}:0.1.0
#   func deploy --build=false --image ghcr.io/examfn/{name}:0.1.0@sha256:<digest>
# The supported deployment is the Helm chart knative/charts/examfn-functions
# (helmfile); knative/check.sh keeps this file in step with it and with the
# variables the code reads.
"""


def q(v: str) -> str:
    """A YAML scalar: plain when safe, else JSON-quoted."""
    dumped = yaml.safe_dump(v, default_flow_style=True, width=1000).strip()
    if dumped.endswith("\n..."):
        dumped = dumped[:-4].strip()
    return dumped if not v.startswith("{{") else json.dumps(v)


def render(svc: dict, created: str) -> str:
    name = svc["metadata"]["name"]
    tmpl = svc["spec"]["template"]
    c = tmpl["spec"]["containers"][0]
    ann = tmpl["metadata"]["annotations"]
    out = [HEADER.format(name=name).rstrip("\n"),
           "specVersion: 0.36.0", f"name: {name}", "runtime: rust", f"created: {created}",
           f"invoke: {svc['metadata']['annotations']['examfn.dev/invoke']}",
           f"namespace: {svc['metadata']['namespace']}", f"image: ghcr.io/examfn/{name}:0.1.0",
           "run:", "  envs:"]
    for e in c.get("env") or []:
        if "value" in e:
            v = str(e["value"])
        elif "configMapKeyRef" in e.get("valueFrom", {}):
            r = e["valueFrom"]["configMapKeyRef"]
            v = f"{{{{ configMap:{r['name']}:{r['key']} }}}}"
        else:
            r = e["valueFrom"]["secretKeyRef"]
            v = f"{{{{ secret:{r['name']}:{r['key']} }}}}"
        out += [f"    - name: {e['name']}", f"      value: {q(v)}"]
    res = c.get("resources") or {}
    out += ["deploy:", f"  namespace: {svc['metadata']['namespace']}",
            f"  serviceAccountName: {tmpl['spec']['serviceAccountName']}",
            "  labels:", "    - key: networking.knative.dev/visibility", "      value: cluster-local",
            "  options:", "    scale:", "      min: 0",
            f"      max: {ann['autoscaling.knative.dev/max-scale']}",
            f"      metric: {ann['autoscaling.knative.dev/metric']}",
            f"      target: {ann['autoscaling.knative.dev/target']}",
            "    resources:", "      requests:",
            f"        cpu: {res['requests']['cpu']}", f"        memory: {res['requests']['memory']}",
            "      limits:", f"        memory: {res['limits']['memory']}"]
    if tmpl["spec"].get("containerConcurrency"):
        out.append(f"        concurrency: {tmpl['spec']['containerConcurrency']}")
    out += ["  healthEndpoints:", "    liveness: /health/liveness", "    readiness: /health/readiness"]
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", type=pathlib.Path, required=True)
    ap.add_argument("--rendered", type=pathlib.Path, required=True, help="the prod rendering")
    a = ap.parse_args()
    docs = [d for d in yaml.safe_load_all(a.rendered.read_text()) if isinstance(d, dict)]
    for svc in docs:
        if svc.get("kind") != "Service" or svc.get("apiVersion") != "serving.knative.dev/v1":
            continue
        name = svc["metadata"]["name"]
        path = a.repo / "functions" / name / "func.yaml"
        created = "2026-11-23T00:00:00Z"
        if path.exists():
            old = yaml.safe_load(path.read_text()) or {}
            if old.get("created"):
                c = old["created"]
                created = c.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(c, "strftime") else str(c)
        text = render(svc, created)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(a.repo)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
