#!/usr/bin/env python3
"""Negative self-test of knative/tools/checks.py (no pytest needed).

Each case takes the objects `helmfile template` rendered, breaks one field of
one object, runs the checks and asserts that they fail naming that object
and field. The environment-variable scanner is tested on the fake sources in
knative/tests/fixtures/. Prints `selftest: N passed, M failed`.
"""

from __future__ import annotations

import argparse
import copy
import pathlib
import sys
import traceback
from typing import Callable

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import checks  # noqa: E402
import envscan  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE.parent / "tests" / "fixtures"


class Case:
    def __init__(self, name: str, fn: Callable[["Ctx"], None]):
        self.name, self.fn = name, fn


CASES: list[Case] = []


def case(name: str):
    def deco(fn):
        CASES.append(Case(name, fn))
        return fn
    return deco


class Ctx:
    def __init__(self, base: checks.Inputs):
        self.base = base

    def inputs(self, **over) -> checks.Inputs:
        inp = copy.copy(self.base)
        inp.objs = copy.deepcopy(self.base.objs)
        inp.third_by_env = copy.deepcopy(self.base.third_by_env)
        for k, v in over.items():
            setattr(inp, k, v)
        return inp

    def find(self, inp: checks.Inputs, kind: str, name: str, env: str = "prod") -> checks.Obj:
        for o in inp.objs:
            if o.kind == kind and o.name == name and o.env == env:
                return o
        raise AssertionError(f"no {kind}/{name} [{env}] in the rendered objects")

    def run(self, inp: checks.Inputs, only: str | None = None) -> checks.Report:
        names = {n for n, _ in checks.ALL_CHECKS if only is None or only in n}
        assert names, f"no check matches {only!r}"
        return checks.run_all(inp, names)

    @staticmethod
    def expect(rep: checks.Report, obj: str, field: str, text: str = "") -> None:
        for f in rep.failures:
            if obj in f.obj and field in f.field and text in f.message:
                return
        got = "\n    ".join(str(f) for f in rep.failures) or "(no failure)"
        raise AssertionError(f"expected a failure naming {obj!r} / {field!r} / {text!r}; got:\n    {got}")


def env_of(o: checks.Obj) -> list[dict]:
    return o.body["spec"]["template"]["spec"]["containers"][0]["env"]


# --- the unbroken input passes -------------------------------------------

@case("baseline: the rendered platform passes every check")
def _(c: Ctx) -> None:
    rep = c.run(c.inputs())
    assert not rep.failures, "\n".join(map(str, rep.failures))


# --- KafkaSource -----------------------------------------------------------

@case("KafkaSource without a dead-letter sink fails naming spec.delivery.deadLetterSink")
def _(c: Ctx) -> None:
    inp = c.inputs()
    del c.find(inp, "KafkaSource", "score-calc-source").body["spec"]["delivery"]["deadLetterSink"]
    c.expect(c.run(inp, "KafkaSources"), "KafkaSource/examfn/score-calc-source [prod]", "spec.delivery.deadLetterSink")


@case("two KafkaSources sharing a consumer group fail naming spec.consumerGroup")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "KafkaSource", "email-source").body["spec"]["consumerGroup"] = "examfn-exam-gen"
    rep = c.run(inp, "KafkaSources")
    c.expect(rep, "KafkaSource/examfn/", "spec.consumerGroup", "examfn-exam-gen")


@case("KafkaSource on a topic without KafkaTopic fails naming spec.topics[0]")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "KafkaSource", "email-source").body["spec"]["topics"] = ["email-topik"]
    c.expect(c.run(inp, "KafkaSources"), "KafkaSource/examfn/email-source [prod]", "spec.topics[0]", "email-topik")


@case("KafkaSource whose sink Service does not exist fails naming spec.sink.ref.name")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "KafkaSource", "exam-gen-source").body["spec"]["sink"]["ref"]["name"] = "exam-generator"
    c.expect(c.run(inp, "KafkaSources"), "KafkaSource/examfn/exam-gen-source [prod]", "spec.sink.ref.name")


@case("KafkaSource with linear backoff and no retries fails naming the delivery fields")
def _(c: Ctx) -> None:
    inp = c.inputs()
    d = c.find(inp, "KafkaSource", "email-source").body["spec"]["delivery"]
    d["backoffPolicy"], d["retry"] = "linear", 0
    rep = c.run(inp, "KafkaSources")
    c.expect(rep, "KafkaSource/examfn/email-source [prod]", "spec.delivery.backoffPolicy")
    c.expect(rep, "KafkaSource/examfn/email-source [prod]", "spec.delivery.retry")


