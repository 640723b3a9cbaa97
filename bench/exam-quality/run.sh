#!/usr/bin/env bash
# The exam-quality benchmark (bench/exam-quality/README.md): installs the
# corpus and the embedding model into the per-user cache, generates the exam
# of every lecture (12 multiple-choice + 8 true/false, 4 options) without and
# with the model, times each lecture and the whole run's peak memory, and
# scores both runs and the pre-#15 generator's exams against the hand labels.
#
#   bash bench/exam-quality/run.sh          # writes bench/exam-quality/results/
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${EXAMFN_CACHE:-$HOME/.cache/examfn}
out=$here/results
mkdir -p "$out"

bash "$here/corpus.sh" >&2
cp "$here/corpus.tsv" "$cache/corpus-v1/corpus.tsv"
model=$(bash "$root/functions/embed/install-model.sh")
(cd "$root" && cargo build --release --locked -p examfn-questions --example quality >&2)
bin=${CARGO_TARGET_DIR:-$root/target}/release/examples/quality

run() { # NAME [ENV...]: one generation run, its peak RSS in NAME.rss
  local name=$1; shift
  env "$@" /usr/bin/time -f '%M' -o "$out/$name.rss" "$bin" gen "$cache/corpus-v1" "$out/$name.json" 2> "$out/$name.log"
}
run lexical
run model EXAMFN_EMBED_MODEL_DIR="$model"

labels=("$here"/labels/*.jsonl)
python3 "$here/score.py" "$here/labels/before-generated.json" "${labels[@]}" --title "before #15 (the generator at 56cef0c)" --md "$out/before.md"
python3 "$here/score.py" "$out/model.json" "${labels[@]}" --title "after #15, with all-MiniLM-L6-v2" --md "$out/model.md"
python3 "$here/score.py" "$out/lexical.json" "${labels[@]}" --title "after #15, without the model (lexical ranking)" --md "$out/lexical.md"
python3 - "$out" <<'PY'
import json, statistics, sys, pathlib
out = pathlib.Path(sys.argv[1])
rows = []
for name in ("lexical", "model"):
    d = json.load(open(out / f"{name}.json"))
    docs = [x for x in d["docs"] if "error" not in x]
    gen = [x["generate_ms"] for x in docs]
    ext = [x["extract_ms"] for x in docs]
    emb = [x["stats"].get("embedded", 0) for x in docs]
    rss = int(open(out / f"{name}.rss").read().split()[-1]) / 1024
    rows.append(f"| {name} | {statistics.median(ext):.0f} | {statistics.median(gen):.0f} | {max(gen):.0f} | {statistics.median(emb):.0f} | {rss:.0f} |")
text = "### time and memory per lecture (16 lectures, release build)\n\n| ranking | extract ms (median) | generate ms (median) | generate ms (max) | texts embedded (median) | peak RSS of the run (MiB) |\n|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
(out / "timing.md").write_text(text)
print(text)
PY
cat "$out/before.md" "$out/model.md" "$out/lexical.md" "$out/timing.md" > "$out/latest.md"
echo "results: $out/latest.md" >&2
# Surface cues (cues.py, rubric section 2) of both runs and the pre-#15 exams, per kind and per exam.
python3 "$here/cues.py" "$out/model.json" "$out/lexical.json" "$here/labels/before-generated.json" --per-doc --md "$out/cues.md" > /dev/null
cat "$out/cues.md" >> "$out/latest.md"
python3 -m unittest discover -s "$here" -p 'test_*.py' >&2
