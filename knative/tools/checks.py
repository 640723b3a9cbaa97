#!/usr/bin/env python3
"""examfn's own checks over the rendered deployment.

Input: the objects `helmfile template` rendered for each environment, the
values helmfile would give the third-party charts (`helmfile write-values`),
the repository's func.yaml files, Dockerfile and docs/deploy.md, and the
functions' sources (names and environment variables are derived from code).

Every problem is reported as `<Kind>/<namespace>/<name> [<env>]: <field>: <what>`
and makes the run fail.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import pathlib
import re
import shlex
import sys
from typing import Any, Callable, Iterable, Iterator

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import envscan  # noqa: E402

# --------------------------------------------------------------------------
# Contract with the code
# --------------------------------------------------------------------------

#: Functions that run locally only (Debezium replaces cdc-relay in the cluster).
LOCAL_ONLY = {"cdc-relay"}
#: Library crates under functions/ that are not functions (a function is a
#: crate with a binary, src/main.rs; these are listed for the reader).
LIBRARIES = {"runtime", "domain", "embed"}
#: Which topic (a constant of functions/domain/src/names.rs) feeds which function.
SOURCE_TOPIC_CONST = {
    "exam-gen": "EXAM_GENERATOR_TOPIC",
    "score-calc": "SCORE_CDC_TOPIC",
    "email": "EMAIL_TOPIC",
}
#: HTTP functions (no KafkaSource).
HTTP_FUNCTIONS = {"take-exam"}
#: Variables that switch on local-development behaviour: never in the cluster.
DEV_ONLY_ENV = {"AUTH_DEV_KEYS_DIR"}
#: Environment variables Knative sets itself and rejects on a Service.
KNATIVE_RESERVED_ENV = {"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"}
HEALTH = {"livenessProbe": "/health/liveness", "readinessProbe": "/health/readiness"}
CONTAINER_PORT = 8080
OWN_IMAGE = re.compile(r"^ghcr\.io/examfn/examfn[:@]")
NAMES_CONSTS = ("EXAM_GENERATOR_TOPIC", "SCORE_CDC_TOPIC", "EMAIL_TOPIC", "DLQ_SUFFIX",
                "DATABASE", "SCORE_COLLECTION", "BUCKET", "UPLOAD_PREFIX")

# --------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Finding:
    obj: str
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        tag = "WARN" if self.warning else "FAIL"
        return f"{tag} {self.obj}: {self.field}: {self.message}"


class Report:
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.checks_run: list[str] = []

    def fail(self, obj: str, field: str, message: str) -> None:
        self.findings.append(Finding(obj, field, message))

    def warn(self, obj: str, field: str, message: str) -> None:
        self.findings.append(Finding(obj, field, message, warning=True))

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.warning]


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Obj:
    env: str
    body: dict

    @property
    def kind(self) -> str:
        return self.body.get("kind", "?")

    @property
    def api(self) -> str:
        return self.body.get("apiVersion", "?")

    @property
    def name(self) -> str:
        return (self.body.get("metadata") or {}).get("name", "?")

    @property
    def ns(self) -> str:
        return (self.body.get("metadata") or {}).get("namespace", "")

    @property
    def spec(self) -> dict:
        return self.body.get("spec") or {}

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.ns or '-'}/{self.name} [{self.env}]"


def load_rendered(path: pathlib.Path, env: str) -> list[Obj]:
    out = []
    for doc in yaml.safe_load_all(path.read_text()):
        if isinstance(doc, dict) and doc:
            out.append(Obj(env, doc))
    return out


def parse_names(repo: pathlib.Path) -> dict[str, str]:
    p = repo / "functions" / "domain" / "src" / "names.rs"
    if not p.exists():
        return {}
    text = envscan.strip_rust(p.read_text())
    raw = p.read_text()
    consts = {}
    for m in re.finditer(r"pub\s+const\s+([A-Z_][A-Z0-9_]*)\s*:\s*&str\s*=\s*\"([^\"]*)\"\s*;", raw):
        # keep only declarations that survive comment stripping
        if text[m.start():m.start() + 3] == "pub":
            consts[m.group(1)] = m.group(2)
    return consts


def function_dirs(repo: pathlib.Path) -> list[str]:
    fdir = repo / "functions"
    if not fdir.is_dir():
        return []
    return sorted(
        d.name for d in fdir.iterdir()
        if d.is_dir() and (d / "Cargo.toml").exists() and (d / "src" / "main.rs").exists() and d.name not in LIBRARIES
    )


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Yield (path, key, value) for every mapping entry and list item; list
    items that are mappings with a `name` show as [name] (env[MONGODB_URI])."""
    yield from _walk(node, path)


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Yield (path, key, value) for every mapping entry and list item."""
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{path}.{k}" if path else str(k)
            yield p, k, v
            yield from _walk(v, p)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            label = v.get("name") if isinstance(v, dict) and isinstance(v.get("name"), str) else i
            p = f"{path}[{label}]"
            yield p, i, v
            yield from _walk(v, p)


def get(node: Any, dotted: str, default: Any = None) -> Any:
    cur = node
    for part in dotted.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return default
    return cur


def pod_containers(o: Obj) -> list[tuple[str, dict]]:
    """(field path, container) of every container of a workload-like object."""
    spec = o.body.get("spec") or {}
    paths = []
    if o.kind == "Service" and o.api.startswith("serving.knative.dev"):
        paths.append(("spec.template.spec", get(spec, "template.spec")))
    elif o.kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"):
        paths.append(("spec.template.spec", get(spec, "template.spec")))
    elif o.kind == "CronJob":
        paths.append(("spec.jobTemplate.spec.template.spec", get(spec, "jobTemplate.spec.template.spec")))
    elif o.kind == "Pod":
        paths.append(("spec", spec))
    out = []
    for base, pod in paths:
        if not isinstance(pod, dict):
            continue
        for key in ("initContainers", "containers"):
            for i, c in enumerate(pod.get(key) or []):
                out.append((f"{base}.{key}[{i}]", c))
    return out


ISO8601_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


# --------------------------------------------------------------------------
# Schemas: Knative and Istio through cloudcoil's models, strict
# --------------------------------------------------------------------------

def _strict(schema: Any) -> Any:
    if isinstance(schema, dict):
        if schema.get("type") == "object" and "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        for v in schema.values():
            _strict(v)
    elif isinstance(schema, list):
        for v in schema:
            _strict(v)
    return schema


_SCHEMAS: dict[tuple[str, str], Any] = {}


def _schema_models() -> dict[tuple[str, str], Any]:
    from cloudcoil.models.istio.networking import v1 as istio_v1
    from cloudcoil.models.knative_eventing.eventing import v1 as ev_v1
    from cloudcoil.models.knative_serving.serving import v1 as sv_v1
    return {
        ("serving.knative.dev/v1", "Service"): sv_v1.Service,
        ("eventing.knative.dev/v1", "Trigger"): ev_v1.Trigger,
        ("eventing.knative.dev/v1", "Broker"): ev_v1.Broker,
        ("networking.istio.io/v1", "Gateway"): istio_v1.Gateway,
        ("networking.istio.io/v1", "VirtualService"): istio_v1.VirtualService,
        ("networking.istio.io/v1", "DestinationRule"): istio_v1.DestinationRule,
    }


def _leaves(err: Any) -> list[Any]:
    ctx = [c for c in (err.context or []) if not (c.validator == "type" and c.validator_value == "null")]
    if not ctx:
        return [err]
    out = []
    for c in ctx:
        out += _leaves(c)
    return out


def _fmt_path(parts: Iterable[Any]) -> str:
    s = ""
    for p in parts:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else str(p))
    return s or "(root)"


def check_model_schemas(objs: list[Obj], rep: Report) -> None:
    import jsonschema
    models = _schema_models()
    for o in objs:
        model = models.get((o.api, o.kind))
        if model is None:
            continue
        key = (o.api, o.kind)
        if key not in _SCHEMAS:
            _SCHEMAS[key] = jsonschema.Draft202012Validator(_strict(model.model_json_schema(by_alias=True)))
        seen = set()
        for err in _SCHEMAS[key].iter_errors(o.body):
            for leaf in _leaves(err):
                msg = (_fmt_path(leaf.absolute_path), leaf.message.splitlines()[0][:200])
                if msg not in seen:
                    seen.add(msg)
                    rep.fail(o.ref, msg[0], f"schema: {msg[1]}")


CORE_GROUPS = {"v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1", "networking.k8s.io/v1",
               "policy/v1", "autoscaling/v2"}


def check_core_kinds(objs: list[Obj], rep: Report, k8s_version: str) -> None:
    """kubernetes-validate --strict, in process, for the core kinds."""
    import kubernetes_validate as kv
    for o in objs:
        if o.api not in CORE_GROUPS:
            continue
        try:
            kv.validate(o.body, k8s_version, strict=True)
        except kv.ValidationError as e:
            rep.fail(o.ref, _fmt_path(e.path), f"kubernetes-validate --strict ({k8s_version}): {e.message}")
        except kv.SchemaNotFoundError:
            rep.fail(o.ref, "apiVersion", f"no Kubernetes {k8s_version} schema for {o.api} {o.kind}")


# Field lists of the CRDs no schema package covers (eventing-kafka-broker,
# Strimzi, Ory Oathkeeper): unknown keys are typos.
CRD_FIELDS: dict[tuple[str, str], dict[str, set[str]]] = {
    ("sources.knative.dev/v1", "KafkaSource"): {
        "spec": {"consumers", "bootstrapServers", "topics", "consumerGroup", "initialOffset", "delivery",
                 "ordering", "sink", "net", "ceOverrides"},
        "spec.delivery": {"retry", "backoffPolicy", "backoffDelay", "deadLetterSink", "timeout", "retryAfterMax", "format"},
        "spec.sink": {"ref", "uri", "CACerts", "audience"},
        "spec.sink.ref": {"apiVersion", "kind", "name", "namespace"},
        "spec.delivery.deadLetterSink": {"ref", "uri", "CACerts", "audience"},
        "spec.delivery.deadLetterSink.ref": {"apiVersion", "kind", "name", "namespace"},
    },
    ("eventing.knative.dev/v1alpha1", "KafkaSink"): {
        "spec": {"topic", "bootstrapServers", "contentMode", "numPartitions", "replicationFactor", "auth"},
    },
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): {"spec": {"topicName", "partitions", "replicas", "config"}},
    ("kafka.strimzi.io/v1beta2", "KafkaNodePool"): {
        "spec": {"replicas", "roles", "storage", "resources", "jvmOptions", "template"},
    },
    ("kafka.strimzi.io/v1beta2", "Kafka"): {
        "spec": {"kafka", "zookeeper", "entityOperator", "cruiseControl", "kafkaExporter", "clusterCa",
                 "clientsCa", "maintenanceTimeWindows"},
        "spec.kafka": {"version", "metadataVersion", "replicas", "image", "listeners", "config", "storage",
                       "authorization", "rack", "resources", "jvmOptions", "jmxOptions", "logging",
                       "metricsConfig", "template", "brokerRackInitImage", "livenessProbe", "readinessProbe",
                       "quotas", "tieredStorage"},
        "spec.entityOperator": {"topicOperator", "userOperator", "template", "tlsSidecar"},
    },
    ("kafka.strimzi.io/v1beta2", "KafkaConnect"): {
        "spec": {"version", "replicas", "image", "bootstrapServers", "tls", "authentication", "config",
                 "resources", "livenessProbe", "readinessProbe", "jvmOptions", "jmxOptions", "logging",
                 "clientRackInitImage", "rack", "metricsConfig", "tracing", "template", "externalConfiguration",
                 "build"},
        "spec.build": {"output", "plugins", "resources"},
    },
    ("kafka.strimzi.io/v1beta2", "KafkaConnector"): {
        "spec": {"class", "tasksMax", "autoRestart", "config", "pause", "state", "alterOffsets", "listOffsets"},
    },
    ("oathkeeper.ory.sh/v1alpha1", "Rule"): {
        "spec": {"match", "upstream", "authenticators", "authorizer", "mutators", "errors", "configMapName"},
        "spec.match": {"url", "methods"},
        "spec.upstream": {"url", "preserveHost", "stripPath"},
    },
}


def check_crd_fields(objs: list[Obj], rep: Report) -> None:
    for o in objs:
        fields = CRD_FIELDS.get((o.api, o.kind))
        if not fields:
            continue
        for path, allowed in fields.items():
            node = get(o.body, path)
            if node is None:
                if path == "spec":
                    rep.fail(o.ref, "spec", "missing")
                continue
            if not isinstance(node, dict):
                rep.fail(o.ref, path, "must be a mapping")
                continue
            for k in node:
                if k not in allowed:
                    rep.fail(o.ref, f"{path}.{k}", f"unknown field (allowed: {', '.join(sorted(allowed))})")


# --------------------------------------------------------------------------
# Knative Services
# --------------------------------------------------------------------------

def ksvcs(objs: list[Obj]) -> list[Obj]:
    return [o for o in objs if o.kind == "Service" and o.api == "serving.knative.dev/v1"]


def check_ksvc(objs: list[Obj], rep: Report, repo: pathlib.Path) -> None:
    svcs = ksvcs(objs)
    sas = {(o.ns, o.name) for o in objs if o.kind == "ServiceAccount"}
    envs = sorted({o.env for o in objs})
    expected = set(function_dirs(repo)) - LOCAL_ONLY
    for env in envs:
        names = {o.name for o in svcs if o.env == env}
        if expected:
            for missing in sorted(expected - names):
                rep.fail(f"Service/-/{missing} [{env}]", "metadata.name",
                         f"functions/{missing} is a function but no Knative Service renders for it")
            for extra in sorted(names - expected):
                rep.fail(f"Service/-/{extra} [{env}]", "metadata.name",
                         "no functions/<name> crate matches this Knative Service")
        for local in sorted(LOCAL_ONLY & names):
            rep.fail(f"Service/-/{local} [{env}]", "metadata.name", "local-only function must not be deployed")
    for o in svcs:
        meta = o.body.get("metadata") or {}
        if (meta.get("labels") or {}).get("networking.knative.dev/visibility") != "cluster-local":
            rep.fail(o.ref, "metadata.labels[networking.knative.dev/visibility]",
                     "must be cluster-local (public traffic enters through the examfn Gateway and Oathkeeper)")
        tmpl = get(o.body, "spec.template") or {}
        ann = get(tmpl, "metadata.annotations") or {}
        if ann.get("autoscaling.knative.dev/min-scale") != "0":
            rep.fail(o.ref, "spec.template.metadata.annotations[autoscaling.knative.dev/min-scale]",
                     f"must be \"0\" (scale to zero), got {ann.get('autoscaling.knative.dev/min-scale')!r}")
        mx = ann.get("autoscaling.knative.dev/max-scale")
        if not (isinstance(mx, str) and mx.isdigit() and 1 <= int(mx) <= 100):
            rep.fail(o.ref, "spec.template.metadata.annotations[autoscaling.knative.dev/max-scale]",
                     f"must be a quoted integer in 1..100, got {mx!r}")
        tg = ann.get("autoscaling.knative.dev/target")
        if not (isinstance(tg, str) and re.fullmatch(r"\d+(\.\d+)?", tg) and float(tg) > 0):
            rep.fail(o.ref, "spec.template.metadata.annotations[autoscaling.knative.dev/target]",
                     f"must be a quoted positive number, got {tg!r}")
        pod = get(tmpl, "spec") or {}
        sa = pod.get("serviceAccountName")
        if not sa:
            rep.fail(o.ref, "spec.template.spec.serviceAccountName", "missing (the default account would be used)")
        elif (o.ns, sa) not in sas:
            rep.fail(o.ref, "spec.template.spec.serviceAccountName", f"ServiceAccount {sa} is not rendered in {o.ns}")
        containers = pod.get("containers") or []
        if len(containers) != 1:
            rep.fail(o.ref, "spec.template.spec.containers", "exactly one container expected")
            continue
        c = containers[0]
        base = "spec.template.spec.containers[0]"
        if c.get("args") != ["run", o.name]:
            rep.fail(o.ref, f"{base}.args", f"must be [run, {o.name}] (the image runs `examfn run <function>`)")
        ports = c.get("ports") or []
        if [p.get("containerPort") for p in ports] != [CONTAINER_PORT]:
            rep.fail(o.ref, f"{base}.ports", f"one port {CONTAINER_PORT} expected")
        for probe, path in HEALTH.items():
            got = get(c, f"{probe}.httpGet.path")
            if got != path:
                rep.fail(o.ref, f"{base}.{probe}.httpGet.path", f"must be {path}, got {got!r}")
        res = c.get("resources") or {}
        for f in ("requests.cpu", "requests.memory", "limits.memory"):
            if get(res, f) in (None, ""):
                rep.fail(o.ref, f"{base}.resources.{f}", "missing")
        check_restricted(o, f"{base}.securityContext", c.get("securityContext") or {}, rep)
        for e in c.get("env") or []:
            if e.get("name") in KNATIVE_RESERVED_ENV:
                rep.fail(o.ref, f"{base}.env[{e.get('name')}]", "reserved: Knative sets it")
            if e.get("name") in DEV_ONLY_ENV:
                rep.fail(o.ref, f"{base}.env[{e.get('name')}]", "local development only: never set in the cluster")


def check_restricted(o: Obj, field: str, sc: dict, rep: Report) -> None:
    want = {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True}
    for k, v in want.items():
        if sc.get(k) is not v:
            rep.fail(o.ref, f"{field}.{k}", f"must be {str(v).lower()} (restricted), got {sc.get(k)!r}")
    if "ALL" not in (get(sc, "capabilities.drop") or []):
        rep.fail(o.ref, f"{field}.capabilities.drop", "must drop ALL")
    if get(sc, "seccompProfile.type") != "RuntimeDefault":
        rep.fail(o.ref, f"{field}.seccompProfile.type", "must be RuntimeDefault")


def check_jobs(objs: list[Obj], rep: Report) -> None:
    for o in objs:
        if o.kind not in ("Job", "CronJob", "Deployment", "StatefulSet"):
            continue
        for path, c in pod_containers(o):
            check_restricted(o, f"{path}.securityContext", c.get("securityContext") or {}, rep)
            if not get(c, "resources.limits.memory"):
                rep.fail(o.ref, f"{path}.resources.limits.memory", "missing")
            cmd = c.get("command") or []
            flag = cmd[1] if len(cmd) > 1 else ""
            if cmd[:1] in (["/bin/sh"], ["sh"]) and flag.startswith("-") and "c" in flag and c.get("args"):
                import subprocess
                res = subprocess.run(["sh", "-n", "-c", c["args"][0]], capture_output=True, text=True)
                if res.returncode != 0:
                    rep.fail(o.ref, f"{path}.args[0]", f"shell syntax: {res.stderr.strip()}")


# --------------------------------------------------------------------------
# Environment variables against the code
# --------------------------------------------------------------------------

def container_env(c: dict) -> dict[str, dict]:
    return {e.get("name"): e for e in c.get("env") or [] if isinstance(e, dict)}


def check_env_against_code(objs: list[Obj], rep: Report, functions_dir: pathlib.Path) -> None:
    cms = {(o.ns, o.name): (o.body.get("data") or {}) for o in objs if o.kind == "ConfigMap"}
    cache: dict[str, envscan.FunctionReads] = {}
    for o in ksvcs(objs):
        fn = o.name
        if fn not in cache:
            cache[fn] = envscan.function_reads(functions_dir, fn)
        fr = cache[fn]
        base = "spec.template.spec.containers[0].env"
        if fr.common_reads == 0:
            rep.fail(o.ref, base, f"no env.*(\"NAME\") reads found in {functions_dir}/runtime/src: cannot check")
            continue
        partial = fr.own_reads == 0
        if partial:
            rep.warn(o.ref, base, f"{functions_dir.name}/{fn}/src reads no variables yet: only the runtime's "
                                  "common variables are checked for this function")
        c = ((get(o.body, "spec.template.spec.containers") or [{}])[0])
        env = container_env(c)
        for name, read in sorted(fr.reads.items()):
            if name in KNATIVE_RESERVED_ENV:
                continue
            if read.required and name not in env:
                rep.fail(o.ref, base, f"{name} is required by the code ({read.where[0]}) but not set")
            if read.credential and name in env and not get(env[name], "valueFrom.secretKeyRef"):
                rep.fail(o.ref, f"{base}[{name}]", f"a credential ({read.where[0]}): must come from a Secret (secretKeyRef)")
        for name, e in sorted(env.items()):
            if name not in fr.reads and not partial:
                rep.fail(o.ref, f"{base}[{name}]", f"set on the Service but not read by the code of {fn} "
                                                   f"(runtime + functions/{fn}/src): a typo?")
            ref = get(e, "valueFrom.configMapKeyRef")
            if ref:
                data = cms.get((o.ns, ref.get("name")))
                if data is None:
                    rep.fail(o.ref, f"{base}[{name}].valueFrom.configMapKeyRef.name",
                             f"ConfigMap {ref.get('name')} is not rendered in {o.ns}")
                elif ref.get("key") not in data:
                    rep.fail(o.ref, f"{base}[{name}].valueFrom.configMapKeyRef.key",
                             f"ConfigMap {ref.get('name')} has no key {ref.get('key')}")


# --------------------------------------------------------------------------
# Kafka: sources, sinks, topics
# --------------------------------------------------------------------------

def kafka_topics(objs: list[Obj], env: str) -> dict[str, Obj]:
    return {(o.spec.get("topicName") or o.name): o for o in objs if o.env == env and o.kind == "KafkaTopic"}


def kafka_bootstraps(objs: list[Obj], env: str) -> set[str]:
    out = set()
    for o in objs:
        if o.env == env and o.kind == "Kafka":
            for lst in get(o.body, "spec.kafka.listeners") or []:
                if lst.get("type") == "internal":
                    for host in (f"{o.name}-kafka-bootstrap.{o.ns}.svc", f"{o.name}-kafka-bootstrap.{o.ns}.svc.cluster.local"):
                        out.add(f"{host}:{lst.get('port')}")
    return out


def check_kafka(objs: list[Obj], rep: Report, names: dict[str, str]) -> None:
    for env in sorted({o.env for o in objs}):
        topics = kafka_topics(objs, env)
        boots = kafka_bootstraps(objs, env)
        clusters = {o.name for o in objs if o.env == env and o.kind == "Kafka"}
        services = {(o.ns, o.name) for o in ksvcs(objs) if o.env == env}
        sinks = {(o.ns, o.name): o for o in objs if o.env == env and o.kind == "KafkaSink"}
        sources = [o for o in objs if o.env == env and o.kind == "KafkaSource"]
        groups: dict[str, str] = {}
        for t in topics.values():
            cl = (get(t.body, "metadata.labels") or {}).get("strimzi.io/cluster")
            if cl not in clusters:
                rep.fail(t.ref, "metadata.labels[strimzi.io/cluster]", f"{cl!r} is not a rendered Kafka cluster")
        # every topic the code names, and its DLQ
        dlq = names.get("DLQ_SUFFIX", ".dlq")
        for const in ("EXAM_GENERATOR_TOPIC", "SCORE_CDC_TOPIC", "EMAIL_TOPIC"):
            t = names.get(const)
            if not t:
                continue
            for want in (t, t + dlq):
                if want not in topics:
                    rep.fail(f"KafkaTopic/-/{want} [{env}]", "spec.topicName",
                             f"topic {want} (functions/domain names.rs {const}) has no KafkaTopic")
        by_fn = {}
        for s in sources:
            spec = s.spec
            g = spec.get("consumerGroup")
            if not g:
                rep.fail(s.ref, "spec.consumerGroup", "missing (every KafkaSource needs its own group)")
            elif g in groups:
                rep.fail(s.ref, "spec.consumerGroup", f"{g!r} is also the group of {groups[g]}")
            else:
                groups[g] = s.ref
            if spec.get("initialOffset") not in ("earliest", "latest"):
                rep.fail(s.ref, "spec.initialOffset", f"must be earliest or latest, got {spec.get('initialOffset')!r}")
            for i, b in enumerate(spec.get("bootstrapServers") or []):
                if b not in boots:
                    rep.fail(s.ref, f"spec.bootstrapServers[{i}]", f"{b} is no rendered Kafka's internal bootstrap")
            if not spec.get("bootstrapServers"):
                rep.fail(s.ref, "spec.bootstrapServers", "missing")
            tlist = spec.get("topics") or []
            if not tlist:
                rep.fail(s.ref, "spec.topics", "missing")
            for i, t in enumerate(tlist):
                if t not in topics:
                    rep.fail(s.ref, f"spec.topics[{i}]", f"topic {t} has no KafkaTopic")
            sink = get(spec, "sink.ref") or {}
            if sink.get("kind") != "Service" or sink.get("apiVersion") != "serving.knative.dev/v1":
                rep.fail(s.ref, "spec.sink.ref", "must reference a Knative Service (serving.knative.dev/v1)")
            elif (sink.get("namespace") or s.ns, sink.get("name")) not in services:
                rep.fail(s.ref, "spec.sink.ref.name", f"Knative Service {sink.get('name')} is not rendered in {s.ns}")
            else:
                by_fn.setdefault(sink.get("name"), []).append(s)
            d = spec.get("delivery")
            if not isinstance(d, dict):
                rep.fail(s.ref, "spec.delivery", "missing: retries and a dead-letter sink are required")
                continue
            if not isinstance(d.get("retry"), int) or d.get("retry") < 1:
                rep.fail(s.ref, "spec.delivery.retry", f"must be an integer >= 1, got {d.get('retry')!r}")
            if d.get("backoffPolicy") != "exponential":
                rep.fail(s.ref, "spec.delivery.backoffPolicy", f"must be exponential, got {d.get('backoffPolicy')!r}")
            for f in ("backoffDelay", "timeout"):
                v = d.get(f)
                if (f == "backoffDelay" or v is not None) and not (isinstance(v, str) and ISO8601_DURATION.match(v)):
                    rep.fail(s.ref, f"spec.delivery.{f}", f"must be an ISO 8601 duration, got {v!r}")
            dls = get(d, "deadLetterSink.ref")
            if not dls:
                rep.fail(s.ref, "spec.delivery.deadLetterSink", "missing: failed events must go to a dead-letter topic")
                continue
            if dls.get("kind") != "KafkaSink":
                rep.fail(s.ref, "spec.delivery.deadLetterSink.ref.kind", "must be a KafkaSink (dead-letter topic)")
                continue
            ksink = sinks.get((dls.get("namespace") or s.ns, dls.get("name")))
            if ksink is None:
                rep.fail(s.ref, "spec.delivery.deadLetterSink.ref.name", f"KafkaSink {dls.get('name')} is not rendered")
                continue
            want = [t + dlq for t in tlist]
            if ksink.spec.get("topic") not in want:
                rep.fail(s.ref, "spec.delivery.deadLetterSink.ref.name",
                         f"KafkaSink {ksink.name} writes {ksink.spec.get('topic')}, expected {' or '.join(want)}")
        for k in sinks.values():
            if k.spec.get("topic") not in topics:
                rep.fail(k.ref, "spec.topic", f"topic {k.spec.get('topic')} has no KafkaTopic")
            for i, b in enumerate(k.spec.get("bootstrapServers") or []):
                if b not in boots:
                    rep.fail(k.ref, f"spec.bootstrapServers[{i}]", f"{b} is no rendered Kafka's internal bootstrap")
        # which function is fed by which topic (names.rs)
        for fn, const in SOURCE_TOPIC_CONST.items():
            if (fn not in {o.name for o in ksvcs(objs) if o.env == env}) or const not in names:
                continue
            srcs = by_fn.get(fn, [])
            if len(srcs) != 1:
                rep.fail(f"KafkaSource/-/{fn}-source [{env}]", "spec.sink.ref",
                         f"exactly one KafkaSource must feed {fn}, found {len(srcs)}")
            elif srcs[0].spec.get("topics") != [names[const]]:
                rep.fail(srcs[0].ref, "spec.topics", f"{fn} consumes {names[const]} ({const}), got {srcs[0].spec.get('topics')}")
        for fn in HTTP_FUNCTIONS:
            if by_fn.get(fn):
                rep.fail(by_fn[fn][0].ref, "spec.sink.ref.name", f"{fn} is an HTTP function: no KafkaSource feeds it")


def check_cdc_and_storage(objs: list[Obj], rep: Report, names: dict[str, str]) -> None:
    for env in sorted({o.env for o in objs}):
        topics = kafka_topics(objs, env)
        connects = {o.name: o for o in objs if o.env == env and o.kind == "KafkaConnect"}
        connectors = [o for o in objs if o.env == env and o.kind == "KafkaConnector"]
        if not connectors:
            rep.fail(f"KafkaConnector/-/- [{env}]", "kind", "no Debezium KafkaConnector rendered")
        for c in connectors:
            cfg = c.spec.get("config") or {}
            if c.spec.get("class") != "io.debezium.connector.mongodb.MongoDbConnector":
                rep.fail(c.ref, "spec.class", "must be io.debezium.connector.mongodb.MongoDbConnector")
            cl = (get(c.body, "metadata.labels") or {}).get("strimzi.io/cluster")
            connect = connects.get(cl)
            if connect is None:
                rep.fail(c.ref, "metadata.labels[strimzi.io/cluster]", f"{cl!r} is not a rendered KafkaConnect")
            elif (get(connect.body, "metadata.annotations") or {}).get("strimzi.io/use-connector-resources") != "true":
                rep.fail(connect.ref, "metadata.annotations[strimzi.io/use-connector-resources]", "must be \"true\"")
            db, coll = names.get("DATABASE"), names.get("SCORE_COLLECTION")
            prefix = cfg.get("topic.prefix")
            if db and cfg.get("database.include.list") != db:
                rep.fail(c.ref, "spec.config[database.include.list]", f"must be {db} (names.rs DATABASE)")
            if db and coll and cfg.get("collection.include.list") not in (f"{db}.{coll}", f"{db}\\.{coll}"):
                rep.fail(c.ref, "spec.config[collection.include.list]",
                         f"must be {db}.{coll} (Debezium matches <db>.<collection>)")
            produced = f"{prefix}.{db}.{coll}"
            if names.get("SCORE_CDC_TOPIC") and produced != names["SCORE_CDC_TOPIC"]:
                rep.fail(c.ref, "spec.config[topic.prefix]",
                         f"Debezium would write {produced}, the code consumes {names['SCORE_CDC_TOPIC']}")
            if produced not in topics:
                rep.fail(c.ref, "spec.config[topic.prefix]", f"topic {produced} has no KafkaTopic")
            conn = cfg.get("mongodb.connection.string", "")
            m = re.fullmatch(r"\$\{secrets:([a-z0-9-]+)/([a-z0-9.-]+):([A-Za-z0-9._-]+)\}", str(conn))
            if not m:
                rep.fail(c.ref, "spec.config[mongodb.connection.string]",
                         "must be a ${secrets:<namespace>/<secret>:<key>} config-provider reference")
            elif connect is not None:
                prov = get(connect.body, "spec.config") or {}
                if prov.get("config.providers.secrets.class") != "io.strimzi.kafka.KubernetesSecretConfigProvider":
                    rep.fail(connect.ref, "spec.config[config.providers.secrets.class]",
                             "must be io.strimzi.kafka.KubernetesSecretConfigProvider")
                roles = [o for o in objs if o.env == env and o.kind == "Role" and o.ns == m.group(1)
                         and any(m.group(2) in (r.get("resourceNames") or []) and "get" in (r.get("verbs") or [])
                                 for r in o.body.get("rules") or [])]
                if not roles:
                    rep.fail(c.ref, "spec.config[mongodb.connection.string]",
                             f"no Role lets Connect get Secret {m.group(1)}/{m.group(2)}")
        # MongoDB replica set rs0
        dbs = [o for o in objs if o.env == env and o.kind == "PerconaServerMongoDB"]
        if not dbs:
            rep.fail(f"PerconaServerMongoDB/-/- [{env}]", "kind", "no MongoDB replica set rendered")
        for d in dbs:
            rs = [r.get("name") for r in d.spec.get("replsets") or []]
            if rs != ["rs0"]:
                rep.fail(d.ref, "spec.replsets", f"one replica set rs0 expected, got {rs}")
            for i, u in enumerate(d.spec.get("users") or []):
                if not get(u, "passwordSecretRef.name") or not get(u, "passwordSecretRef.key"):
                    rep.fail(d.ref, f"spec.users[{i}].passwordSecretRef", "missing")
        # MinIO tenant, bucket notification
        tenants = [o for o in objs if o.env == env and o.kind == "Tenant"]
        if not tenants:
            rep.fail(f"Tenant/-/- [{env}]", "kind", "no MinIO tenant rendered")
        for t in tenants:
            buckets = [b.get("name") for b in t.spec.get("buckets") or []]
            if names.get("BUCKET") and names["BUCKET"] not in buckets:
                rep.fail(t.ref, "spec.buckets", f"bucket {names['BUCKET']} (names.rs BUCKET) missing")
            envs = {e.get("name"): e.get("value") for e in t.spec.get("env") or []}
            ntopics = {k: v for k, v in envs.items() if k.startswith("MINIO_NOTIFY_KAFKA_TOPIC_")}
            if names.get("EXAM_GENERATOR_TOPIC") not in ntopics.values():
                rep.fail(t.ref, "spec.env[MINIO_NOTIFY_KAFKA_TOPIC_*]",
                         f"must notify {names.get('EXAM_GENERATOR_TOPIC')} (names.rs EXAM_GENERATOR_TOPIC)")
            for k, v in ntopics.items():
                if v not in topics:
                    rep.fail(t.ref, f"spec.env[{k}]", f"topic {v} has no KafkaTopic")
                ident = k.removeprefix("MINIO_NOTIFY_KAFKA_TOPIC_")
                if envs.get(f"MINIO_NOTIFY_KAFKA_ENABLE_{ident}") != "on":
                    rep.fail(t.ref, f"spec.env[MINIO_NOTIFY_KAFKA_ENABLE_{ident}]", "must be \"on\"")
                if envs.get(f"MINIO_NOTIFY_KAFKA_BROKERS_{ident}") not in kafka_bootstraps(objs, env):
                    rep.fail(t.ref, f"spec.env[MINIO_NOTIFY_KAFKA_BROKERS_{ident}]", "is no rendered Kafka's bootstrap")
        jobs = [o for o in objs if o.env == env and o.kind == "Job" and "minio" in o.name]
        if not jobs:
            rep.fail(f"Job/-/minio-setup [{env}]", "kind", "no Job configures the bucket notification")
        for j in jobs:
            for path, c in pod_containers(j):
                env_ = {e.get("name"): e.get("value") for e in c.get("env") or []}
                script = " ".join(c.get("args") or []) + " ".join(c.get("command") or [])
                if "mc event add" not in script:
                    rep.fail(j.ref, f"{path}.args", "must run `mc event add`")
                if names.get("UPLOAD_PREFIX") and env_.get("UPLOAD_PREFIX") != names["UPLOAD_PREFIX"]:
                    rep.fail(j.ref, f"{path}.env[UPLOAD_PREFIX]", f"must be {names['UPLOAD_PREFIX']} (names.rs UPLOAD_PREFIX)")
                # domain::upload::LectureFormat::EXTENSIONS: every lecture format exam-gen reads.
                lecture_suffixes = {".pdf", ".pptx", ".docx", ".odp", ".odt", ".md", ".markdown", ".html", ".htm"}
                if set((env_.get("UPLOAD_SUFFIXES") or "").split()) != lecture_suffixes:
                    rep.fail(j.ref, f"{path}.env[UPLOAD_SUFFIXES]", "must list " + " ".join(sorted(lecture_suffixes)))
                if "$UPLOAD_SUFFIXES" not in script:
                    rep.fail(j.ref, f"{path}.args", "must subscribe every suffix of UPLOAD_SUFFIXES")
                if names.get("BUCKET") and env_.get("BUCKET") != names["BUCKET"]:
                    rep.fail(j.ref, f"{path}.env[BUCKET]", f"must be {names['BUCKET']}")
        # ConfigMap values the code's names fix
        for cm in (o for o in objs if o.env == env and o.kind == "ConfigMap" and o.name == "examfn-config"):
            data = cm.body.get("data") or {}
            for key, const in (("MONGODB_DB", "DATABASE"), ("BUCKET_NAME", "BUCKET"), ("EMAIL_TOPIC", "EMAIL_TOPIC")):
                if key in data and const in names and data[key] != names[const]:
                    rep.fail(cm.ref, f"data.{key}", f"must be {names[const]} (names.rs {const})")


# --------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------

SECRET_VALUE_PATTERNS = [
    (re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@{}$\"']+:[^@\s{}$\"']+@"), "a URL with a password"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"), "a JWT"),
    (re.compile(r"\b(minio123|sHWKYbXRalmNExTMiYr)\b"), "a credential of the original port"),
]
SECRET_KEY_NAME = re.compile(
    r"^(password|passwd|secret|token|api[_-]?key|apikey|client[_-]?secret|private[_-]?key|"
    r"[A-Z0-9_]*(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|SECRET_ACCESS_KEY|PRIVATE_KEY)|MONGODB_URI|DSN|dsn)$"
)


def scan_literal_secrets(label: str, node: Any, rep: Report, path_prefix: str = "") -> None:
    """Credential-looking values anywhere in a tree, and env entries or
    mapping keys that name a credential but hold a literal."""
    for path, key, value in walk(node, path_prefix):
        if isinstance(value, str):
            for rx, what in SECRET_VALUE_PATTERNS:
                if rx.search(value):
                    rep.fail(label, path, f"holds {what}: credentials belong in a Secret")
            if isinstance(key, str) and SECRET_KEY_NAME.match(key) and value.strip():
                rep.fail(label, path, f"{key} holds a literal value: credentials belong in a Secret")
        if isinstance(value, dict) and isinstance(value.get("name"), str) and "value" in value \
                and SECRET_KEY_NAME.match(value["name"]) and str(value.get("value") or "").strip() \
                and not re.match(r"^\{\{\s*secret:", str(value.get("value"))):
            rep.fail(label, f"{path}.value", "a credential set as a literal: use a Secret")


def check_no_literal_secrets(objs: list[Obj], rep: Report) -> None:
    for o in objs:
        if o.kind == "Secret":
            rep.fail(o.ref, "kind", "the charts must not render Secrets (they are created with kubectl create secret)")
        scan_literal_secrets(o.ref, o.body, rep)


# --------------------------------------------------------------------------
# Secrets referenced vs Secrets the deploy guide creates
# --------------------------------------------------------------------------

def parse_deploy_secrets(doc: pathlib.Path) -> dict[tuple[str, str], set[str]]:
    """(namespace, name) -> keys of every `kubectl create secret` in the guide."""
    out: dict[tuple[str, str], set[str]] = {}
    if not doc.exists():
        return out
    text = re.sub(r"\\\n\s*", " ", doc.read_text())
    for line in text.splitlines():
        if "kubectl" not in line or "create secret" not in line:
            continue
        cmd = line[line.index("kubectl"):]
        cmd = cmd.split("|")[0].split("&&")[0].split(";")[0]
        try:
            toks = shlex.split(cmd, comments=False)
        except ValueError:
            continue
        ns, kind, name, keys = "default", None, None, set()
        i = 0
        while i < len(toks):
            t = toks[i]
            if t in ("-n", "--namespace") and i + 1 < len(toks):
                ns = toks[i + 1]
                i += 2
                continue
            if t.startswith("--namespace="):
                ns = t.split("=", 1)[1]
            elif t == "secret" and i + 2 < len(toks) and kind is None:
                kind, name = toks[i + 1], toks[i + 2]
                i += 3
                continue
            elif t.startswith("--from-literal=") or t.startswith("--from-file="):
                kv = t.split("=", 1)[1]
                keys.add(kv.split("=", 1)[0] if "=" in kv else pathlib.Path(kv).name)
            i += 1
        if kind == "tls":
            keys |= {"tls.crt", "tls.key"}
        elif kind == "docker-registry":
            keys |= {".dockerconfigjson"}
        if name:
            out.setdefault((ns, name), set()).update(keys)
    return out


def referenced_secrets(objs: list[Obj], third: dict[str, dict], ory_ns: str, ingress_ns: str) -> list[tuple[str, str, str, str | None]]:
    """(ref, namespace, secret, key) every rendered object or third-party value refers to."""
    refs = []
    for o in objs:
        for path, key, value in walk(o.body):
            if key == "secretKeyRef" and isinstance(value, dict):
                refs.append((f"{o.ref} {path}", o.ns, value.get("name"), value.get("key")))
            if key == "passwordSecretRef" and isinstance(value, dict):
                refs.append((f"{o.ref} {path}", o.ns, value.get("name"), value.get("key")))
            if isinstance(value, str):
                for m in re.finditer(r"\$\{secrets:([a-z0-9-]+)/([a-z0-9.-]+):([A-Za-z0-9._-]+)\}", value):
                    refs.append((f"{o.ref} {path}", m.group(1), m.group(2), m.group(3)))
        if o.kind == "Tenant":
            refs.append((f"{o.ref} spec.configuration.name", o.ns, get(o.body, "spec.configuration.name"), "config.env"))
        if o.kind == "KafkaConnect" and get(o.body, "spec.build.output.pushSecret"):
            refs.append((f"{o.ref} spec.build.output.pushSecret", o.ns, get(o.body, "spec.build.output.pushSecret"),
                         ".dockerconfigjson"))
        if o.kind == "Gateway":
            for i, s in enumerate(get(o.body, "spec.servers") or []):
                cred = get(s, "tls.credentialName")
                if cred:
                    refs.append((f"{o.ref} spec.servers[{i}].tls.credentialName", ingress_ns, cred, "tls.crt"))
    for rel, vals in third.items():
        label = f"values/{rel}"
        for path, key, value in walk(vals):
            if key == "secretKeyRef" and isinstance(value, dict):
                refs.append((f"{label} {path}", ory_ns, value.get("name"), value.get("key")))
        sec = vals.get("secret") or {}
        if sec.get("enabled") is False and sec.get("nameOverride"):
            for k in THIRD_PARTY_SECRET_KEYS.get(rel, []):
                refs.append((f"{label} secret.nameOverride", ory_ns, sec["nameOverride"], sec.get("filename", k) if k == "@filename" else k))
    return refs


#: Keys the Ory charts read from their existing Secret (secret.enabled=false).
THIRD_PARTY_SECRET_KEYS = {
    "kratos": ["dsn", "secretsCookie", "secretsCipher", "secretsDefault", "smtpConnectionURI"],
    "oathkeeper": ["@filename"],
    "kratos-selfservice-ui-node": ["cookieSecret", "csrfCookieSecret"],
}


def check_secret_refs_documented(objs: list[Obj], third_by_env: dict[str, dict[str, dict]], rep: Report,
                                 doc: pathlib.Path, ory_ns: str, ingress_ns: str,
                                 operator_generated: set[tuple[str, str]]) -> None:
    created = parse_deploy_secrets(doc)
    if not created:
        rep.fail(str(doc), "kubectl create secret", "the deploy guide creates no Secret")
    for env in sorted({o.env for o in objs}):
        eo = [o for o in objs if o.env == env]
        seen = set()
        for ref, ns, name, key in referenced_secrets(eo, third_by_env.get(env, {}), ory_ns, ingress_ns):
            if (ns, name) in operator_generated or (ns, name, key) in seen:
                continue
            seen.add((ns, name, key))
            if ref.startswith("values/"):
                ref = ref.replace(" ", f" [{env}] ", 1)
            have = created.get((ns, name))
            if have is None:
                rep.fail(ref, "secret", f"Secret {ns}/{name} is not created by {doc.name} (kubectl -n {ns} create secret ...)")
            elif key and key not in have:
                rep.fail(ref, "secret", f"Secret {ns}/{name} is created by {doc.name} without key {key}")


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------

IMAGE_RX = re.compile(r"^(?P<repo>[a-z0-9][a-z0-9._/-]*(:[0-9]+)?(/[a-z0-9._/-]+)?)(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(@(?P<digest>sha256:[0-9a-f]{64}))?$")


def check_image(ref: str, field: str, image: str, rep: Report) -> None:
    m = IMAGE_RX.match(image or "")
    if not m:
        rep.fail(ref, field, f"{image!r} is not an image reference")
        return
    tag, digest = m.group("tag"), m.group("digest")
    if OWN_IMAGE.match(image) and not digest:
        rep.fail(ref, field, f"{image}: examfn's image must be pinned by digest (tag@sha256:...)")
    if not digest:
        if not tag or tag == "latest" or not re.search(r"\d", tag):
            rep.fail(ref, field, f"{image}: pin a version tag (and preferably a digest), not {tag or 'no tag'}")
    if digest and set(digest[7:]) == {"0"}:
        rep.fail(ref, field, f"{image}: placeholder digest")


def check_images(objs: list[Obj], rep: Report) -> None:
    for o in objs:
        for path, key, value in walk(o.body):
            if key == "image" and isinstance(value, str):
                if o.kind == "KafkaConnect" and path == "spec.build.output.image":
                    continue  # built and pushed by Strimzi, not pulled from elsewhere
                check_image(o.ref, path, value, rep)


# --------------------------------------------------------------------------
# Public entry: Istio + Oathkeeper + Kratos
# --------------------------------------------------------------------------

def check_gateway(objs: list[Obj], third_by_env: dict[str, dict[str, dict]], rep: Report,
                  ory_ns: str, functions_dir: pathlib.Path) -> None:
    allowed_hosts = {f"oathkeeper-proxy.{ory_ns}.svc.cluster.local", f"kratos-public.{ory_ns}.svc.cluster.local",
                     f"kratos-selfservice-ui-node.{ory_ns}.svc.cluster.local"}
    for env in sorted({o.env for o in objs}):
        eo = [o for o in objs if o.env == env]
        gws = {o.name: o for o in eo if o.kind == "Gateway"}
        vss = [o for o in eo if o.kind == "VirtualService"]
        svcs = {o.name: o for o in ksvcs(eo)}
        if not gws:
            rep.fail(f"Gateway/-/- [{env}]", "kind", "no Istio Gateway rendered")
        public_hosts = set()
        for g in gws.values():
            for i, s in enumerate(get(g.body, "spec.servers") or []):
                public_hosts |= set(s.get("hosts") or [])
                if get(s, "port.protocol") == "HTTP" and not get(s, "tls.httpsRedirect"):
                    rep.fail(g.ref, f"spec.servers[{i}].tls.httpsRedirect", "plain HTTP must redirect to HTTPS")
        covered = set()
        for v in vss:
            if not set(v.spec.get("gateways") or []) & set(gws):
                continue
            covered |= set(v.spec.get("hosts") or [])
            for i, route in enumerate(v.spec.get("http") or []):
                for j, dest in enumerate(route.get("route") or []):
                    host = get(dest, "destination.host")
                    if host not in allowed_hosts:
                        rep.fail(v.ref, f"spec.http[{i}].route[{j}].destination.host",
                                 f"{host} is reachable from the public Gateway without Oathkeeper "
                                 f"(allowed: {', '.join(sorted(allowed_hosts))})")
                if not route.get("route") and not route.get("directResponse") and not route.get("redirect"):
                    rep.fail(v.ref, f"spec.http[{i}]", "neither route, redirect nor directResponse")
            blocked = [m for r in v.spec.get("http") or [] if r.get("directResponse")
                       for m in r.get("match") or []]
            prefixes = {get(m, "uri.prefix") for m in blocked}
            for p in ("/health", "/metrics"):
                if p not in prefixes:
                    rep.fail(v.ref, "spec.http", f"{p} must be blocked (directResponse) at the public Gateway")
        for svc in svcs.values():
            for n, e in container_env((get(svc.body, "spec.template.spec.containers") or [{}])[0]).items():
                if n in ("PUBLIC_S3_ENDPOINT", "PUBLIC_BASE_URL", "CORS_ALLOWED_ORIGINS") and e.get("value"):
                    for url in re.split(r"[,\s]+", e["value"].strip()):
                        host = re.sub(r"^https?://", "", url).split("/")[0].split(":")[0]
                        if host not in public_hosts:
                            rep.fail(svc.ref, f"spec.template.spec.containers[0].env[{n}]",
                                     f"{host} is not a host of the public Gateway ({', '.join(sorted(public_hosts))})")
        for h in sorted(public_hosts - covered):
            rep.fail(f"Gateway/-/- [{env}]", "spec.servers.hosts", f"host {h} has no VirtualService")
        # Oathkeeper rules
        rules = {o.name: o for o in eo if o.kind == "Rule"}
        tenants = {o.ns for o in eo if o.kind == "Tenant"}
        for r in rules.values():
            up = get(r.body, "spec.upstream.url") or ""
            m = re.fullmatch(r"http://([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local(:\d+)?/?", up)
            is_ksvc = bool(m) and m.group(1) in svcs and svcs[m.group(1)].ns == m.group(2)
            is_minio = bool(m) and m.group(1) == "minio" and m.group(2) in tenants
            if not (is_ksvc or is_minio):
                rep.fail(r.ref, "spec.upstream.url",
                         f"{up} is neither a rendered Knative Service's nor the MinIO tenant's cluster-local address")
            if is_minio and [a.get("handler") for a in get(r.body, "spec.mutators") or []] != ["noop"]:
                rep.fail(r.ref, "spec.mutators", "presigned S3 requests must pass unchanged (noop)")
            if is_minio and not get(r.body, "spec.upstream.preserveHost"):
                rep.fail(r.ref, "spec.upstream.preserveHost", "must be true: the S3 signature covers the Host header")
            if not get(r.body, "spec.authenticators"):
                rep.fail(r.ref, "spec.authenticators", "missing")
        take = rules.get("take-exam")
        if "take-exam" in svcs:
            if take is None:
                rep.fail(f"Rule/-/take-exam [{env}]", "kind", "no Oathkeeper Rule for take-exam")
            else:
                handlers = [a.get("handler") for a in get(take.body, "spec.authenticators") or []]
                if handlers != ["cookie_session"]:
                    rep.fail(take.ref, "spec.authenticators", f"must be [cookie_session], got {handlers}")
                muts = [a for a in get(take.body, "spec.mutators") or [] if a.get("handler") == "id_token"]
                if not muts:
                    rep.fail(take.ref, "spec.mutators", "must include id_token (take-exam verifies it)")
                else:
                    check_id_token(take, muts[0], svcs["take-exam"], third_by_env.get(env, {}), rep, ory_ns)
        # Kratos -> email web_hook
        kratos = third_by_env.get(env, {}).get("kratos")
        if kratos is not None:
            check_kratos(env, kratos, svcs, rep, functions_dir)


def check_id_token(rule: Obj, mut: dict, take: Obj, third: dict[str, dict], rep: Report, ory_ns: str) -> None:
    env = container_env((get(take.body, "spec.template.spec.containers") or [{}])[0])
    val = lambda n: (env.get(n) or {}).get("value")  # noqa: E731
    claims_raw = get(mut, "config.claims") or "{}"
    try:
        claims = json.loads(re.sub(r"\{\{[^}]*\}\}", "x", claims_raw))
    except json.JSONDecodeError as e:
        rep.fail(rule.ref, "spec.mutators[id_token].config.claims", f"not JSON: {e}")
        claims = {}
    aud = claims.get("aud")
    aud = aud if isinstance(aud, list) else [aud]
    if val("AUTH_AUDIENCE") not in aud:
        rep.fail(take.ref, "spec.template.spec.containers[0].env[AUTH_AUDIENCE]",
                 f"{val('AUTH_AUDIENCE')!r} is not an aud of Rule {rule.name}'s id_token ({aud})")
    want_jwks = f"http://oathkeeper-api.{ory_ns}.svc.cluster.local:4456/.well-known/jwks.json"
    if val("AUTH_JWKS_URL") != want_jwks:
        rep.fail(take.ref, "spec.template.spec.containers[0].env[AUTH_JWKS_URL]", f"must be {want_jwks}")
    ok = third.get("oathkeeper")
    if ok is not None:
        cfg = get(ok, "oathkeeper.config") or {}
        issuer = get(cfg, "mutators.id_token.config.issuer_url")
        if not get(cfg, "mutators.id_token.enabled"):
            rep.fail("values/oathkeeper", "oathkeeper.config.mutators.id_token.enabled", "must be true")
        if issuer != val("AUTH_ISSUER"):
            rep.fail(take.ref, "spec.template.spec.containers[0].env[AUTH_ISSUER]",
                     f"{val('AUTH_ISSUER')!r} differs from Oathkeeper's id_token issuer_url {issuer!r}")
        if not get(cfg, "authenticators.cookie_session.enabled"):
            rep.fail("values/oathkeeper", "oathkeeper.config.authenticators.cookie_session.enabled", "must be true")
        if get(cfg, "access_rules.matching_strategy") != "glob":
            rep.fail("values/oathkeeper", "oathkeeper.config.access_rules.matching_strategy",
                     "must be glob (the Rules use <**> globs)")
        jwks = get(cfg, "mutators.id_token.config.jwks_url") or ""
        mount = f"file://{get(ok, 'secret.mountPath') or '/etc/secrets'}/{get(ok, 'secret.filename') or 'mutator.id_token.jwks.json'}"
        if jwks != mount:
            rep.fail("values/oathkeeper", "oathkeeper.config.mutators.id_token.config.jwks_url",
                     f"must be the mounted Secret file {mount}")
        if get(ok, "oathkeeper.managedAccessRules") is not False or not get(ok, "maester.enabled"):
            rep.fail("values/oathkeeper", "maester.enabled", "maester must manage the rules (managedAccessRules: false)")


def check_kratos(env: str, kratos: dict, svcs: dict[str, Obj], rep: Report, functions_dir: pathlib.Path) -> None:
    label = f"values/kratos [{env}]"
    schemas = get(kratos, "kratos.identitySchemas") or {}
    if not schemas:
        rep.fail(label, "kratos.identitySchemas", "missing")
    for fname, text in schemas.items():
        try:
            schema = json.loads(text)
        except json.JSONDecodeError as e:
            rep.fail(label, f"kratos.identitySchemas[{fname}]", f"not JSON: {e}")
            continue
        traits = get(schema, "properties.traits.properties") or {}
        if get(traits, "user_type.enum") != ["student", "educator"]:
            rep.fail(label, f"kratos.identitySchemas[{fname}].properties.traits.properties.user_type.enum",
                     "must be [student, educator]")
        kratos_ext = (traits.get("email") or {}).get("ory.sh/kratos") or {}
        if get(kratos_ext, "credentials.password.identifier") is not True:
            rep.fail(label, f"kratos.identitySchemas[{fname}].properties.traits.properties.email",
                     "must be the password identifier")
        if "user_type" not in (get(schema, "properties.traits.required") or []):
            rep.fail(label, f"kratos.identitySchemas[{fname}].properties.traits.required", "must require user_type")
    hooks = get(kratos, "kratos.config.selfservice.flows.registration.after.password.hooks") or []
    idx = [i for i, h in enumerate(hooks) if h.get("hook") == "web_hook"]
    field = "kratos.config.selfservice.flows.registration.after.password.hooks"
    if not idx:
        rep.fail(label, field, "no web_hook to the email function")
        return
    i = idx[0]
    h = hooks[i]
    url = get(h, "config.url") or ""
    m = re.fullmatch(r"http://([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local(/\S*)", url)
    if not m or m.group(1) != "email" or "email" not in svcs or svcs["email"].ns != m.group(2):
        rep.fail(label, f"{field}[{i}].config.url", f"{url} is not the email Service's cluster-local address")
    elif m.group(3) != "/hooks/kratos/after-registration":
        rep.fail(label, f"{field}[{i}].config.url", f"path must be /hooks/kratos/after-registration, got {m.group(3)}")
    src = functions_dir / "email" / "src"
    if src.is_dir():
        code = "".join(p.read_text(errors="replace") for p in src.rglob("*.rs"))
        if "after-registration" in code and "/hooks/kratos/after-registration" not in code:
            rep.fail(label, f"{field}[{i}].config.url", "functions/email/src serves no /hooks/kratos/after-registration")
        header = get(h, "config.auth.config.name")
        if header and "KRATOS_WEBHOOK_SECRET" in code and header.lower() not in code.lower():
            rep.warn(label, f"{field}[{i}].config.auth.config.name",
                     f"header {header} does not appear in functions/email/src: check which header the code reads")
    if get(h, "config.auth.type") != "api_key":
        rep.fail(label, f"{field}[{i}].config.auth.type", "must be api_key (the key comes from a Secret)")
    envname = f"SELFSERVICE_FLOWS_REGISTRATION_AFTER_PASSWORD_HOOKS_{i}_CONFIG_AUTH_CONFIG_VALUE"
    extra = {e.get("name"): e for e in get(kratos, "deployment.extraEnv") or []}
    if not get(extra.get(envname) or {}, "valueFrom.secretKeyRef"):
        rep.fail(label, f"deployment.extraEnv[{envname}]", "the web_hook key must come from a Secret (secretKeyRef)")
    for n in extra:
        mm = re.fullmatch(r"SELFSERVICE_FLOWS_REGISTRATION_AFTER_PASSWORD_HOOKS_(\d+)_CONFIG_AUTH_CONFIG_VALUE", n or "")
        if mm and int(mm.group(1)) != i:
            rep.fail(label, f"deployment.extraEnv[{n}]", f"hook index {mm.group(1)} is not the web_hook (index {i})")


# --------------------------------------------------------------------------
# The language model: exam-gen's LLM_* against the examfn-llm release
# --------------------------------------------------------------------------

#: exam-gen's defaults (functions/exam-gen/src/lib.rs Config::from_env).
LLM_DEFAULT_BUDGET_MS = 240_000
#: Time an exam needs besides the model's budget (extraction and OCR up to
#: PDF_EXTRACT_TIMEOUT_MS, analysis, selection, storage): the least margin
#: exam-gen's timeoutSeconds must leave above LLM_BUDGET_MS.
LLM_MIN_MARGIN_S = 120
#: Knative Serving's max-revision-timeout-seconds when config-defaults sets none.
KNATIVE_MAX_REVISION_TIMEOUT_S = 600
CLUSTER_URL = re.compile(r"^http://([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local(?::(\d+))?/v1/?$")
LLM_SERVED_NAME_FLAGS = ("--alias", "-a", "--served-model-name")


def iso_seconds(v: Any) -> float | None:
    """Seconds of an ISO 8601 duration (PT10M, PT660S), None if it is none."""
    m = ISO8601_DURATION.match(v) if isinstance(v, str) else None
    if not m or m.group(1) or m.group(2) or m.group(3):
        return None  # years, months and weeks are no delivery timeouts
    days = int((m.group(4) or "0D")[:-1])
    h = int((m.group(6) or "0H")[:-1])
    mi = int((m.group(7) or "0M")[:-1])
    sec = float((m.group(8) or "0S")[:-1])
    return days * 86400 + h * 3600 + mi * 60 + sec


def cpu_cores(v: Any) -> float | None:
    s = str(v) if v is not None else ""
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return float(s)
    if re.fullmatch(r"\d+m", s):
        return int(s[:-1]) / 1000
    return None


def selects(selector: dict, labels: dict) -> bool:
    """Whether a matchLabels selector (no expressions) selects pods with `labels`."""
    if not isinstance(selector, dict) or selector.get("matchExpressions"):
        return False
    ml = selector.get("matchLabels") or {}
    return bool(ml) and all(labels.get(k) == v for k, v in ml.items())


def flag_value(args: list[str], *flags: str) -> str | None:
    for i, a in enumerate(args):
        if a in flags and i + 1 < len(args):
            return str(args[i + 1])
        for f in flags:
            if f.startswith("--") and a.startswith(f + "="):
                return a.split("=", 1)[1]
    return None


def llm_server_kind(c: dict) -> str:
    line = " ".join(str(x) for x in (c.get("command") or []) + (c.get("args") or []))
    if "llama-server" in line:
        return "llama.cpp"
    if "vllm" in line:
        return "vllm"
    return "?"


def check_exam_gen_timing(objs: list[Obj], rep: Report) -> None:
    """exam-gen's request timeout fits an exam (LLM_BUDGET_MS + margin), its
    KafkaSource waits at least as long, and Knative allows that timeout."""
    for env in sorted({o.env for o in objs}):
        eo = [o for o in objs if o.env == env]
        gen = next((o for o in ksvcs(eo) if o.name == "exam-gen"), None)
        if gen is None:
            continue
        c = (get(gen.body, "spec.template.spec.containers") or [{}])[0]
        env_ = container_env(c)
        tfield = "spec.template.spec.timeoutSeconds"
        timeout = get(gen.body, tfield)
        if not isinstance(timeout, int):
            rep.fail(gen.ref, tfield, f"must be set (an exam takes minutes), got {timeout!r}")
            continue
        if "LLM_BASE_URL" in env_:
            raw = (env_.get("LLM_BUDGET_MS") or {}).get("value", LLM_DEFAULT_BUDGET_MS)
            try:
                budget_s = -(-int(raw) // 1000)
            except (TypeError, ValueError):
                rep.fail(gen.ref, "spec.template.spec.containers[0].env[LLM_BUDGET_MS]", f"not a number: {raw!r}")
                continue
            if timeout < budget_s + LLM_MIN_MARGIN_S:
                rep.fail(gen.ref, tfield, f"{timeout} s leaves no room for an exam: LLM_BUDGET_MS is {budget_s} s, "
                                          f"the timeout must be at least {budget_s + LLM_MIN_MARGIN_S} s "
                                          f"(budget + {LLM_MIN_MARGIN_S} s for extraction, analysis, selection, storage)")
        for s in (o for o in eo if o.kind == "KafkaSource" and get(o.body, "spec.sink.ref.name") == "exam-gen"):
            d = iso_seconds(get(s.body, "spec.delivery.timeout"))
            if d is None or d < timeout:
                rep.fail(s.ref, "spec.delivery.timeout",
                         f"{get(s.body, 'spec.delivery.timeout')!r}: must be at least exam-gen's timeoutSeconds "
                         f"({timeout} s), or the event is delivered again while the exam is still being written")
        for ks in (o for o in eo if o.kind == "KnativeServing"):
            mx = get(ks.body, "spec.config.defaults.max-revision-timeout-seconds", KNATIVE_MAX_REVISION_TIMEOUT_S)
            if not str(mx).isdigit() or int(str(mx)) < timeout:
                rep.fail(ks.ref, "spec.config.defaults.max-revision-timeout-seconds",
                         f"{mx!r} is below exam-gen's timeoutSeconds {timeout}: Knative would refuse the revision")


def check_llm(objs: list[Obj], rep: Report) -> None:
    """exam-gen's LLM_BASE_URL is served: a Service, a Deployment serving
    LLM_MODEL with probes, resources and a pinned model, a NetworkPolicy
    that admits exam-gen only, a PodDisruptionBudget with several replicas;
    or a hosted https endpoint with its key from a Secret."""
    for env in sorted({o.env for o in objs}):
        eo = [o for o in objs if o.env == env]
        gen = next((o for o in ksvcs(eo) if o.name == "exam-gen"), None)
        llm_deps = [o for o in eo if o.kind == "Deployment"
                    and (get(o.body, "metadata.labels") or {}).get("app.kubernetes.io/component") == "llm"]
        if gen is None:
            continue
        base = "spec.template.spec.containers[0].env"
        c = (get(gen.body, "spec.template.spec.containers") or [{}])[0]
        env_ = container_env(c)
        url = (env_.get("LLM_BASE_URL") or {}).get("value")
        model = (env_.get("LLM_MODEL") or {}).get("value")
        if url is None:
            for d in llm_deps:
                rep.fail(d.ref, "metadata.name", "a model server renders but exam-gen has no LLM_BASE_URL")
            continue
        m = CLUSTER_URL.match(url)
        if not m:
            if not url.startswith("https://"):
                rep.fail(gen.ref, f"{base}[LLM_BASE_URL]", f"{url}: a hosted provider is reached over https")
            key = get(env_.get("LLM_API_KEY") or {}, "valueFrom.secretKeyRef")
            if not key:
                rep.fail(gen.ref, f"{base}[LLM_API_KEY]", "a hosted provider needs its key from a Secret (secretKeyRef)")
            elif key.get("optional"):
                rep.fail(gen.ref, f"{base}[LLM_API_KEY].valueFrom.secretKeyRef.optional",
                         "must not be optional with a hosted provider (exam-gen would call it without a key)")
            for d in llm_deps:
                rep.fail(d.ref, "metadata.name", f"a model server renders but exam-gen calls {url}")
            continue
        svc_name, ns, port = m.group(1), m.group(2), int(m.group(3) or 80)
        svc = next((o for o in eo if o.kind == "Service" and o.api == "v1" and o.name == svc_name and o.ns == ns), None)
        if svc is None:
            rep.fail(gen.ref, f"{base}[LLM_BASE_URL]", f"{url}: no Service {ns}/{svc_name} renders (nothing serves it)")
            continue
        sport = next((p for p in svc.spec.get("ports") or [] if p.get("port") == port), None)
        if sport is None:
            rep.fail(svc.ref, "spec.ports", f"no port {port} (exam-gen calls {url})")
            continue
        sel = svc.spec.get("selector") or {}
        deps = [o for o in eo if o.kind == "Deployment" and o.ns == ns and sel
                and all((get(o.body, "spec.template.metadata.labels") or {}).get(k) == v for k, v in sel.items())]
        if len(deps) != 1:
            rep.fail(svc.ref, "spec.selector", f"selects {len(deps)} Deployments, one model server expected")
            continue
        dep = deps[0]
        for other in llm_deps:
            if other is not dep:
                rep.fail(other.ref, "metadata.name", "a second model server renders that exam-gen does not call")
        pod = get(dep.body, "spec.template.spec") or {}
        labels = get(dep.body, "spec.template.metadata.labels") or {}
        cs = pod.get("containers") or []
        if len(cs) != 1:
            rep.fail(dep.ref, "spec.template.spec.containers", "one container (the server) expected")
            continue
        srv = cs[0]
        cbase = "spec.template.spec.containers[0]"
        target = sport.get("targetPort", port)
        cport = next((p for p in srv.get("ports") or [] if target in (p.get("name"), p.get("containerPort"))), None)
        if cport is None:
            rep.fail(svc.ref, "spec.ports[].targetPort", f"{target!r} is no port of {dep.name}'s server container")
            continue
        args = [str(a) for a in srv.get("args") or []]
        kind = llm_server_kind(srv)
        if kind == "?":
            rep.fail(dep.ref, f"{cbase}.command", "neither llama-server (llama.cpp) nor vllm")
        served = flag_value(args, *LLM_SERVED_NAME_FLAGS)
        if served is None or model not in served.split(","):
            rep.fail(gen.ref, f"{base}[LLM_MODEL]", f"{model!r} is not the name {dep.name} serves ({served!r})")
        if flag_value(args, "--port") != str(cport.get("containerPort")):
            rep.fail(dep.ref, f"{cbase}.args", f"--port must be the container port {cport.get('containerPort')}")
        if flag_value(args, "--host") != "0.0.0.0":
            rep.fail(dep.ref, f"{cbase}.args", "--host must be 0.0.0.0 (the Service reaches the pod's address)")
        for probe in ("startupProbe", "readinessProbe"):
            pr = srv.get(probe) or {}
            if get(pr, "httpGet.path") != "/health" or get(pr, "httpGet.port") not in (cport.get("name"), cport.get("containerPort")):
                rep.fail(dep.ref, f"{cbase}.{probe}.httpGet", "must ask the server's /health on its port")
        st = srv.get("startupProbe") or {}
        if (st.get("periodSeconds") or 10) * (st.get("failureThreshold") or 3) < 120:
            rep.fail(dep.ref, f"{cbase}.startupProbe", "must allow the model at least 120 s to load")
        res = srv.get("resources") or {}
        for f in ("requests.cpu", "requests.memory", "limits.memory"):
            if get(res, f) in (None, ""):
                rep.fail(dep.ref, f"{cbase}.resources.{f}", "missing")
        if kind == "vllm":
            gpus = (res.get("limits") or {}).get("nvidia.com/gpu")
            if not str(gpus or "").isdigit() or int(str(gpus)) < 1:
                rep.fail(dep.ref, f"{cbase}.resources.limits[nvidia.com/gpu]", "vLLM needs a GPU (nvidia.com/gpu >= 1)")
        if kind == "llama.cpp":
            t, cores = flag_value(args, "-t", "--threads"), cpu_cores(get(res, "requests.cpu"))
            if t is None or not t.isdigit() or int(t) < 1:
                rep.fail(dep.ref, f"{cbase}.args", "-t must give llama-server its threads (one per requested core)")
            elif cores is not None and int(t) > max(1, int(cores)):
                rep.fail(dep.ref, f"{cbase}.args", f"-t {t} is more threads than the {cores:g} cores requested")
        # The model: on a volume an init step filled and checked.
        mpath = flag_value(args, "-m", "--model") if kind == "llama.cpp" else (args[0] if args and not args[0].startswith("-") else flag_value(args, "--model"))
        mounts = {vm.get("mountPath"): vm.get("name") for vm in srv.get("volumeMounts") or []}
        mvol = next((n for mp, n in mounts.items() if mpath and (mpath == mp or mpath.startswith(mp.rstrip("/") + "/"))), None)
        if mvol is None:
            rep.fail(dep.ref, f"{cbase}.args", f"the model {mpath!r} is on no mounted volume")
        inits = pod.get("initContainers") or []
        fetch = next((ic for ic in inits if "MODEL_SOURCE" in container_env(ic)
                      and any(vm.get("name") == mvol for vm in ic.get("volumeMounts") or [])), None)
        if fetch is None:
            rep.fail(dep.ref, "spec.template.spec.initContainers", "no init step fills and checks the model volume")
        else:
            fenv = {k: (v or {}).get("value") for k, v in container_env(fetch).items()}
            src = fenv.get("MODEL_SOURCE")
            i = inits.index(fetch)
            if src in ("pypi", "url"):
                if not re.fullmatch(r"[0-9a-f]{64}", fenv.get("MODEL_SHA256") or ""):
                    rep.fail(dep.ref, f"spec.template.spec.initContainers[{i}].env[MODEL_SHA256]",
                             f"source {src}: the model must be pinned by its sha256")
            elif src == "image":
                imgs = [ic.get("image", "") for ic in inits[:i]]
                if not any(re.search(r"@sha256:[0-9a-f]{64}$", im) for im in imgs):
                    rep.fail(dep.ref, "spec.template.spec.initContainers", "source image: the model image must be pinned by digest")
            else:
                rep.fail(dep.ref, f"spec.template.spec.initContainers[{i}].env[MODEL_SOURCE]", f"unknown source {src!r}")
        # Only exam-gen may connect.
        gen_labels = get(gen.body, "spec.template.metadata.labels") or {}
        pols = [o for o in eo if o.kind == "NetworkPolicy" and o.ns == ns
                and selects(o.spec.get("podSelector") or {}, labels) and "Ingress" in (o.spec.get("policyTypes") or [])]
        if not pols:
            rep.fail(dep.ref, "spec.template.metadata.labels", "no NetworkPolicy restricts who reaches the model server")
        for pol in pols:
            for ri, rule in enumerate(pol.spec.get("ingress") or []):
                peers = rule.get("from")
                if not peers:
                    rep.fail(pol.ref, f"spec.ingress[{ri}].from", "empty: admits every pod and address")
                for pi, peer in enumerate(peers or []):
                    if set(peer) != {"podSelector"} or not selects(peer.get("podSelector") or {}, gen_labels):
                        rep.fail(pol.ref, f"spec.ingress[{ri}].from[{pi}]",
                                 "must be a podSelector of exam-gen's pods (in this namespace) only")
                ports = [p.get("port") for p in rule.get("ports") or []]
                if ports and cport.get("containerPort") not in ports and cport.get("name") not in ports:
                    rep.fail(pol.ref, f"spec.ingress[{ri}].ports", f"does not admit the server's port {cport.get('containerPort')}")
        # Drains take one replica at a time.
        replicas = dep.spec.get("replicas", 1)
        if isinstance(replicas, int) and replicas > 1:
            pdbs = [o for o in eo if o.kind == "PodDisruptionBudget" and o.ns == ns and selects(o.spec.get("selector") or {}, labels)]
            if not pdbs:
                rep.fail(dep.ref, "spec.replicas", f"{replicas} replicas and no PodDisruptionBudget")


# --------------------------------------------------------------------------
# func.yaml
# --------------------------------------------------------------------------

FUNC_KEYS = {
    "": {"specVersion", "name", "domain", "runtime", "registry", "image", "namespace", "created", "invoke",
         "build", "run", "deploy"},
    "build": {"git", "builderImages", "buildpacks", "builder", "buildEnvs", "pvcSize", "remoteStorageClass"},
    "run": {"volumes", "envs", "podSecurityContext", "startTimeout"},
    "deploy": {"namespace", "image", "annotations", "options", "labels", "healthEndpoints", "serviceAccountName",
               "subscriptions"},
    "deploy.options": {"scale", "resources"},
    "deploy.options.scale": {"min", "max", "metric", "target", "utilization"},
    "deploy.healthEndpoints": {"liveness", "readiness"},
}
FUNC_REF = re.compile(r"^\{\{\s*(secret|configMap|env):([A-Za-z0-9._-]+)(?::([A-Za-z0-9._-]+))?\s*\}\}$")


def check_func_yaml(repo: pathlib.Path, objs: list[Obj], rep: Report, functions_dir: pathlib.Path) -> None:
    files = [repo / "func.yaml"] + [repo / "functions" / f / "func.yaml" for f in function_dirs(repo) if f not in LOCAL_ONLY]
    prod = [o for o in objs if o.env == "prod"] or objs
    svcs = {o.name: o for o in ksvcs(prod)}
    cms = {o.name: (o.body.get("data") or {}) for o in prod if o.kind == "ConfigMap"}
    for f in files:
        label = str(f.relative_to(repo))
        if not f.exists():
            rep.fail(label, "(file)", "missing")
            continue
        try:
            fy = yaml.safe_load(f.read_text()) or {}
        except yaml.YAMLError as e:
            rep.fail(label, "(file)", f"not YAML: {e}")
            continue
        for path, allowed in FUNC_KEYS.items():
            node = get(fy, path) if path else fy
            if isinstance(node, dict):
                for k in node:
                    if k not in allowed:
                        rep.fail(label, f"{path + '.' if path else ''}{k}", "not a func.yaml 0.36 field")
        if fy.get("specVersion") != "0.36.0":
            rep.fail(label, "specVersion", "must be 0.36.0")
        if fy.get("runtime") != "rust":
            rep.fail(label, "runtime", "must be rust")
        if not fy.get("created"):
            rep.fail(label, "created", "required by func")
        if fy.get("invoke") not in ("cloudevent", "http"):
            rep.fail(label, "invoke", "must be cloudevent or http")
        for probe, want in (("liveness", "/health/liveness"), ("readiness", "/health/readiness")):
            if get(fy, f"deploy.healthEndpoints.{probe}") != want:
                rep.fail(label, f"deploy.healthEndpoints.{probe}", f"must be {want}")
        name = fy.get("name")
        if f.parent == repo:
            continue  # the root func.yaml describes the workspace image
        if name != f.parent.name:
            rep.fail(label, "name", f"must be {f.parent.name}")
        svc = svcs.get(name)
        if svc is None:
            rep.fail(label, "name", f"no Knative Service {name} renders")
            continue
        if (get(svc.body, "metadata.annotations") or {}).get("examfn.dev/invoke") != fy.get("invoke"):
            rep.fail(label, "invoke", f"differs from the chart's examfn.dev/invoke of {name}")
        ann = get(svc.body, "spec.template.metadata.annotations") or {}
        if get(fy, "deploy.options.scale.min") != 0:
            rep.fail(label, "deploy.options.scale.min", "must be 0 (scale to zero)")
        if str(get(fy, "deploy.options.scale.max")) != ann.get("autoscaling.knative.dev/max-scale"):
            rep.fail(label, "deploy.options.scale.max", f"differs from the chart's prod max-scale "
                                                        f"{ann.get('autoscaling.knative.dev/max-scale')}")
        reads = envscan.function_reads(functions_dir, name)
        partial = reads.own_reads == 0
        svc_env = container_env((get(svc.body, "spec.template.spec.containers") or [{}])[0])
        for i, e in enumerate(get(fy, "run.envs") or []):
            n, v = e.get("name"), str(e.get("value", ""))
            fld = f"run.envs[{i}]({n})"
            if reads.common_reads and n not in reads.reads and not partial:
                rep.fail(label, fld, f"{name}'s code does not read {n}: a typo?")
            r = reads.reads.get(n)
            m = FUNC_REF.match(v)
            looks_secret = bool(SECRET_KEY_NAME.match(n or "")) or (r is not None and r.credential)
            if looks_secret:
                if not m or m.group(1) != "secret":
                    rep.fail(label, fld, "a credential: must be {{ secret:<name>:<key> }}")
                    continue
            if m and m.group(1) == "secret":
                ref = get(svc_env.get(n) or {}, "valueFrom.secretKeyRef") or {}
                if (ref.get("name"), ref.get("key")) != (m.group(2), m.group(3)):
                    rep.fail(label, fld, f"the chart reads {n} from Secret {ref.get('name')}:{ref.get('key')}")
            elif m and m.group(1) == "configMap":
                if m.group(2) not in cms or (m.group(3) and m.group(3) not in cms[m.group(2)]):
                    rep.fail(label, fld, f"ConfigMap {m.group(2)} key {m.group(3)} is not rendered")
            if n in KNATIVE_RESERVED_ENV:
                rep.fail(label, fld, "reserved: Knative sets it")
        set_in_func = {e.get("name") for e in get(fy, "run.envs") or []}
        for n, r in sorted(reads.reads.items()):
            if r.required and n not in set_in_func and n not in KNATIVE_RESERVED_ENV:
                rep.fail(label, "run.envs", f"{n} is required by the code ({r.where[0]}) but not set")
        scan_literal_secrets(label, fy, rep)


# --------------------------------------------------------------------------
# Dockerfile
# --------------------------------------------------------------------------

def check_dockerfile(repo: pathlib.Path, rep: Report) -> None:
    p = repo / "Dockerfile"
    if not p.exists():
        rep.fail("Dockerfile", "(file)", "missing")
        return
    text = p.read_text()
    lines = [ln.strip() for ln in re.sub(r"\\\n", " ", text).splitlines()]
    froms = [ln for ln in lines if ln.upper().startswith("FROM ")]
    if len(froms) < 2:
        rep.fail("Dockerfile", "FROM", "multi-stage build expected (builder + runtime)")
    args = {}
    for ln in lines:
        m = re.match(r"ARG\s+([A-Z0-9_]+)=(\S+)", ln)
        if m:
            args[m.group(1)] = m.group(2)
    stage_names = {m.lower() for m in re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", text, re.M | re.I)}
    for ln in froms:
        img = ln.split()[1]
        if img.lower() in stage_names:
            continue
        img = re.sub(r"\$\{?([A-Z0-9_]+)\}?", lambda m: args.get(m.group(1), m.group(0)), img)
        if not re.search(r":[\w.-]+@sha256:[0-9a-f]{64}$", img):
            rep.fail("Dockerfile", ln, f"base image {img} must be pinned by tag and digest (image:tag@sha256:<64 hex>)")
        elif re.search(r"@sha256:0{64}", img):
            rep.fail("Dockerfile", ln, "placeholder digest")
    if not re.search(r"^USER\s+(65532|65532:65532|nonroot|nonroot:nonroot)\s*$", text, re.M):
        rep.fail("Dockerfile", "USER", "the runtime stage must run as the non-root user 65532")
    if "--locked" not in text or not re.search(r"cargo build (--release|--profile \S+) --locked -p examfn\b", text):
        rep.fail("Dockerfile", "RUN cargo build", "must build with --profile image (or --release) --locked -p examfn")
    if not re.search(r'^ENTRYPOINT\s+\["/usr/local/bin/examfn"\]', text, re.M):
        rep.fail("Dockerfile", "ENTRYPOINT", 'must be ["/usr/local/bin/examfn"] (the Services pass args [run, <fn>])')
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", text, re.M | re.I)
    if stages and stages[-1] != "examfn":
        rep.fail("Dockerfile", "FROM", "the last (default) stage must be the all-in-one image `examfn`")
    # One small image per function (func deploy cannot pass arguments): the
    # function's thin binary as the entrypoint, built by the thin builder.
    for fn in function_dirs(repo):
        m = re.search(rf"^FROM\s+(\S+)\s+AS\s+{re.escape(fn)}\s*\n((?:(?!FROM\s).*\n?)*)", text, re.M)
        if not m:
            rep.fail("Dockerfile", f"target {fn}", f"missing the per-function target `FROM thin AS {fn}` (func deploy)")
            continue
        body = m.group(2)
        if not re.search(rf'^ENTRYPOINT\s+\["/usr/local/bin/{re.escape(fn)}"\]', body, re.M):
            rep.fail("Dockerfile", f"target {fn}", f'must have ENTRYPOINT ["/usr/local/bin/{fn}"] (its thin binary)')
        if not re.search(rf"^COPY\s+--from=\S+.*\s/out/{re.escape(fn)}/\s+/\s*$", body, re.M):
            rep.fail("Dockerfile", f"target {fn}", f"must COPY the builder's /out/{fn}/ tree (binary + the libraries it links)")
        if f"-p examfn-{fn}" not in text:
            rep.fail("Dockerfile", f"target {fn}", f"the thin builder must build -p examfn-{fn}")


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

def load_third_party(dir_: pathlib.Path) -> dict[str, dict]:
    out = {}
    if dir_.is_dir():
        for p in sorted(dir_.glob("*.yaml")):
            out[p.stem] = yaml.safe_load(p.read_text()) or {}
    return out


@dataclasses.dataclass
class Inputs:
    repo: pathlib.Path
    functions_dir: pathlib.Path
    objs: list[Obj]
    third_by_env: dict[str, dict[str, dict]]
    doc: pathlib.Path
    k8s_version: str = "1.30.0"
    ory_ns: str = "ory"
    ingress_ns: str = "istio-system"
    extra_yaml: list[pathlib.Path] = dataclasses.field(default_factory=list)


def operator_generated(objs: list[Obj]) -> set[tuple[str, str]]:
    """Secrets an operator creates itself (Percona's system users)."""
    return {(o.ns, get(o.body, "spec.secrets.users")) for o in objs if o.kind == "PerconaServerMongoDB"}


ALL_CHECKS: list[tuple[str, Callable[[Inputs, Report], None]]] = []


def check(name: str):
    def deco(fn):
        ALL_CHECKS.append((name, fn))
        return fn
    return deco


check("kubernetes-validate --strict (core kinds)")(lambda i, r: check_core_kinds(i.objs, r, i.k8s_version))
check("Knative/Istio schemas (cloudcoil models, strict)")(lambda i, r: check_model_schemas(i.objs, r))
check("CRD field lists (KafkaSource, KafkaSink, Strimzi, Oathkeeper Rule)")(lambda i, r: check_crd_fields(i.objs, r))
check("Knative Services: scale to zero, probes, resources, restricted, cluster-local")(
    lambda i, r: check_ksvc(i.objs, r, i.repo))
check("Jobs/Deployments: restricted security context")(lambda i, r: check_jobs(i.objs, r))
check("env vars vs the code's env.* reads")(lambda i, r: check_env_against_code(i.objs, r, i.functions_dir))
check("KafkaSources: groups, delivery, DLQ sinks, topics, sinks")(
    lambda i, r: check_kafka(i.objs, r, parse_names(i.repo)))
check("Debezium, rs0, MinIO notification vs names.rs")(
    lambda i, r: check_cdc_and_storage(i.objs, r, parse_names(i.repo)))
check("no literal secrets (rendered objects)")(lambda i, r: check_no_literal_secrets(i.objs, r))


@check("no literal secrets (values, environments, third-party values)")
def _values_secrets(i: Inputs, r: Report) -> None:
    for env, third in i.third_by_env.items():
        for rel, vals in third.items():
            scan_literal_secrets(f"values/{rel} [{env}]", vals, r)
    for p in i.extra_yaml:
        try:
            for n, doc in enumerate(yaml.safe_load_all(p.read_text())):
                scan_literal_secrets(f"{p.relative_to(i.repo)}#{n}", doc, r)
        except yaml.YAMLError:
            # .gotmpl files: scan as text
            for rx, what in SECRET_VALUE_PATTERNS:
                for m in rx.finditer(p.read_text()):
                    r.fail(str(p.relative_to(i.repo)), f"offset {m.start()}", f"holds {what}")


check("referenced Secrets are created by docs/deploy.md")(
    lambda i, r: check_secret_refs_documented(i.objs, i.third_by_env, r, i.doc, i.ory_ns, i.ingress_ns,
                                              operator_generated(i.objs)))
check("images pinned")(lambda i, r: check_images(i.objs, r))
check("public entry: Gateway -> Oathkeeper only; id_token; Kratos web_hook")(
    lambda i, r: check_gateway(i.objs, i.third_by_env, r, i.ory_ns, i.functions_dir))
check("exam-gen: timeout fits LLM_BUDGET_MS; KafkaSource and Knative allow it")(
    lambda i, r: check_exam_gen_timing(i.objs, r))
check("LLM: Service, server, probes, resources, pinned model, NetworkPolicy, PDB")(lambda i, r: check_llm(i.objs, r))
check("func.yaml files")(lambda i, r: check_func_yaml(i.repo, i.objs, r, i.functions_dir))
check("Dockerfile")(lambda i, r: check_dockerfile(i.repo, r))


@check("helmfile.yaml: remote charts pinned, tiers, local charts present")
def _helmfile(i: Inputs, r: Report) -> None:
    path = i.repo / "helmfile.yaml"
    # helmfile.yaml is a template: a value that is a bare {{ … }} (installed:
    # {{ eq … }}) is read as the string it stands for.
    text = re.sub(r"^(\s*[\w.-]+:\s*)(\{\{.*\}\})\s*$", lambda m: m.group(1) + json.dumps(m.group(2)),
                  path.read_text(), flags=re.M)
    docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    repos = {rp.get("name") for d in docs for rp in d.get("repositories") or []}
    envs = {e for d in docs for e in (d.get("environments") or {})}
    if not {"dev", "prod"} <= envs:
        r.fail("helmfile.yaml", "environments", f"dev and prod expected, got {sorted(envs)}")
    releases = [rel for d in docs for rel in d.get("releases") or []]
    if not releases:
        r.fail("helmfile.yaml", "releases", "none")
    for rel in releases:
        label = f"helmfile.yaml release {rel.get('name')}"
        chart = str(rel.get("chart", ""))
        tier = (rel.get("labels") or {}).get("tier")
        if chart.startswith("./"):
            if tier != "examfn":
                r.fail(label, "labels.tier", "local charts are tier=examfn (rendered offline)")
            if not (i.repo / chart / "Chart.yaml").exists():
                r.fail(label, "chart", f"{chart} has no Chart.yaml")
            continue
        if tier not in ("operator", "third-party"):
            r.fail(label, "labels.tier", "remote charts are tier=operator or tier=third-party (skipped offline)")
        if chart.split("/")[0] not in repos:
            r.fail(label, "chart", f"repository {chart.split('/')[0]} is not declared")
        if not re.fullmatch(r"v?\d+\.\d+\.\d+", str(rel.get("version", ""))):
            r.fail(label, "version", f"remote chart must be pinned to an exact version, got {rel.get('version')!r}")


def run_all(inp: Inputs, only: set[str] | None = None) -> Report:
    rep = Report()
    for name, fn in ALL_CHECKS:
        if only and name not in only:
            continue
        before = len(rep.failures)
        try:
            fn(inp, rep)
        except Exception as e:  # a crashing check is a failing check
            rep.fail("(check)", name, f"crashed: {type(e).__name__}: {e}")
        rep.checks_run.append(f"{'ok  ' if len(rep.failures) == before else 'FAIL'} {name}")
    return rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=pathlib.Path, required=True)
    ap.add_argument("--functions-dir", type=pathlib.Path, help="sources to derive env vars from (default: <repo>/functions)")
    ap.add_argument("--rendered", action="append", default=[], metavar="ENV=FILE", help="rendered manifests of an environment")
    ap.add_argument("--third-party", action="append", default=[], metavar="ENV=DIR", help="helmfile write-values output")
    ap.add_argument("--doc", type=pathlib.Path, help="deploy guide (default: <repo>/docs/deploy.md)")
    ap.add_argument("--extra-yaml", action="append", default=[], type=pathlib.Path)
    ap.add_argument("--k8s-version", default="1.30.0")
    a = ap.parse_args(argv)
    objs: list[Obj] = []
    for spec in a.rendered:
        env, _, f = spec.partition("=")
        objs += load_rendered(pathlib.Path(f), env)
    third = {}
    for spec in a.third_party:
        env, _, d = spec.partition("=")
        third[env] = load_third_party(pathlib.Path(d))
    inp = Inputs(repo=a.repo.resolve(), functions_dir=(a.functions_dir or a.repo / "functions").resolve(),
                 objs=objs, third_by_env=third, doc=a.doc or a.repo / "docs" / "deploy.md",
                 k8s_version=a.k8s_version, extra_yaml=[p.resolve() for p in a.extra_yaml])
    rep = run_all(inp)
    for line in rep.checks_run:
        print(f"  {line}")
    for f in rep.findings:
        print(f)
    n_fail = sum(1 for c in rep.checks_run if c.startswith("FAIL"))
    print(f"deploy checks over {len(objs)} objects: {len(rep.checks_run) - n_fail} passed, {n_fail} failed")
    return 1 if rep.failures else 0


if __name__ == "__main__":
    sys.exit(main())