@case("a misspelt KafkaSource field fails naming it")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "KafkaSource", "email-source").body["spec"]["consumergroup"] = "x"
    c.expect(c.run(inp, "CRD field lists"), "KafkaSource/examfn/email-source [prod]", "spec.consumergroup", "unknown field")


@case("a missing dead-letter topic fails naming the KafkaSink's spec.topic")
def _(c: Ctx) -> None:
    inp = c.inputs()
    inp.objs = [o for o in inp.objs if not (o.kind == "KafkaTopic" and o.spec.get("topicName") == "email-topic.dlq")]
    rep = c.run(inp, "KafkaSources")
    c.expect(rep, "KafkaSink/examfn/email-topic-dlq [prod]", "spec.topic", "email-topic.dlq")


# --- Knative Services --------------------------------------------------------

@case("a Knative schema typo fails naming the field")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "Service", "take-exam").body["spec"]["template"]["spec"]["containerConcurency"] = 10
    c.expect(c.run(inp, "Knative/Istio schemas"), "Service/examfn/take-exam [prod]", "spec.template.spec",
             "containerConcurency")


@case("min-scale 1 fails naming the annotation")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "Service", "email").body["spec"]["template"]["metadata"]["annotations"][
        "autoscaling.knative.dev/min-scale"] = "1"
    c.expect(c.run(inp, "Knative Services"), "Service/examfn/email [prod]", "autoscaling.knative.dev/min-scale")


@case("a public (not cluster-local) Service fails naming the visibility label")
def _(c: Ctx) -> None:
    inp = c.inputs()
    del c.find(inp, "Service", "take-exam").body["metadata"]["labels"]["networking.knative.dev/visibility"]
    c.expect(c.run(inp, "Knative Services"), "Service/examfn/take-exam [prod]", "networking.knative.dev/visibility")


@case("a writable root filesystem fails naming securityContext.readOnlyRootFilesystem")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "Service", "score-calc").body["spec"]["template"]["spec"]["containers"][0]["securityContext"][
        "readOnlyRootFilesystem"] = False
    c.expect(c.run(inp, "Knative Services"), "Service/examfn/score-calc [prod]", "securityContext.readOnlyRootFilesystem")


@case("a wrong probe path fails naming livenessProbe.httpGet.path")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "Service", "exam-gen").body["spec"]["template"]["spec"]["containers"][0]["livenessProbe"][
        "httpGet"]["path"] = "/healthz"
    c.expect(c.run(inp, "Knative Services"), "Service/examfn/exam-gen [prod]", "livenessProbe.httpGet.path")


@case("a core-kind typo fails kubernetes-validate --strict naming the field")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "ServiceAccount", "examfn-functions").body["automountServiceAccountTokens"] = False
    c.expect(c.run(inp, "kubernetes-validate"), "ServiceAccount/examfn/examfn-functions [prod]", "(root)",
             "automountServiceAccountTokens")


@case("a Job script with a shell syntax error fails naming its args")
def _(c: Ctx) -> None:
    inp = c.inputs()
    ctr = c.find(inp, "Job", "examfn-minio-setup").body["spec"]["template"]["spec"]["containers"][0]
    ctr["args"][0] += "\nif then fi\n"
    c.expect(c.run(inp, "Jobs/Deployments"), "Job/examfn-data/examfn-minio-setup [prod]", "args[0]", "shell syntax")


# --- environment variables against the code ---------------------------------

@case("env scanner: comments, test modules, strings and unused feature modules are not reads")
def _(c: Ctx) -> None:
    fdir = FIXTURES / "functions"
    email = envscan.function_reads(fdir, "email")
    take = envscan.function_reads(fdir, "take-exam")
    for absent in ("DOC_COMMENT_ONLY", "ALSO_A_COMMENT", "BLOCK_COMMENT", "ONLY_IN_TESTS", "INSIDE_A_RAW_STRING"):
        assert absent not in email.reads, f"{absent} must not count as a read"
    assert "KAFKA_CONSUMER_GROUP" in email.reads, "a read after a URL string on the same line was missed"
    assert email.reads["FIXTURE_ONLY_REQUIRED"].required, "a call split over lines was missed"
    assert email.reads["MONGODB_URI"].credential and email.reads["MONGODB_URI"].required
    assert not email.reads["UNSUBSCRIBE_SECRET"].required and email.reads["UNSUBSCRIBE_SECRET"].credential
    assert "AWS_ACCESS_KEY_ID" not in email.reads, "s3 feature not enabled by the fixture email crate"
    assert "MONGODB_URI" not in take.reads, "mongo feature not enabled by the fixture take-exam crate"
    assert take.reads["AUTH_JWKS_URL"].required


