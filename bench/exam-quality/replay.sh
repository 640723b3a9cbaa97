#!/usr/bin/env bash
# Replay a model run's cached answers through the current verifier and
# selector (bench/exam-quality/README.md, "Replays"):
#
#   bash bench/exam-quality/replay.sh CACHE_DIR OUT.json [--only ID,ID]
#
# CACHE_DIR is what a live run wrote with CHAT_CACHE=CACHE_DIR run.sh. No
# model runs: a stand-in server (replay_server.py) lists the model and
# refuses every request the cache does not answer, so the exams come from
# the cached answers alone — what the live run wrote, when the code is the
# same — in about a minute for ten lectures. OUT.json's times are not the
# model's. The run is scored against the strict labels (score.py); new
# questions show up as unlabelled.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${EXAMFN_CACHE:-$HOME/.cache/examfn}
[[ $# -ge 2 && -d $1 ]] || { echo "usage: replay.sh CACHE_DIR OUT.json [--only ID,ID]" >&2; exit 2; }
chat=$1 out=$2
shift 2
alias_name=qwen2.5-coder-1.5b-instruct
embed=$(bash "$root/functions/embed/install-model.sh")
(cd "$root" && cargo build --release --locked -p examfn-exam-gen --example write >&2)
bin=${CARGO_TARGET_DIR:-$root/target}/release/examples/write
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$here/replay_server.py" "$port" "$alias_name" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/v1/models" > /dev/null 2>&1 && break; sleep 0.1; done
EXAMFN_EMBED_MODEL_DIR=$embed "$bin" "$cache/corpus-v1" "$out" --llm "http://127.0.0.1:$port/v1" --model "$alias_name" \
    --budget-ms "${BUDGET_MS:-240000}" --parallel 2 --cache "$chat" "$@" 2> "${out%.json}.log"
grep ' pages ' "${out%.json}.log" >&2 || true
shopt -s nullglob
labels=("$here"/labels/strict-*.jsonl)
shopt -u nullglob
python3 "$here/score.py" "$out" "${labels[@]}" --key "$here/labels/strict-key.json" --no-cues --title "replay of $chat"
