#!/usr/bin/env bash
# Seed the corpora and run every fuzz target for a bounded time, one at a
# time. Usage: fuzz/run.sh [seconds per target (60)] [targets...]
# Needs cargo-fuzz; stable rustc with RUSTC_BOOTSTRAP=1 (set here).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(upload_event debezium_record email_payload exam_json pdf_extract)
export RUSTC_BOOTSTRAP=1

seed() { mkdir -p "corpus/$1"; printf '%s' "$3" > "corpus/$1/$2"; }
seed upload_event minio '{"EventName":"s3:ObjectCreated:Put","Key":"exams/exams/Week+1.pdf","Records":[{"eventVersion":"2.0","eventSource":"minio:s3","eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"exams"},"object":{"key":"exams/Week+1%C3%A9.pdf","size":42,"eTag":"abc","userMetadata":{"X-Amz-Meta-N_mcq":"3","X-Amz-Meta-N_tfq":"2"},"sequencer":"1"}}}]}'
seed upload_event aws '{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"exams"},"object":{"key":"exams/a+b.pdf","size":7,"eTag":"\"e\""}}}]}'
seed upload_event sns '{"Type":"Notification","Message":"{\"Records\":[{\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"exams\"},\"object\":{\"key\":\"exams/x.pdf\"}}}]}"}'
seed debezium_record schemas '5{"id":"{\"$oid\": \"66a279b8f98a9d0379570575\"}"}{"schema":{"type":"struct"},"payload":{"before":null,"after":"{\"_id\": {\"$oid\": \"66a279b8f98a9d0379570575\"},\"email\": \"a@b.c\",\"score\": {\"$numberLong\": \"3\"},\"at\": {\"$date\": {\"$numberLong\": \"1721924024000\"}},\"r\": {\"$numberDecimal\": \"1.5\"}}","updateDescription":null,"source":{"connector":"mongodb","db":"exams","collection":"score","snapshot":"false","ts_ms":1},"op":"c","ts_ms":2}}'
seed debezium_record update '0{"op":"u","after":null,"updateDescription":{"updatedFields":"{\"score\": {\"$numberInt\": \"4\"}}","removedFields":[]},"source":{"snapshot":"true"}}'
seed email_payload json '{"message_id":"exam-ready:w1:abc","subject":"Exam ready: w1","text":"Hello, Exam Generated","html":"<p>x</p>","recipients":{"subscribers":true,"extra":["Ada@Example.org"]}}'
seed email_payload text 'Exam-Generator - Score Card

Student: ada@x.org
Score: 3
Result: PASSED
'
seed email_payload kratos '{"identity":{"id":"1","traits":{"email":"a@b.cd","role":"educator"},"metadata_public":{"role":"educator"}}}'
seed exam_json exam '[{"question":"Is water wet?","options":["True","False"],"correct_answer":"True"},{"question":"2+2?","options":["3","4","5","6"],"correct_answer":"4"}]'
mkdir -p corpus/pdf_extract
python3 - <<'PY'
# A two-page text PDF with a FlateDecode page and a plain one.
import zlib
def build(objs):
    out = bytearray(b"%PDF-1.4\n"); offs = []
    for i, o in enumerate(objs):
        offs.append(len(out)); out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs: out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    return bytes(out)
c1 = b"BT /F1 12 Tf 14 TL 72 700 Td (The mitochondrion releases energy.) Tj T* (Photosynthesis makes sugar.) Tj ET"
c2 = zlib.compress(b"BT /F1 11 Tf 72 650 Td [(Ker) 20 (ning) -300 (TJ)] TJ ET")
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R 6 0 R] /Count 2 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(c1) + c1 + b"\nendstream",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 7 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(c2) + c2 + b"\nendstream"]
open("corpus/pdf_extract/text.pdf", "wb").write(build(objs))
PY

mkdir -p logs
for t in "${targets[@]}"; do
  echo "== $t (${secs}s)"
  # -rss_limit_mb / -timeout: what exam-gen's child limits stand for.
  cargo fuzz run -s none "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 \
      -print_final_stats=1 >"logs/$t.log" 2>&1 && rc=0 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || echo '?')
  echo "   exit $rc, executions $execs, corpus $(ls "corpus/$t" | wc -l) files, artifacts $(ls "artifacts/$t" 2>/dev/null | wc -l)"
done