@case("a variable the code requires but the Service lacks fails naming the env and the variable")
def _(c: Ctx) -> None:
    inp = c.inputs(functions_dir=FIXTURES / "functions")
    c.expect(c.run(inp, "env vars"), "Service/examfn/email [prod]", "containers[0].env", "FIXTURE_ONLY_REQUIRED")


@case("a variable set on the Service but not read (typo) fails naming it")
def _(c: Ctx) -> None:
    inp = c.inputs(functions_dir=FIXTURES / "functions")
    env_of(c.find(inp, "Service", "take-exam")).append({"name": "AUTH_JWKS_URI", "value": "http://x"})
    c.expect(c.run(inp, "env vars"), "Service/examfn/take-exam [prod]", "env[AUTH_JWKS_URI]", "not read by the code")


@case("a credential the code reads with env.secret set as a literal fails naming it")
def _(c: Ctx) -> None:
    inp = c.inputs(functions_dir=FIXTURES / "functions")
    env = env_of(c.find(inp, "Service", "email"))
    for e in env:
        if e["name"] == "KRATOS_WEBHOOK_SECRET":
            e.pop("valueFrom")
            e["value"] = "hunter2hunter2"
    rep = c.run(inp, "env vars")
    c.expect(rep, "Service/examfn/email [prod]", "env[KRATOS_WEBHOOK_SECRET]", "must come from a Secret")


@case("a Service whose env matches the code passes the env check")
def _(c: Ctx) -> None:
    inp = c.inputs(functions_dir=FIXTURES / "functions")
    svc = c.find(inp, "Service", "take-exam")
    env_of(svc)[:] = [{"name": "AUTH_JWKS_URL", "value": "http://oathkeeper-api.ory.svc.cluster.local:4456/.well-known/jwks.json"},
                      {"name": "FUNC_TRANSPORT", "value": "http"}]
    inp.objs = [o for o in inp.objs if o.env == "prod" and not (o.kind == "Service" and o.name != "take-exam")]
    rep = c.run(inp, "env vars")
    assert not rep.failures, "\n".join(map(str, rep.failures))


# --- secrets ---------------------------------------------------------------

@case("a literal MongoDB URI with a password fails naming the env var")
def _(c: Ctx) -> None:
    inp = c.inputs()
    for e in env_of(c.find(inp, "Service", "take-exam")):
        if e["name"] == "MONGODB_URI":
            e.pop("valueFrom")
            e["value"] = "mongodb://databaseAdmin:sHWKYbXRalmNExTMiYr@mongo/admin"
    rep = c.run(inp, "no literal secrets (rendered")
    c.expect(rep, "Service/examfn/take-exam [prod]", "env[MONGODB_URI]", "a URL with a password")


@case("a rendered Secret object fails")
def _(c: Ctx) -> None:
    inp = c.inputs()
    inp.objs.append(checks.Obj("prod", {"apiVersion": "v1", "kind": "Secret",
                                        "metadata": {"name": "leak", "namespace": "examfn"},
                                        "stringData": {"AWS_SECRET_ACCESS_KEY": "minio123"}}))
    rep = c.run(inp, "no literal secrets (rendered")
    c.expect(rep, "Secret/examfn/leak [prod]", "kind")
    c.expect(rep, "Secret/examfn/leak [prod]", "stringData.AWS_SECRET_ACCESS_KEY")


@case("a Secret the deploy guide does not create fails naming the reference")
def _(c: Ctx) -> None:
    inp = c.inputs()
    for e in env_of(c.find(inp, "Service", "exam-gen")):
        if e["name"] == "MONGODB_URI":
            e["valueFrom"]["secretKeyRef"]["name"] = "examfn-mongo-typo"
    c.expect(c.run(inp, "referenced Secrets"), "Service/examfn/exam-gen [prod]", "secret", "examfn-mongo-typo")


