//! Lectures as teachers have them, through the whole function on the real
//! servers (S3 behind the local notification bridge, MongoDB, Kafka): a
//! PowerPoint and an Impress deck, a Word and a Writer document, a Markdown
//! and an HTML page and a scanned handout are uploaded under `exams/` with
//! the SDK; the bridge publishes MinIO's record for each (as MinIO does in
//! the cluster), exam-gen reads it from `exam-generator-topic` and writes an
//! exam whose questions come from the lecture, with slide or page numbers in
//! the sidecar. Hostile files of the new formats end `failed` with the
//! reason and a notice, and a good lecture afterwards still becomes an exam.

mod lectures;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use examfn_domain::exam::Exam;
use examfn_domain::names;
use examfn_domain::upload::{self, LectureFormat};
use examfn_exam_gen::{Config, ExamGen, PdfExtractor};
use examfn_runtime::config::Env;
use examfn_runtime::event::{from_kafka, json_event, KafkaRecord};
use examfn_runtime::testing;
use examfn_runtime::{CommonConfig, Handler, Outcome};
use mongodb::bson::{doc, Document};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use serde_json::{json, Value};

struct Fixture {
    gen: ExamGen,
    s3: aws_sdk_s3::Client,
    bucket: String,
    db: mongodb::Database,
}

