#!/usr/bin/env bash
# exam-gen benchmark (not a test): time and peak RSS of text extraction +
# question generation for a 2-page and a 120-page text PDF, side by side with
# pdfminer.six's text extraction of the same files; then extraction of every
# other lecture format (20 slides or pages each) and OCR of a scanned PDF
# (cost per page). Median of RUNS runs.
#
#   bash bench/exam-gen/run.sh            # RUNS=7 by default
#
# Needs: cargo, python3 (pdfminer.six is installed into a venv under
# ~/.cache/examfn/pdfminer-venv, never into the repo), GNU time (/usr/bin/time).
# The fixture PDFs are generated (examgen_bench make-fixtures) into a temp dir.
set -euo pipefail
RUNS="${RUNS:-7}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${HOME}/.cache/examfn/pdfminer-venv"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import pdfminer' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pdfminer.six
fi
[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install time" >&2; exit 1; }

(cd "$ROOT" && cargo build -q --release -p examfn-exam-gen --example examgen_bench)
BIN="$ROOT/target/release/examples/examgen_bench"
"$BIN" make-fixtures "$WORK"

# measure CMD... : prints "<wall seconds> <max RSS KiB>" (wall in ns resolution)
measure() {
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$WORK/time" "$@" > "$WORK/out" 2>/dev/null
  t1=$(date +%s%N)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print (b-a)/1e9}') $(cat "$WORK/time")"
}
# pdfminer.six's extraction timed inside Python (without interpreter start-up).
PYEXTRACT='import sys, time
from pdfminer.high_level import extract_text
t = time.perf_counter(); s = extract_text(sys.argv[1]); e = time.perf_counter() - t
print(f"chars={len(s)} extract_ms={e*1000:.1f}")'

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '| file | pages | tool | median wall (ms) | median peak RSS (MiB) | in-process ms (extract [/ generate]) |\n'
printf '|---|---|---|---|---|---|\n'
for f in lecture-2p.pdf lecture-120p.pdf; do
  pages=$("$BIN" run "$WORK/$f" | sed -E 's/.*pages=([0-9]+).*/\1/')
  for tool in examfn-run examfn-extract pdfminer; do
    : > "$WORK/walls"; : > "$WORK/rss"; : > "$WORK/inproc"
    for _ in $(seq "$RUNS"); do
      case $tool in
        examfn-run) r=$(measure "$BIN" run "$WORK/$f" 20 10 4) ;;
        examfn-extract) r=$(measure "$BIN" extract "$WORK/$f") ;;
        pdfminer) r=$(measure "$VENV/bin/python" -c "$PYEXTRACT" "$WORK/$f") ;;
      esac
      echo "$r" | awk '{print $1*1000}' >> "$WORK/walls"
      echo "$r" | awk '{print $2/1024}' >> "$WORK/rss"
      case $tool in
        examfn-run) sed -E 's/.*extract_ms=([0-9.]+) generate_ms=([0-9.]+).*/\1 \2/' "$WORK/out" >> "$WORK/inproc" ;;
        *) sed -E 's/.*extract_ms=([0-9.]+).*/\1 -/' "$WORK/out" >> "$WORK/inproc" ;;
      esac
    done
    wall=$(median < "$WORK/walls"); rss=$(median < "$WORK/rss")
    inproc="$(awk '{print $1}' "$WORK/inproc" | median)"
    if [ "$tool" = examfn-run ]; then
      inproc="$inproc / $(awk '{print $2}' "$WORK/inproc" | median)"
    fi
    printf '| %s | %s | %s | %.0f | %.1f | %s |\n' "$f" "$pages" "$tool" "$wall" "$rss" "$inproc"
  done
done

# Every format: the same 20 parts as slides (decks) or pages (documents),
# extraction only (what exam-gen's child does), median of RUNS.
"$BIN" make-formats "$WORK" 20
printf '\n| file | format | pages or slides | median wall (ms) | median peak RSS (MiB) | in-process extract (ms) |\n'
printf '|---|---|---|---|---|---|\n'
for f in lecture-20.pptx lecture-20.odp lecture-20.docx lecture-20.odt lecture-20.md lecture-20.html lecture-120p.pdf; do
  : > "$WORK/walls"; : > "$WORK/rss"; : > "$WORK/inproc"
  for _ in $(seq "$RUNS"); do
    r=$(measure "$BIN" extract "$WORK/$f")
    echo "$r" | awk '{print $1*1000}' >> "$WORK/walls"
    echo "$r" | awk '{print $2/1024}' >> "$WORK/rss"
    sed -E 's/.*extract_ms=([0-9.]+).*/\1/' "$WORK/out" >> "$WORK/inproc"
  done
  pages=$(sed -E 's/.*pages=([0-9]+).*/\1/' "$WORK/out")
  printf '| %s | %s | %s | %.0f | %.1f | %s |\n' "$f" "${f##*.}" "$pages" "$(median < "$WORK/walls")" "$(median < "$WORK/rss")" "$(median < "$WORK/inproc")"
done

# OCR: a 4-page lecture rasterised at 300 dpi (pdftoppm, grey) and written
# back as a PDF of images (a scan without a text layer), read as exam-gen's
# child reads it: pdftoppm per page, then tesseract with one thread. OCR_RUNS
# runs (3 by default: each takes seconds). Needs poppler-utils and
# tesseract-ocr (installed here from Debian when missing and root).
OCR_RUNS="${OCR_RUNS:-3}"
if ! command -v tesseract >/dev/null || ! command -v pdftoppm >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq tesseract-ocr tesseract-ocr-eng poppler-utils >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq tesseract-ocr tesseract-ocr-eng poppler-utils >/dev/null 2>&1; } || true
  fi
fi
if command -v tesseract >/dev/null && command -v pdftoppm >/dev/null; then
  "$BIN" make-fixtures "$WORK" 4
  "$BIN" scan "$WORK/lecture-4p.pdf" "$WORK/scan-4p.pdf" 300
  printf '\n| file | scanned pages | cores | median wall (ms) | median peak RSS (MiB) | OCR per page (ms) | words read |\n'
  printf '|---|---|---|---|---|---|---|\n'
  : > "$WORK/walls"; : > "$WORK/rss"; : > "$WORK/inproc"
  for _ in $(seq "$OCR_RUNS"); do
    r=$(measure "$BIN" ocr "$WORK/scan-4p.pdf")
    echo "$r" | awk '{print $1*1000}' >> "$WORK/walls"
    echo "$r" | awk '{print $2/1024}' >> "$WORK/rss"
    sed -E 's/.*per_page_ms=([0-9.]+).*/\1/' "$WORK/out" >> "$WORK/inproc"
  done
  words=$(sed -E 's/.*words=([0-9]+).*/\1/' "$WORK/out")
  printf '| scan-4p.pdf (%s KB, 300 dpi) | 4 | %s | %.0f | %.1f | %.0f | %s |\n' "$(( $(stat -c %s "$WORK/scan-4p.pdf") / 1024 ))" "$(nproc)" \
    "$(median < "$WORK/walls")" "$(median < "$WORK/rss")" "$(median < "$WORK/inproc")" "$words"
else
  echo "OCR unavailable: tesseract-ocr and poppler-utils are not installed (apt-get install -y tesseract-ocr tesseract-ocr-eng poppler-utils)" >&2
fi