# --- images, Debezium, gateway ----------------------------------------------

@case("an unpinned image fails naming the container's image field")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "Job", "examfn-minio-setup").body["spec"]["template"]["spec"]["containers"][0]["image"] = "minio/mc:latest"
    c.expect(c.run(inp, "images pinned"), "Job/examfn-data/examfn-minio-setup [prod]", "containers[mc].image", "latest")


@case("examfn's own image without a digest fails")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "Service", "email").body["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/examfn/examfn:0.1.0"
    c.expect(c.run(inp, "images pinned"), "Service/examfn/email [prod]", ".image", "digest")


@case("a Debezium prefix that does not produce the code's topic fails naming topic.prefix")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "KafkaConnector", "examfn-mongodb-cdc").body["spec"]["config"]["topic.prefix"] = "mongo-topic"
    c.expect(c.run(inp, "Debezium"), "KafkaConnector/examfn-kafka/examfn-mongodb-cdc [prod]", "spec.config[topic.prefix]")


@case("a literal Debezium connection string fails naming mongodb.connection.string")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "KafkaConnector", "examfn-mongodb-cdc").body["spec"]["config"][
        "mongodb.connection.string"] = "mongodb://debezium:pw@examfn-mongo-rs0/?replicaSet=rs0"
    rep = c.run(inp, "Debezium")
    c.expect(rep, "KafkaConnector/examfn-kafka/examfn-mongodb-cdc [prod]", "spec.config[mongodb.connection.string]")


@case("a public route straight to a function (bypassing Oathkeeper) fails naming the destination")
def _(c: Ctx) -> None:
    inp = c.inputs()
    vs = c.find(inp, "VirtualService", "examfn-exam")
    vs.body["spec"]["http"][-1]["route"][0]["destination"]["host"] = "take-exam.examfn.svc.cluster.local"
    c.expect(c.run(inp, "public entry"), "VirtualService/examfn/examfn-exam [prod]", "destination.host", "without Oathkeeper")


@case("take-exam's audience not minted by the id_token mutator fails naming AUTH_AUDIENCE")
def _(c: Ctx) -> None:
    inp = c.inputs()
    for e in env_of(c.find(inp, "Service", "take-exam")):
        if e["name"] == "AUTH_AUDIENCE":
            e["value"] = "examfn"
    c.expect(c.run(inp, "public entry"), "Service/examfn/take-exam [prod]", "env[AUTH_AUDIENCE]")


@case("a Kratos web_hook to the wrong path fails naming the hook's url")
def _(c: Ctx) -> None:
    inp = c.inputs()
    hooks = inp.third_by_env["prod"]["kratos"]["kratos"]["config"]["selfservice"]["flows"]["registration"]["after"][
        "password"]["hooks"]
    hooks[0]["config"]["url"] = "http://email.examfn.svc.cluster.local/hooks/registration"
    c.expect(c.run(inp, "public entry"), "values/kratos [prod]", "hooks[0].config.url", "after-registration")


@case("an identity schema without user_type fails")
def _(c: Ctx) -> None:
    inp = c.inputs()
    inp.third_by_env["prod"]["kratos"]["kratos"]["identitySchemas"] = {
        "identity.schema.json": '{"properties": {"traits": {"properties": {"email": {}}}}}'}
    c.expect(c.run(inp, "public entry"), "values/kratos [prod]", "user_type.enum")


# --- the language model (examfn-llm) and exam-gen's timing -----------------

def llm_server(c: Ctx, inp: checks.Inputs, env: str = "prod") -> dict:
    return c.find(inp, "Deployment", "llm", env).body["spec"]["template"]["spec"]["containers"][0]


def set_env(o: checks.Obj, name: str, value: str) -> None:
    for e in env_of(o):
        if e["name"] == name:
            e.clear()
            e.update({"name": name, "value": value})
            return
    env_of(o).append({"name": name, "value": value})


@case("exam-gen's LLM_MODEL that the server does not serve fails naming env[LLM_MODEL]")
def _(c: Ctx) -> None:
    inp = c.inputs()
    set_env(c.find(inp, "Service", "exam-gen"), "LLM_MODEL", "static")
    c.expect(c.run(inp, "LLM:"), "Service/examfn/exam-gen [prod]", "env[LLM_MODEL]", "serves")


