#!/usr/bin/env bash
# The exam-quality benchmark (bench/exam-quality/README.md): every lecture of
# the corpus through exam-gen's writing path (analysis → rule-based source →
# language model → verifier → selector; bench/exam-quality/write.rs), 12
# multiple-choice (4 options) + 8 true/false asked each, twice:
#
#   llm    with the local model: llama.cpp's llama-server and
#          Qwen2.5-Coder-1.5B-Instruct, started with the flags `examfn up` uses;
#   rules  with the rule-based source only (what exam-gen writes without a model).
#
# Each lecture is timed (the model's budget per exam: BUDGET_MS, default 240000
# as exam-gen's LLM_BUDGET_MS), the harness's and the server's peak memory are
# recorded, and both runs are scored against the blind hand labels in labels/
# (score.py) and by the surface-cue scripts (cues.py). Results in results/.
#
#   bash bench/exam-quality/run.sh                  # both runs, ≈ 2 h on 2 cores
#   bash bench/exam-quality/run.sh --only lshort,r-intro
#   bash bench/exam-quality/run.sh --rules-only     # ≈ 1 min
#   bash bench/exam-quality/run.sh --only vegan-diversity --merge
#                          # these lectures again, into the results of the others
#   bash bench/exam-quality/run.sh --score-only     # score the results again
#
# LLM_CHECK=true writes with the model's check of its own questions
# (exam-gen's LLM_CHECK, off by default), to measure what the check does.
#
# CHAT_CACHE=DIR keeps each answer of the model in DIR and answers from it on
# a later run (the same prompt): a change of the verifier or the selector is
# then measured on the same answers in minutes; the times of such a run are
# not the model's.
#
# Needs the per-user cache's tools (installed when missing): the corpus
# (corpus.sh), all-MiniLM-L6-v2, llama-server and the Qwen model
# (platform/install-llm.sh). Run it on idle cores: the model's speed, and so
# the number of questions it verifies within its budget, falls several-fold
# when a build shares the machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${EXAMFN_CACHE:-$HOME/.cache/examfn}
out=$here/results
only=()
rules_only=0
merge=0
score_only=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --only) only=(--only "$2"); shift 2 ;;
        --rules-only) rules_only=1; shift ;;
        --merge) merge=1; shift ;;
        --score-only) score_only=1; shift ;;
        *) echo "usage: run.sh [--only ID,ID [--merge]] [--rules-only] [--score-only]" >&2; exit 2 ;;
    esac
done
[[ $score_only == 1 && ! -f $out/llm.json ]] && rules_only=1
# With --merge a run writes NAME.part.json, whose lectures then replace or
# join those of NAME.json.
part() { if [[ $merge == 1 ]]; then echo "$out/$1.part.json"; else echo "$out/$1.json"; fi; }
merge_into() {
    [[ $merge == 1 ]] || return 0
    python3 - "$out/$1.json" "$out/$1.part.json" <<'PY'
import json, pathlib, sys
whole, part = pathlib.Path(sys.argv[1]), json.loads(pathlib.Path(sys.argv[2]).read_text())
if whole.exists():
    d = json.loads(whole.read_text())
    ids = {x["id"] for x in part["docs"]}
    d["docs"] = [x for x in d["docs"] if x["id"] not in ids] + part["docs"]
else:
    d = part
whole.write_text(json.dumps(d, indent=2))
PY
    rm -f "$out/$1.part.json"
}
budget=${BUDGET_MS:-240000}
alias_name=qwen2.5-coder-1.5b-instruct
mkdir -p "$out"

bash "$here/corpus.sh" >&2
cp "$here/corpus.tsv" "$cache/corpus-v1/corpus.tsv"
embed=$(bash "$root/functions/embed/install-model.sh")
(cd "$root" && cargo build --release --locked -p examfn-exam-gen --example write >&2)
bin=${CARGO_TARGET_DIR:-$root/target}/release/examples/write

if [[ $score_only == 0 ]]; then
echo "== rules only" >&2
EXAMFN_EMBED_MODEL_DIR=$embed /usr/bin/time -f '%M' -o "$out/rules.rss" \
    "$bin" "$cache/corpus-v1" "$(part rules)" "${only[@]}" 2> "$out/rules.log"
grep ' pages ' "$out/rules.log" >&2 || true
merge_into rules
fi