async fn fixture(limits: &[(&str, &str)]) -> Fixture {
    let bucket = testing::unique("lectures");
    let db = testing::unique("examgen").replace('-', "_");
    let topic = testing::unique("email-topic");
    testing::create_topics(&testing::kafka_brokers(), &[&topic], 1).await;
    let (endpoint, access, secret) = testing::s3();
    let mut pairs: Vec<(String, String)> = vec![
        ("KAFKA_BROKERS".into(), testing::kafka_brokers()),
        ("MONGODB_URI".into(), testing::mongodb_uri()),
        ("MONGODB_DB".into(), db),
        ("AWS_ENDPOINT_URL_S3".into(), endpoint),
        ("AWS_ACCESS_KEY_ID".into(), access),
        ("AWS_SECRET_ACCESS_KEY".into(), secret),
        ("BUCKET_NAME".into(), bucket.clone()),
        ("EMAIL_TOPIC".into(), topic),
    ];
    pairs.extend(limits.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let env = Env::from_pairs(pairs);
    let common = CommonConfig::from_env(&env, None, "exam-gen").unwrap();
    let config = Config::from_env(&env, &common).unwrap();
    let mut gen = ExamGen::from_config(&config).await.unwrap();
    // The extraction child is the exam-gen binary cargo built.
    gen.pdf = PdfExtractor::with_program(config.pdf, env!("CARGO_BIN_EXE_exam-gen"), Vec::new());
    let s3 = gen.bucket.client.clone();
    s3.create_bucket().bucket(&bucket).send().await.expect("create bucket");
    Fixture { db: gen.statuses.db.clone(), gen, s3, bucket }
}

/// Upload as a teacher's client would: the file's own content type, the
/// exam's parameters as metadata.
async fn upload(f: &Fixture, key: &str, body: Vec<u8>, meta: &[(&str, &str)]) {
    let ct = LectureFormat::of_key(key).map_or("application/octet-stream", LectureFormat::content_type);
    let mut put = f.s3.put_object().bucket(&f.bucket).key(key).content_type(ct).body(ByteStream::from(body));
    for (k, v) in meta {
        put = put.metadata(*k, *v);
    }
    put.send().await.expect("upload");
}

/// The records the bridge published for `keys` of `bucket`, as a KafkaSource delivers them.
async fn published(bucket: &str, keys: &BTreeSet<String>) -> BTreeMap<String, examfn_runtime::cloudevents::Event> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", testing::kafka_brokers())
        .set("group.id", testing::unique("formats-test"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[names::EXAM_GENERATOR_TOPIC]).unwrap();
    let mut out = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while out.len() < keys.len() && Instant::now() < deadline {
        let Ok(Ok(m)) = tokio::time::timeout(Duration::from_secs(2), consumer.recv()).await else { continue };
        let record_key = m.key().map(|k| String::from_utf8_lossy(k).into_owned()).unwrap_or_default();
        let Some(key) = record_key.strip_prefix(&format!("{bucket}/")) else { continue };
        if !keys.contains(key) {
            continue;
        }
        let rec = KafkaRecord {
            topic: m.topic().into(),
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(<[u8]>::to_vec),
            value: m.payload().map(<[u8]>::to_vec),
            headers: vec![],
            timestamp_ms: None,
        };
        out.insert(key.to_string(), from_kafka(&rec, "exam", "exam-gen").unwrap());
    }
    let missing: Vec<&String> = keys.iter().filter(|k| !out.contains_key(*k)).collect();
    assert!(missing.is_empty(), "the bridge published nothing for {missing:?}");
    out
}

async fn read(f: &Fixture, key: &str) -> Option<Vec<u8>> {
    let o = f.s3.get_object().bucket(&f.bucket).key(key).send().await.ok()?;
    Some(o.body.collect().await.unwrap().into_bytes().to_vec())
}

async fn status(f: &Fixture, name: &str) -> Document {
    f.db.collection::<Document>("exams").find_one(doc! {"_id": name}).await.unwrap().expect("status document")
}

/// The exam is there, every question has a page within the lecture and a
/// source sentence from it; the sidecar says how the lecture was read.
async fn check_exam(f: &Fixture, name: &str, format: LectureFormat, pages: usize) -> Value {
    let st = status(f, name).await;
    assert_eq!(st.get_str("state").unwrap(), "ready", "{name}: {st}");
    assert_eq!(st.get_str("format").unwrap(), format.extension());
    let exam: Exam = serde_json::from_slice(&read(f, &format!("questions_bank/{name}.json")).await.expect("exam file")).unwrap();
    assert!(!exam.is_empty(), "{name}");
    let meta: Value = serde_json::from_slice(&read(f, &format!("questions_bank/{name}.meta.json")).await.unwrap()).unwrap();
    let x = &meta["extraction"];
    assert_eq!(x["format"], json!(format), "{name}: {x}");
    assert_eq!(x["page_unit"], format.unit());
    assert_eq!(x["pages"], pages, "{name}: {x}");
    for q in meta["questions"].as_array().unwrap() {
        let page = q["page"].as_u64().unwrap() as usize;
        assert!((1..=pages).contains(&page), "{name}: page {page} of {pages}");
        assert!(q["source"].as_str().is_some_and(|s| s.split_whitespace().count() >= 3), "{name}: {q}");
    }
    let all = serde_json::to_string(&meta).unwrap();
    for never in ["Secret backup", "never read", "document.cookie", "Courses"] {
        assert!(!all.contains(never), "{name}: {never:?} in the sidecar");
    }
    println!(
        "{name:<22} {} {}(s), {} questions from {}(s) {:?}",
        pages,
        format.unit(),
        exam.len(),
        format.unit(),
        meta["questions"].as_array().unwrap().iter().map(|q| q["page"].as_u64().unwrap()).collect::<BTreeSet<_>>()
    );
    meta
}

#[tokio::test]
async fn decks_documents_pages_and_a_scan_uploaded_through_s3_become_exams() {
    let f = fixture(&[]).await;
    let meta = [("n_mcq", "3"), ("n_tfq", "2")];
    let mut keys = BTreeSet::new();
    for (ext, bytes) in lectures::office_lectures() {
        let key = format!("exams/Week 3 {ext}.{ext}");
        upload(&f, &key, bytes, &meta).await;
        keys.insert(key);
    }
    let scan = lectures::ocr_tools().map(|pdftoppm| lectures::scanned_handout(&pdftoppm));
    if let Ok(scan) = &scan {
        upload(&f, "exams/Scanned handout.pdf", scan.clone(), &[("n_mcq", "3"), ("n_tfq", "2"), ("lang", "eng")]).await;
        keys.insert("exams/Scanned handout.pdf".into());
    }
    for (key, event) in published(&f.bucket, &keys).await {
        let t = Instant::now();
        let out = f.gen.handle(event).await.unwrap();
        assert!(matches!(out, Outcome::Done(_)), "{key}: {out:?}");
        println!("{key}: {:?}", t.elapsed());
    }
    for (ext, _) in lectures::office_lectures() {
        let format = LectureFormat::from_extension(ext).unwrap();
        let pages = match format {
            LectureFormat::Pptx | LectureFormat::Odp => 6,
            LectureFormat::Docx | LectureFormat::Odt => 2,
            _ => 1,
        };
        let meta = check_exam(&f, &format!("Week 3 {ext}"), format, pages).await;
        if format.is_deck() {
            let pages: BTreeSet<u64> = meta["questions"].as_array().unwrap().iter().map(|q| q["page"].as_u64().unwrap()).collect();
            assert!(!pages.contains(&5), "no question from the hidden slide 5: {pages:?}");
            assert_eq!(meta["extraction"]["notes"][0], "hidden slide(s) 5 left out");
        }
    }
    match scan {
        Ok(_) => {
            let meta = check_exam(&f, "Scanned handout", LectureFormat::Pdf, 2).await;
            assert_eq!(meta["extraction"]["ocr_pages"], json!([1, 2]));
            assert_eq!(meta["extraction"]["ocr_lang"], "eng");
            let sources = meta["questions"].as_array().unwrap().iter().map(|q| q["source"].as_str().unwrap()).collect::<Vec<_>>().join(" ");
            assert!(["lithosphere", "plate", "mantle", "earthquake", "fault", "Magma", "Wegener", "Richter"].iter().any(|w| sources.contains(w)), "{sources}");
        }
        Err(why) => eprintln!("the scanned handout was not tried: OCR unavailable ({why})"),
    }
}

#[tokio::test]
async fn the_aws_event_shape_and_a_bad_ocr_language() {
    let f = fixture(&[]).await;
    let deck = examfn_questions::extract::samples::pptx(&examfn_questions::extract::samples::cell_biology_slides());
    upload(&f, "exams/aws deck.PPTX", deck, &[("n_mcq", "2"), ("n_tfq", "1")]).await;
    let v = json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": f.bucket}, "object": {"key": upload::encode_key("exams/aws deck.PPTX"), "size": 1, "eTag": "x"}}}]});
    let out = f.gen.handle(json_event("aws-1", "com.amazonaws.s3.event", "/aws/s3", None, v)).await.unwrap();
    assert!(matches!(out, Outcome::Done(_)), "{out:?}");
    check_exam(&f, "aws deck", LectureFormat::Pptx, 6).await;

    upload(&f, "exams/bad lang.pdf", lectures::handout_pdf(), &[("lang", "--psm 0")]).await;
    let v = json!({"Records": [{"eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": f.bucket}, "object": {"key": upload::encode_key("exams/bad lang.pdf")}}}]});
    f.gen.handle(json_event("aws-2", "com.amazonaws.s3.event", "/aws/s3", None, v)).await.unwrap();
    let st = status(&f, "bad lang").await;
    assert_eq!(st.get_str("state").unwrap(), "failed");
    assert!(st.get_str("reason").unwrap().contains("lang"), "{st}");
}

