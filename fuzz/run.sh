#!/usr/bin/env bash
# Seed the corpora and run every fuzz target for a bounded time, one at a
# time. Usage: fuzz/run.sh [seconds per target (60)] [targets...]
# Needs cargo-fuzz; stable rustc with RUSTC_BOOTSTRAP=1 (set here).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(upload_event debezium_record email_payload exam_json pdf_extract lecture_file office_xml)
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
mkdir -p corpus/lecture_file corpus/office_xml
python3 - <<'PY'
# One small file of each non-PDF format (first byte: the format), and the
# XML parts alone for office_xml (first byte: which part).
import io, zipfile
def z(parts):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as f:
        for n, d in parts: f.writestr(n, d)
    return b.getvalue()
slide = b'<p:sld xmlns:p="p" xmlns:a="a"><p:cSld><p:spTree><p:sp><p:nvSpPr><p:nvPr><p:ph type="title"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>Cells</a:t></a:r></a:p></p:txBody></p:sp><p:sp><p:nvSpPr><p:nvPr><p:ph idx="1"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:pPr lvl="1"><a:buAutoNum type="arabicPeriod"/></a:pPr><a:r><a:t>The nucleus holds DNA.</a:t></a:r><a:br/></a:p></p:txBody></p:sp><p:graphicFrame><a:tbl><a:tr><a:tc><a:txBody><a:p><a:r><a:t>A</a:t></a:r></a:p></a:txBody></a:tc></a:tr></a:tbl></p:graphicFrame></p:spTree></p:cSld></p:sld>'
pres = b'<p:presentation xmlns:p="p" xmlns:r="r"><p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst></p:presentation>'
rels = b'<Relationships><Relationship Id="rId2" Type="x/slide" Target="slides/slide1.xml"/></Relationships>'
doc = b'<w:document xmlns:w="w"><w:body><w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Water</w:t></w:r></w:p><w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:lastRenderedPageBreak/><w:t xml:space="preserve">Rain falls.</w:t><w:br w:type="page"/></w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>x</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:body></w:document>'
odt = b'<office:document-content xmlns:office="o" xmlns:text="t" xmlns:table="b"><office:body><office:text><text:h text:outline-level="1">Water</text:h><text:list text:style-name="L1"><text:list-item><text:p>Rain<text:s text:c="2"/>falls.</text:p></text:list-item></text:list><text:soft-page-break/><table:table><table:table-row><table:table-cell><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:text></office:body></office:document-content>'
odp = b'<office:document-content xmlns:office="o" xmlns:text="t" xmlns:draw="d" xmlns:presentation="p"><office:body><office:presentation><draw:page><draw:frame presentation:class="title"><draw:text-box><text:p>Cells</text:p></draw:text-box></draw:frame><presentation:notes><draw:frame presentation:class="notes"><draw:text-box><text:p>The cell is the unit of life.</text:p></draw:text-box></draw:frame></presentation:notes></draw:page></office:presentation></office:body></office:document-content>'
files = [
    (0, z([("ppt/presentation.xml", pres), ("ppt/_rels/presentation.xml.rels", rels), ("ppt/slides/slide1.xml", slide)])),
    (1, z([("word/document.xml", doc)])),
    (2, z([("mimetype", b"application/vnd.oasis.opendocument.presentation"), ("content.xml", odp)])),
    (3, z([("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", odt)])),
    (4, b"---\ntitle: x\n---\n# Water\n\n- Rain falls.\n  1. nested\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>x()</script>\n```\ncode\n```\n"),
    (5, b"<!DOCTYPE html><html><head><title>t</title><script>x()</script></head><body><nav>n</nav><h1>Water &amp; ice</h1><ol start=3><li>Rain<ul><li>drops</li></ul></ol><table><tr><td>a<td>b</table><p hidden>h</p><br>&#8211;</body></html>"),
]
for pick, data in files:
    open("corpus/lecture_file/seed%d" % pick, "wb").write(bytes([pick]) + data)
for pick, data in [(0, slide), (1, doc), (3, odt), (4, odp)]:
    open("corpus/office_xml/seed%d" % pick, "wb").write(bytes([pick]) + data)
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