@case("LLM_BASE_URL naming a Service that does not render fails")
def _(c: Ctx) -> None:
    inp = c.inputs()
    set_env(c.find(inp, "Service", "exam-gen"), "LLM_BASE_URL", "http://llama.examfn.svc.cluster.local/v1")
    c.expect(c.run(inp, "LLM:"), "Service/examfn/exam-gen [prod]", "env[LLM_BASE_URL]", "no Service examfn/llama")


@case("a NetworkPolicy peer that admits other namespaces fails naming spec.ingress[0].from[0]")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "NetworkPolicy", "llm").body["spec"]["ingress"][0]["from"][0]["namespaceSelector"] = {}
    c.expect(c.run(inp, "LLM:"), "NetworkPolicy/examfn/llm [prod]", "spec.ingress[0].from[0]", "exam-gen")


@case("a NetworkPolicy admitting every pod, or none at all, fails")
def _(c: Ctx) -> None:
    inp = c.inputs()
    del c.find(inp, "NetworkPolicy", "llm").body["spec"]["ingress"][0]["from"]
    c.expect(c.run(inp, "LLM:"), "NetworkPolicy/examfn/llm [prod]", "spec.ingress[0].from", "every pod")
    inp = c.inputs()
    inp.objs = [o for o in inp.objs if not (o.kind == "NetworkPolicy" and o.env == "prod")]
    c.expect(c.run(inp, "LLM:"), "Deployment/examfn/llm [prod]", "labels", "NetworkPolicy")


@case("a downloaded model without sha256 fails naming MODEL_SHA256")
def _(c: Ctx) -> None:
    inp = c.inputs()
    init = c.find(inp, "Deployment", "llm").body["spec"]["template"]["spec"]["initContainers"][0]
    for e in init["env"]:
        if e["name"] == "MODEL_SHA256":
            e["value"] = ""
    c.expect(c.run(inp, "LLM:"), "Deployment/examfn/llm [prod]", "env[MODEL_SHA256]", "sha256")


@case("a model image without digest (GPU profile) fails")
def _(c: Ctx) -> None:
    inp = c.inputs()
    init = c.find(inp, "Deployment", "llm", "prod-gpu").body["spec"]["template"]["spec"]["initContainers"][0]
    init["image"] = init["image"].split("@")[0]
    c.expect(c.run(inp, "LLM:"), "Deployment/examfn/llm [prod-gpu]", "initContainers", "digest")


@case("vLLM without a GPU fails naming resources.limits[nvidia.com/gpu]")
def _(c: Ctx) -> None:
    inp = c.inputs()
    res = llm_server(c, inp, "prod-gpu")["resources"]
    del res["limits"]["nvidia.com/gpu"]
    c.expect(c.run(inp, "LLM:"), "Deployment/examfn/llm [prod-gpu]", "resources.limits[nvidia.com/gpu]")


@case("a model server without startup probe, or more threads than cores, fails")
def _(c: Ctx) -> None:
    inp = c.inputs()
    srv = llm_server(c, inp)
    del srv["startupProbe"]
    srv["args"][srv["args"].index("-t") + 1] = "16"
    rep = c.run(inp, "LLM:")
    c.expect(rep, "Deployment/examfn/llm [prod]", "startupProbe.httpGet", "/health")
    c.expect(rep, "Deployment/examfn/llm [prod]", "containers[0].args", "more threads")


@case("two replicas without PodDisruptionBudget fail naming spec.replicas")
def _(c: Ctx) -> None:
    inp = c.inputs()
    inp.objs = [o for o in inp.objs if not (o.kind == "PodDisruptionBudget" and o.env == "prod")]
    c.expect(c.run(inp, "LLM:"), "Deployment/examfn/llm [prod]", "spec.replicas", "PodDisruptionBudget")


@case("a hosted provider whose key Secret is optional fails naming LLM_API_KEY")
def _(c: Ctx) -> None:
    inp = c.inputs()
    for e in env_of(c.find(inp, "Service", "exam-gen", "prod-hosted")):
        if e["name"] == "LLM_API_KEY":
            e["valueFrom"]["secretKeyRef"]["optional"] = True
    c.expect(c.run(inp, "LLM:"), "Service/examfn/exam-gen [prod-hosted]", "env[LLM_API_KEY]", "optional")