if [[ $rules_only == 0 && $score_only == 0 ]]; then
    server=$(bash "$root/platform/install-llm.sh" server)
    gguf=$(bash "$root/platform/install-llm.sh" model qwen)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    # The flags `examfn up` starts the server with (src/llm.rs).
    OMP_WAIT_POLICY=PASSIVE "$server" -m "$gguf" --host 127.0.0.1 --port "$port" -t "$(nproc)" -c 16384 -np 2 \
        --alias "$alias_name" --no-webui > "$out/llm-server.log" 2>&1 &
    server_pid=$!
    trap 'kill $server_pid 2>/dev/null || true' EXIT
    for _ in $(seq 1 600); do
        curl -fs "http://127.0.0.1:$port/health" > /dev/null 2>&1 && break
        sleep 0.2
    done
    # The server's peak resident memory, sampled every second.
    (peak=0; while kill -0 $server_pid 2>/dev/null; do
        rss=$(awk '/VmRSS/ {print $2}' /proc/$server_pid/status 2>/dev/null || echo 0)
        (( rss > peak )) && peak=$rss && echo "$peak" > "$out/llm-server.rss"
        sleep 1
    done) &
    echo "== with the model ($alias_name, budget ${budget} ms per exam)" >&2
    EXAMFN_EMBED_MODEL_DIR=$embed /usr/bin/time -f '%M' -o "$out/llm.rss" \
        "$bin" "$cache/corpus-v1" "$(part llm)" --llm "http://127.0.0.1:$port/v1" --model "$alias_name" \
        --budget-ms "$budget" --parallel 2 "${only[@]}" ${LLM_CHECK:+$([[ $LLM_CHECK == true ]] && echo --check)} ${CHAT_CACHE:+--cache "$CHAT_CACHE"} 2> "$out/llm.log"
    grep ' pages ' "$out/llm.log" >&2 || true
    kill $server_pid 2>/dev/null || true
    merge_into llm
fi

# Scores: the blind labels (labels/strict-*.jsonl with their key) and the older ones.
shopt -s nullglob
labels=("$here"/labels/strict-*.jsonl)
(( ${#labels[@]} )) || labels=("$here"/labels/*.jsonl)
shopt -u nullglob
key=()
if [[ -f $here/labels/strict-key.json ]]; then
    # The strict labels score the lectures they cover (the counts, time and
    # cues below cover every lecture of the run).
    labelled=$(python3 -c 'import json,sys; print(",".join(sorted({v["doc"] for v in json.load(open(sys.argv[1]))["items"].values()})))' "$here/labels/strict-key.json")
    key=(--key "$here/labels/strict-key.json" --only "$labelled")
fi
runs=(rules)
[[ $rules_only == 0 ]] && runs=(llm rules)
# A run with the model's check of its own questions (LLM_CHECK=true), kept
# as results/llm-check.* beside the default run, is scored with them.
[[ $rules_only == 0 && -f $out/llm-check.json && -f $out/llm-check.rss ]] && runs+=(llm-check)
: > "$out/latest.md"
for run in "${runs[@]}"; do
    python3 "$here/score.py" "$out/$run.json" "${labels[@]}" "${key[@]}" --title "$run" --md "$out/$run.md" > /dev/null
    cat "$out/$run.md" >> "$out/latest.md"
done
python3 - "$out" "${runs[@]}" <<'PY' >> "$out/latest.md"
import json, statistics, sys, pathlib
out = pathlib.Path(sys.argv[1])
print("\n### Time and memory per lecture (release build, 12 + 8 questions asked)\n")
print("| run | kind | lectures | written / asked | need review | write s (median) | write s (max) |")
print("|---|---|---|---|---|---|---|")
for name in sys.argv[2:]:
    d = json.load(open(out / f"{name}.json"))
    asked = d["request"]["n_mcq"] + d["request"]["n_tfq"]
    kinds = {}
    for x in d["docs"]:
        kinds.setdefault(x["kind"], []).append(x)
    for kind, docs in sorted(kinds.items()) + [("all", [x for x in d["docs"]])]:
        ok = [x for x in docs if "error" not in x]
        gen = [x["generate_ms"] / 1000 for x in ok]
        written = sum(len(x["questions"]) for x in ok)
        review = sum(x.get("needs_review", 0) for x in ok)
        print(f"| {name} | {kind} | {len(docs)} | {written} / {asked * len(docs)} | {review} | {statistics.median(gen) if gen else 0:.1f} | {max(gen) if gen else 0:.1f} |")
for name in sys.argv[2:]:
    rss = int(open(out / f"{name}.rss").read().split()[-1]) / 1024
    print(f"\nPeak RSS of the harness ({name}): {rss:.0f} MiB.", end="")
srv = out / "llm-server.rss"
if srv.exists():
    print(f" Peak RSS of llama-server: {int(srv.read_text().split()[0]) / 1024:.0f} MiB.", end="")
print()
PY
run_files=()
for r in "${runs[@]}"; do run_files+=("$out/$r.json"); done
python3 "$here/cues.py" "${run_files[@]}" --md "$out/cues.md" > /dev/null
cat "$out/cues.md" >> "$out/latest.md"
python3 -m unittest discover -s "$here" -p 'test_*.py' >&2
echo "results: $out/latest.md" >&2