#[tokio::test]
async fn hostile_lectures_end_failed_with_a_reason_and_the_function_keeps_serving() {
    let f = fixture(&[("PDF_EXTRACT_TIMEOUT_MS", "8000"), ("PDF_EXTRACT_MAX_MEMORY_MB", "256")]).await;
    let mut bomb = br#"<?xml version="1.0"?><p:presentation xmlns:p="p">"#.to_vec();
    bomb.resize(300 << 20, b' ');
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("bomb.pptx", examfn_questions::extract::samples::zip_parts(&[("ppt/presentation.xml".into(), bomb)]), "zip bomb"),
        ("locked.docx", {
            let mut v = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
            v.resize(2048, 0);
            v.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
            v
        }, "password"),
        ("broken.odt", b"PK\x03\x04 truncated".to_vec(), "cannot be read"),
        ("scripts.html", b"<html><script>alert(document.cookie)</script><style>p{}</style></html>".to_vec(), "no text"),
        ("raw.md", b"<script>\nsteal()\n</script>\n".to_vec(), "no text"),
    ];
    for (i, (file, bytes, says)) in cases.into_iter().enumerate() {
        let key = format!("exams/{file}");
        upload(&f, &key, bytes, &[("n_mcq", "1"), ("n_tfq", "1")]).await;
        let v = json!({"Records": [{"eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": f.bucket}, "object": {"key": upload::encode_key(&key)}}}]});
        let t = Instant::now();
        let out = f.gen.handle(json_event(&format!("h-{i}"), "com.amazonaws.s3.event", "/aws/s3", None, v)).await.unwrap();
        assert!(matches!(out, Outcome::Done(_)), "{file}: {out:?}");
        let name = file.rsplit_once('.').unwrap().0;
        let st = status(&f, name).await;
        let reason = st.get_str("reason").unwrap_or_default().to_string();
        println!("{:>6} ms  {file:<12} {}: {reason}", t.elapsed().as_millis(), st.get_str("state").unwrap());
        assert_eq!(st.get_str("state").unwrap(), "failed", "{file}: {st}");
        assert!(reason.contains(says), "{file}: {reason}");
        assert!(st.get_bool("notified").unwrap(), "{file}: the notice went out");
        assert!(read(&f, &format!("questions_bank/{name}.json")).await.is_none());
    }
    // Still serving: a good deck afterwards.
    upload(&f, "exams/after.odp", examfn_questions::extract::samples::odp(&examfn_questions::extract::samples::cell_biology_slides()), &[]).await;
    let v = json!({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": f.bucket}, "object": {"key": "exams/after.odp"}}}]});
    f.gen.handle(json_event("h-after", "com.amazonaws.s3.event", "/aws/s3", None, v)).await.unwrap();
    check_exam(&f, "after", LectureFormat::Odp, 6).await;
}