@case("a model server that exam-gen does not call fails (mode off)")
def _(c: Ctx) -> None:
    inp = c.inputs()
    dep = copy.deepcopy(c.find(inp, "Deployment", "llm"))
    dep.env = "prod-off"
    inp.objs.append(dep)
    c.expect(c.run(inp, "LLM:"), "Deployment/examfn/llm [prod-off]", "metadata.name", "no LLM_BASE_URL")


@case("exam-gen's timeout below LLM_BUDGET_MS + margin fails naming timeoutSeconds")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "Service", "exam-gen").body["spec"]["template"]["spec"]["timeoutSeconds"] = 300
    c.expect(c.run(inp, "exam-gen: timeout"), "Service/examfn/exam-gen [prod]", "spec.template.spec.timeoutSeconds",
             "at least 360")


@case("exam-gen's KafkaSource giving up before the Service's timeout fails naming delivery.timeout")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "KafkaSource", "exam-gen-source").body["spec"]["delivery"]["timeout"] = "PT5M"
    c.expect(c.run(inp, "exam-gen: timeout"), "KafkaSource/examfn/exam-gen-source [prod]", "spec.delivery.timeout")


@case("a timeout above Knative's max-revision-timeout-seconds fails naming it")
def _(c: Ctx) -> None:
    inp = c.inputs()
    c.find(inp, "Service", "exam-gen").body["spec"]["template"]["spec"]["timeoutSeconds"] = 900
    c.find(inp, "KafkaSource", "exam-gen-source").body["spec"]["delivery"]["timeout"] = "PT16M"
    c.expect(c.run(inp, "exam-gen: timeout"), "KnativeServing/knative-serving/knative-serving [prod]",
             "max-revision-timeout-seconds", "900")


@case("an unpinned remote chart in helmfile.yaml fails naming the release's version")
def _(c: Ctx) -> None:
    import shutil
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        repo = pathlib.Path(tmp)
        text = (c.base.repo / "helmfile.yaml").read_text().replace("version: 0.45.0", "version: '>=0.45'", 1)
        (repo / "helmfile.yaml").write_text(text)
        shutil.copytree(c.base.repo / "knative" / "charts", repo / "knative" / "charts")
        inp = c.inputs(repo=repo)
        c.expect(c.run(inp, "helmfile.yaml"), "helmfile.yaml release strimzi", "version", "exact version")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("checks_args", nargs=argparse.REMAINDER, help="the same arguments as checks.py")
    a = ap.parse_args(argv)
    args = [x for x in a.checks_args if x != "--"]
    ns = _parse(args)
    ctx = Ctx(ns)
    passed = failed = 0
    for cs in CASES:
        try:
            cs.fn(ctx)
            passed += 1
            print(f"  ok   {cs.name}")
        except AssertionError as e:
            failed += 1
            print(f"  FAIL {cs.name}\n    {e}")
        except Exception:  # noqa: BLE001
            failed += 1
            print(f"  FAIL {cs.name} (crashed)\n{traceback.format_exc()}")
    print(f"selftest: {passed} passed, {failed} failed")
    return 1 if failed else 0


def _parse(args: list[str]) -> checks.Inputs:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", type=pathlib.Path, required=True)
    ap.add_argument("--functions-dir", type=pathlib.Path)
    ap.add_argument("--rendered", action="append", default=[])
    ap.add_argument("--third-party", action="append", default=[])
    ap.add_argument("--doc", type=pathlib.Path)
    ap.add_argument("--extra-yaml", action="append", default=[], type=pathlib.Path)
    ap.add_argument("--k8s-version", default="1.30.0")
    a = ap.parse_args(args)
    objs = []
    for spec in a.rendered:
        env, _, f = spec.partition("=")
        objs += checks.load_rendered(pathlib.Path(f), env)
    third = {}
    for spec in a.third_party:
        env, _, d = spec.partition("=")
        third[env] = checks.load_third_party(pathlib.Path(d))
    repo = a.repo.resolve()
    return checks.Inputs(repo=repo, functions_dir=(a.functions_dir or repo / "functions").resolve(), objs=objs,
                         third_by_env=third, doc=a.doc or repo / "docs" / "deploy.md", k8s_version=a.k8s_version,
                         extra_yaml=[p.resolve() for p in a.extra_yaml])


if __name__ == "__main__":
    sys.exit(main())
