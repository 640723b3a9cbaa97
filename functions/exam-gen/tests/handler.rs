//! exam-gen against the real servers (S3, MongoDB, Kafka): upload a lecture
//! with the SDK, deliver the bucket event in each shape, look at the exam
//! file, the status document and the notices on the email topic.

mod hostile;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use examfn_domain::exam::Exam;
use examfn_questions::extract::pdf::write_text_pdf;
use examfn_domain::upload;
use examfn_exam_gen::store::{bool_of, int_of};
use examfn_exam_gen::{Config, ExamGen, PdfExtractor, PdfLimits};
use examfn_runtime::config::Env;
use examfn_runtime::event::{data_json, from_kafka, json_event, KafkaRecord};
use examfn_runtime::testing;
use examfn_runtime::{CommonConfig, FnError, Handler, Outcome};
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
    topic: String,
    config: Config,
}

fn env_for(bucket: &str, db: &str, topic: &str, extra: &[(&str, String)]) -> Env {
    let (endpoint, access, secret) = testing::s3();
    let mut pairs: Vec<(String, String)> = vec![
        ("KAFKA_BROKERS".into(), testing::kafka_brokers()),
        ("MONGODB_URI".into(), testing::mongodb_uri()),
        ("MONGODB_DB".into(), db.into()),
        ("AWS_ENDPOINT_URL_S3".into(), endpoint),
        ("AWS_ACCESS_KEY_ID".into(), access),
        ("AWS_SECRET_ACCESS_KEY".into(), secret),
        ("BUCKET_NAME".into(), bucket.into()),
        ("EMAIL_TOPIC".into(), topic.into()),
    ];
    for (k, v) in extra {
        pairs.retain(|(x, _)| x != k);
        pairs.push((k.to_string(), v.clone()));
    }
    Env::from_pairs(pairs)
}

async fn fixture() -> Fixture {
    let bucket = testing::unique("exams");
    let db = testing::unique("examgen").replace('-', "_");
    let topic = testing::unique("email-topic");
    testing::create_topics(&testing::kafka_brokers(), &[&topic], 1).await;
    let env = env_for(&bucket, &db, &topic, &[]);
    let common = CommonConfig::from_env(&env, None, "exam-gen").unwrap();
    let config = Config::from_env(&env, &common).unwrap();
    let gen = in_tests(ExamGen::from_config(&config).await.unwrap(), &config);
    let s3 = gen.bucket.client.clone();
    s3.create_bucket().bucket(&bucket).send().await.expect("create bucket");
    Fixture { db: gen.statuses.db.clone(), gen, s3, bucket, topic, config }
}

/// The extraction child is the `exam-gen` binary cargo built (this process
/// is the test harness, which cannot be re-executed as the child).
fn in_tests(mut gen: ExamGen, config: &Config) -> ExamGen {
    gen.pdf = PdfExtractor::with_program(config.pdf, env!("CARGO_BIN_EXE_exam-gen"), Vec::new());
    gen
}

/// A five-page lecture (geography), written for these tests.
fn lecture() -> Vec<u8> {
    let pages: Vec<Vec<&str>> = vec![
        vec![
            "Geography 210 - Rivers and Climate",
            "Rivers",
            "A river is a natural stream of water that flows towards an ocean or a lake.",
            "The Nile is the longest river in Africa and flows through eleven countries.",
            "The Amazon carries about 20% of the fresh water that reaches the oceans.",
            "The drainage basin is the area of land that drains into a single river.",
            "1",
        ],
        vec![
            "Geography 210 - Rivers and Climate",
            "Erosion",
            "Erosion is the process that wears away rock and soil and moves it elsewhere.",
            "A meander is a bend in a river that forms where water erodes the outer bank.",
            "Deposition happens where a river slows down and drops the sediment it carries.",
            "The Mississippi Delta grew by about 3 kilometres every century before 1900.",
            "2",
        ],
        vec![
            "Geography 210 - Rivers and Climate",
            "Climate",
            "Climate is the average weather of a region measured over 30 years.",
            "The Gulf Stream is an ocean current that warms the climate of western Europe.",
            "About 71% of the surface of the Earth is covered by water.",
            "The Intergovernmental Panel on Climate Change was founded in 1988.",
            "3",
        ],
        vec![
            "Geography 210 - Rivers and Climate",
            "The Water Cycle",
            "Evaporation is the change of liquid water into water vapour.",
            "Condensation is the process that turns water vapour into clouds.",
            "Precipitation returns about 505,000 cubic kilometres of water to the surface each year.",
            "The Aral Sea lost about 90% of its volume after 1960.",
            "4",
        ],
        vec![
            "Geography 210 - Rivers and Climate",
            "Floods",
            "A floodplain is the flat land beside a river that floods when the river overflows.",
            "The Yellow River flood of 1931 was one of the deadliest disasters in history.",
            "A levee is a raised bank that keeps a river within its channel.",
            "The Thames Barrier has protected London from floods since 1982.",
            "5",
        ],
    ];
    let pages: Vec<Vec<String>> = pages.into_iter().map(|p| p.into_iter().map(String::from).collect()).collect();
    write_text_pdf(&pages)
}

async fn upload(f: &Fixture, key: &str, body: Vec<u8>, meta: &[(&str, &str)]) -> String {
    let mut put = f.s3.put_object().bucket(&f.bucket).key(key).content_type("application/pdf").body(ByteStream::from(body));
    for (k, v) in meta {
        put = put.metadata(*k, *v);
    }
    let out = put.send().await.expect("upload");
    out.e_tag().unwrap_or_default().trim_matches('"').to_string()
}


fn minio_value(bucket: &str, key: &str, event: &str, meta: &[(&str, &str)]) -> Value {
    let user: HashMap<String, String> =
        meta.iter().map(|(k, v)| (format!("X-Amz-Meta-{}", capitalise(k)), v.to_string())).collect();
    json!({
        "EventName": event,
        "Key": format!("{bucket}/{key}"),
        "Records": [{
            "eventVersion": "2.0", "eventSource": "minio:s3", "awsRegion": "", "eventTime": "2026-01-01T00:00:00.000Z",
            "eventName": event, "userIdentity": {"principalId": "minio"},
            "requestParameters": {"principalId": "minio", "region": "", "sourceIPAddress": "127.0.0.1"},
            "responseElements": {"x-amz-request-id": "1", "x-minio-origin-endpoint": "http://127.0.0.1:9000"},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "Config",
                   "bucket": {"name": bucket, "ownerIdentity": {"principalId": "minio"}, "arn": format!("arn:aws:s3:::{bucket}")},
                   "object": {"key": upload::encode_key(key), "size": 1, "eTag": "ignored", "contentType": "application/pdf",
                              "userMetadata": user, "sequencer": "1"}},
            "source": {"host": "127.0.0.1", "port": "", "userAgent": "MinIO (linux; amd64)"}
        }]
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// The MinIO Kafka record as a KafkaSource delivers it.
fn minio_kafka_event(bucket: &str, key: &str, event: &str, meta: &[(&str, &str)], offset: i64) -> examfn_runtime::cloudevents::Event {
    let rec = KafkaRecord {
        topic: "exam-generator-topic".into(),
        partition: 0,
        offset,
        key: Some(format!("{bucket}/{key}").into_bytes()),
        value: Some(minio_value(bucket, key, event, meta).to_string().into_bytes()),
        headers: vec![],
        timestamp_ms: Some(1_767_225_600_000),
    };
    from_kafka(&rec, "exam", "exam-gen").unwrap()
}

fn aws_event(bucket: &str, key: &str) -> examfn_runtime::cloudevents::Event {
    let v = json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": upload::encode_key(key), "size": 1, "eTag": "x"}}}]});
    json_event("aws-1", "com.amazonaws.s3.event", "/aws/s3", None, v)
}

async fn read_json(f: &Fixture, key: &str) -> Option<Vec<u8>> {
    match f.s3.get_object().bucket(&f.bucket).key(key).send().await {
        Ok(o) => Some(o.body.collect().await.unwrap().into_bytes().to_vec()),
        Err(_) => None,
    }
}

async fn status(f: &Fixture, name: &str) -> Document {
    f.db.collection::<Document>("exams").find_one(doc! {"_id": name}).await.unwrap().expect("status document")
}

/// Every email request on the topic, read until `quiet` passes without a new one.
async fn notices(topic: &str, quiet: Duration) -> Vec<(String, Value)> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", testing::kafka_brokers())
        .set("group.id", testing::unique("examgen-test"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout(quiet, consumer.recv()).await {
            Ok(Ok(m)) => {
                let headers = m
                    .headers()
                    .map(|h| {
                        use rdkafka::message::Headers;
                        h.iter().map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec))).collect()
                    })
                    .unwrap_or_default();
                let rec = KafkaRecord {
                    topic: topic.into(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                    headers,
                    ..Default::default()
                };
                let ev = from_kafka(&rec, "t", "t").unwrap();
                assert_eq!(examfn_runtime::cloudevents::AttributesReader::ty(&ev), "dev.examfn.email.v1");
                let key = String::from_utf8(rec.key.unwrap()).unwrap();
                out.push((key, data_json::<Value>(&ev).unwrap()));
            }
            Ok(Err(e)) => panic!("consume: {e}"),
            Err(_) if !out.is_empty() || Instant::now() > deadline => break,
            Err(_) => {}
        }
    }
    out
}

#[tokio::test]
async fn minio_kafka_record_makes_an_exam_once() {
    let f = fixture().await;
    let key = "exams/Rivers & Climate 101.pdf";
    let meta = [("n_mcq", "6"), ("n_tfq", "4"), ("n_mcq_options", "3")];
    let etag = upload(&f, key, lecture(), &meta).await;
    let ev = minio_kafka_event(&f.bucket, key, "s3:ObjectCreated:Put", &meta, 7);
    let out = f.gen.handle(ev.clone()).await.unwrap();
    let Outcome::Done(v) = out else { panic!("not done: {out:?}") };
    assert_eq!(v["results"][0]["state"], "ready", "{v}");

    let name = "Rivers & Climate 101";
    let exam: Exam = serde_json::from_slice(&read_json(&f, &format!("questions_bank/{name}.json")).await.expect("exam file")).unwrap();
    let mcq: Vec<_> = exam.iter().filter(|q| !q.is_true_false()).collect();
    let tfq: Vec<_> = exam.iter().filter(|q| q.is_true_false()).collect();
    assert_eq!((mcq.len(), tfq.len()), (6, 4));
    for q in &exam {
        assert_eq!(q.options.iter().filter(|o| **o == q.correct_answer).count(), 1);
    }
    assert!(mcq.iter().all(|q| q.options.len() == 3));
    // The file is exactly the AWS array: three keys per question.
    let raw: Value = serde_json::from_slice(&read_json(&f, &format!("questions_bank/{name}.json")).await.unwrap()).unwrap();
    assert!(raw.as_array().unwrap().iter().all(|q| q.as_object().unwrap().len() == 3));
    // The sidecar carries type, page and source of every question.
    let meta_json: Value = serde_json::from_slice(&read_json(&f, &format!("questions_bank/{name}.meta.json")).await.unwrap()).unwrap();
    assert_eq!(meta_json["generator"], "builtin");
    assert_eq!(meta_json["ranking"], "lexical: no embedding model configured (EMBED_MODEL_DIR unset)");
    assert_eq!(meta_json["questions"].as_array().unwrap().len(), 10);
    let pages: std::collections::BTreeSet<i64> =
        meta_json["questions"].as_array().unwrap().iter().map(|q| q["page"].as_i64().unwrap()).collect();
    assert!(pages.len() >= 4, "spread over the lecture: {pages:?}");
    assert!(meta_json["questions"][0]["source"].as_str().unwrap().len() > 20);
    // Spare questions for replacements: well-formed, none of them in the exam.
    let spares: Exam = serde_json::from_value(meta_json["spares"].clone()).expect("spares in the sidecar");
    assert!(!spares.is_empty() && spares.len() <= examfn_exam_gen::MAX_SPARES, "{} spares", spares.len());
    for q in &spares {
        assert!(!exam.iter().any(|e| e.question == q.question), "a spare is already in the exam: {q:?}");
        assert!(q.options.contains(&q.correct_answer), "{q:?}");
    }

    let st = status(&f, name).await;
    assert_eq!(st.get_str("state").unwrap(), "ready");
    assert_eq!(st.get_str("etag").unwrap(), etag);
    assert_eq!(st.get_str("source_key").unwrap(), key);
    assert_eq!(int_of(st.get_document("requested").unwrap(), "mcq"), Some(6));
    assert_eq!(int_of(st.get_document("requested").unwrap(), "options"), Some(3));
    assert_eq!(int_of(st.get_document("written").unwrap(), "tfq"), Some(4));
    assert!(int_of(st.get_document("timings").unwrap(), "total_ms").is_some());
    assert!(bool_of(&st, "notified"));

    // Redelivery: skipped, the same file, no second notice.
    let again = f.gen.handle(ev).await.unwrap();
    assert!(matches!(again, Outcome::Skipped(ref r) if r.contains("already ready")), "{again:?}");
    let n = notices(&f.topic, Duration::from_secs(3)).await;
    assert_eq!(n.len(), 1, "{n:?}");
    let (k, msg) = &n[0];
    assert_eq!(k, &format!("exam-ready:{name}:{etag}"));
    assert_eq!(msg["message_id"], *k);
    assert_eq!(msg["subject"], format!("Exam ready: {name}"));
    assert!(msg["text"].as_str().unwrap().contains("Hello, Exam Generated"));
    let _ = f.config;
}

#[tokio::test]
async fn webhook_json_over_http_and_a_new_upload_replaces_the_exam() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let f = fixture().await;
    let key = "exams/week 2.pdf";
    let etag1 = upload(&f, key, lecture(), &[("n_mcq", "2"), ("n_tfq", "1")]).await;
    let app = examfn_exam_gen::service(f.gen.clone()).app(1 << 20);
    let body = minio_value(&f.bucket, key, "s3:ObjectCreated:Put", &[("n_mcq", "2"), ("n_tfq", "1")]).to_string();
    let resp = app
        .clone()
        .oneshot(axum::http::Request::post("/").header("content-type", "application/json").body(axum::body::Body::from(body.clone())).unwrap())
        .await
        .unwrap();
    let status_code = resp.status();
    let text = String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(status_code.is_success(), "{status_code} {text}");
    let first = read_json(&f, "questions_bank/week 2.json").await.unwrap();
    assert_eq!(serde_json::from_slice::<Exam>(&first).unwrap().len(), 3);

    // A different lecture under the same name: new etag, new exam.
    let other: Vec<Vec<String>> = vec![
        vec![
            "Part 1: The Republic".to_string(),
            "The Senate is the council that advised the consuls of Rome.".to_string(),
            "A consul is one of the two magistrates who led the Roman Republic each year.".to_string(),
            "A legion is a military unit of about 5,000 soldiers.".to_string(),
        ],
        vec![
            "Part 2: The Empire".to_string(),
            "Augustus became the first Roman emperor in 27 BC.".to_string(),
            "An aqueduct is a channel that carries water to a city.".to_string(),
            "The Pantheon is a temple in Rome that was completed in 126.".to_string(),
        ],
        vec![
            "Part 3: Decline".to_string(),
            "A province is a territory outside Italy that a Roman governor ruled.".to_string(),
            "The Western Roman Empire fell in 476 when Odoacer deposed Romulus Augustulus.".to_string(),
            "A forum is a public square that served as the centre of a Roman town.".to_string(),
        ],
    ];
    let etag2 = upload(&f, key, write_text_pdf(&other), &[("n_mcq", "2"), ("n_tfq", "2")]).await;
    assert_ne!(etag1, etag2);
    let resp = app
        .oneshot(axum::http::Request::post("/").header("content-type", "application/json").body(axum::body::Body::from(body)).unwrap())
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let second: Exam = serde_json::from_slice(&read_json(&f, "questions_bank/week 2.json").await.unwrap()).unwrap();
    assert_eq!(second.len(), 4);
    assert_ne!(serde_json::to_vec(&second).unwrap(), first);
    assert_eq!(status(&f, "week 2").await.get_str("etag").unwrap(), etag2);
    let n = notices(&f.topic, Duration::from_secs(3)).await;
    let ids: Vec<&str> = n.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(ids, vec![format!("exam-ready:week 2:{etag1}"), format!("exam-ready:week 2:{etag2}")]);
}

#[tokio::test]
async fn aws_event_reads_parameters_with_head_object() {
    let f = fixture().await;
    let key = "exams/Ünïcode + plus.PDF";
    upload(&f, key, lecture(), &[("n_mcq", "3"), ("n_tfq", "0"), ("n_mcq_options", "5")]).await;
    let out = f.gen.handle(aws_event(&f.bucket, key)).await.unwrap();
    assert!(matches!(out, Outcome::Done(_)), "{out:?}");
    let exam: Exam = serde_json::from_slice(&read_json(&f, "questions_bank/Ünïcode + plus.json").await.unwrap()).unwrap();
    assert_eq!(exam.len(), 3);
    assert!(exam.iter().all(|q| q.options.len() == 5));
}

#[tokio::test]
async fn bad_metadata_and_bad_pdfs_end_failed_with_a_reason_and_a_notice() {
    let f = fixture().await;
    let meta = [("n_mcq", "lots")];
    let etag = upload(&f, "exams/bad-meta.pdf", lecture(), &meta).await;
    let out = f.gen.handle(minio_kafka_event(&f.bucket, "exams/bad-meta.pdf", "s3:ObjectCreated:Put", &meta, 1)).await.unwrap();
    assert!(matches!(out, Outcome::Done(_)), "{out:?}");
    let st = status(&f, "bad-meta").await;
    assert_eq!(st.get_str("state").unwrap(), "failed");
    assert!(st.get_str("reason").unwrap().contains("n_mcq"), "{st}");
    assert!(read_json(&f, "questions_bank/bad-meta.json").await.is_none());

    let pdf = lecture();
    upload(&f, "exams/truncated.pdf", pdf[..pdf.len() / 2].to_vec(), &[]).await;
    f.gen.handle(minio_kafka_event(&f.bucket, "exams/truncated.pdf", "s3:ObjectCreated:Put", &[], 2)).await.unwrap();
    let st = status(&f, "truncated").await;
    assert_eq!(st.get_str("state").unwrap(), "failed");
    assert!(st.get_str("reason").unwrap().contains("truncated"), "{st}");

    upload(&f, "exams/image-only.pdf", write_text_pdf(&[vec![], vec![]]), &[]).await;
    f.gen.handle(minio_kafka_event(&f.bucket, "exams/image-only.pdf", "s3:ObjectCreated:Put", &[], 3)).await.unwrap();
    assert!(status(&f, "image-only").await.get_str("reason").unwrap().contains("no extractable text"));

    upload(&f, "exams/not-a-pdf.pdf", b"PK\x03\x04 a zip file".to_vec(), &[]).await;
    f.gen.handle(minio_kafka_event(&f.bucket, "exams/not-a-pdf.pdf", "s3:ObjectCreated:Put", &[], 4)).await.unwrap();
    assert!(status(&f, "not-a-pdf").await.get_str("reason").unwrap().contains("not a PDF"));

    // Redelivery of a failed upload: no second notice.
    let again = f.gen.handle(minio_kafka_event(&f.bucket, "exams/bad-meta.pdf", "s3:ObjectCreated:Put", &meta, 1)).await.unwrap();
    assert!(matches!(again, Outcome::Skipped(_)), "{again:?}");
    let n = notices(&f.topic, Duration::from_secs(3)).await;
    let ids: Vec<&str> = n.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert!(ids.contains(&format!("exam-failed:bad-meta:{etag}").as_str()));
    let bad_meta = &n.iter().find(|(k, _)| k.starts_with("exam-failed:bad-meta")).unwrap().1;
    assert_eq!(bad_meta["subject"], "Exam failed: bad-meta");
    assert!(bad_meta["text"].as_str().unwrap().contains("not a whole number"));
}

#[tokio::test]
async fn other_objects_and_events_are_skipped() {
    let f = fixture().await;
    // `.docx` and the other lecture formats are lectures now (tests/formats_pipeline.rs); a `.txt` is not.
    upload(&f, "exams/notes.txt", b"not a lecture".to_vec(), &[]).await;
    for (key, event) in [
        ("exams/notes.txt", "s3:ObjectCreated:Put"),
        ("questions_bank/x.json", "s3:ObjectCreated:Put"),
        ("exams/gone.pdf", "s3:ObjectRemoved:Delete"),
        ("exams/never-uploaded.pdf", "s3:ObjectCreated:Put"),
    ] {
        let out = f.gen.handle(minio_kafka_event(&f.bucket, key, event, &[], 1)).await.unwrap();
        assert!(matches!(out, Outcome::Skipped(_)), "{key} {event}: {out:?}");
    }
    let other_bucket = minio_kafka_event("elsewhere", "exams/a.pdf", "s3:ObjectCreated:Put", &[], 1);
    assert!(matches!(f.gen.handle(other_bucket).await.unwrap(), Outcome::Skipped(_)));
    let garbage = json_event("g", "t", "/s", None, json!({"hello": "world"}));
    assert!(matches!(f.gen.handle(garbage).await, Err(FnError::BadInput(_))));
    assert!(f.db.collection::<Document>("exams").find_one(doc! {}).await.unwrap().is_none());
}

#[tokio::test]
async fn unavailable_s3_or_mongodb_is_retryable() {
    let f = fixture().await;
    let key = "exams/a.pdf";
    upload(&f, key, lecture(), &[]).await;
    // S3 on a closed port.
    let env = env_for(&f.bucket, "x", &f.topic, &[("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9".into())]);
    let common = CommonConfig::from_env(&env, None, "exam-gen").unwrap();
    let config = Config::from_env(&env, &common).unwrap();
    let gen = in_tests(ExamGen::from_config(&config).await.unwrap(), &config);
    let err = gen.handle(minio_kafka_event(&f.bucket, key, "s3:ObjectCreated:Put", &[], 1)).await.unwrap_err();
    assert!(matches!(err, FnError::Unavailable(_)), "{err:?}");
    // MongoDB on a closed port.
    let env = env_for(&f.bucket, "x", &f.topic, &[("MONGODB_URI", "mongodb://127.0.0.1:9/?connectTimeoutMS=300&serverSelectionTimeoutMS=500".into())]);
    let config = Config::from_env(&env, &common).unwrap();
    let gen = in_tests(ExamGen::from_config(&config).await.unwrap(), &config);
    let err = gen.handle(minio_kafka_event(&f.bucket, key, "s3:ObjectCreated:Put", &[], 1)).await.unwrap_err();
    assert!(matches!(err, FnError::Unavailable(_)), "{err:?}");
    assert!(read_json(&f, "questions_bank/a.json").await.is_none());
}

/// The hostile corpus through the whole function: uploaded to S3, delivered
/// as MinIO records, read in the extraction child under small limits. Each
/// upload ends `failed` with a reason and one notice (or `ready` where the
/// reader legitimately finds text), nothing is retried, and the function
/// keeps serving: a good lecture afterwards becomes an exam.
#[tokio::test]
async fn hostile_pdfs_end_failed_within_the_limits_and_the_function_keeps_serving() {
    let bucket = testing::unique("exams");
    let db = testing::unique("examgen").replace('-', "_");
    let topic = testing::unique("email-topic");
    testing::create_topics(&testing::kafka_brokers(), &[&topic], 1).await;
    let limits = [("PDF_EXTRACT_TIMEOUT_MS", "8000".to_string()), ("PDF_EXTRACT_MAX_MEMORY_MB", "256".to_string())];
    let env = env_for(&bucket, &db, &topic, &limits);
    let common = CommonConfig::from_env(&env, None, "exam-gen").unwrap();
    let config = Config::from_env(&env, &common).unwrap();
    assert_eq!(config.pdf, PdfLimits { timeout: Duration::from_secs(8), max_memory_mb: 256 });
    let gen = in_tests(ExamGen::from_config(&config).await.unwrap(), &config);
    let s3 = gen.bucket.client.clone();
    s3.create_bucket().bucket(&bucket).send().await.expect("create bucket");
    let f = Fixture { db: gen.statuses.db.clone(), gen, s3, bucket, topic, config };

    let bound = f.config.pdf.timeout + Duration::from_secs(10);
    let mut expected_notices = 0;
    for (i, case) in hostile::corpus(1 << 30).into_iter().enumerate() {
        let name = format!("hostile-{i}");
        let key = format!("exams/{name}.pdf");
        upload(&f, &key, case.bytes.clone(), &[("n_mcq", "1"), ("n_tfq", "1")]).await;
        let t = Instant::now();
        let out = f.gen.handle(minio_kafka_event(&f.bucket, &key, "s3:ObjectCreated:Put", &[], i as i64)).await;
        let took = t.elapsed();
        let out = out.unwrap_or_else(|e| panic!("{}: the function failed instead of the upload: {e:?}", case.name));
        assert!(matches!(out, Outcome::Done(_)), "{}: {out:?}", case.name);
        assert!(took < bound, "{}: {took:?}", case.name);
        let st = status(&f, &name).await;
        let state = st.get_str("state").unwrap().to_string();
        println!("{:>6} ms  {:<60} {state}: {}", took.as_millis(), case.name, st.get_str("reason").unwrap_or("-"));
        match case.expect {
            hostile::Expect::Failed => {
                assert_eq!(state, "failed", "{}: {st}", case.name);
                assert!(!st.get_str("reason").unwrap().is_empty(), "{}", case.name);
            }
            hostile::Expect::Text => assert_eq!(state, "ready", "{}: {st}", case.name),
            // Text but too little of it for a question also ends failed.
            hostile::Expect::FailedOrText => assert!(state == "failed" || state == "ready", "{}: {st}", case.name),
        }
        assert!(bool_of(&st, "notified"), "{}: {st}", case.name);
        expected_notices += 1;
    }
    // The function still serves a good lecture.
    upload(&f, "exams/after.pdf", lecture(), &[]).await;
    let out = f.gen.handle(minio_kafka_event(&f.bucket, "exams/after.pdf", "s3:ObjectCreated:Put", &[], 999)).await.unwrap();
    assert!(matches!(out, Outcome::Done(_)), "{out:?}");
    assert_eq!(status(&f, "after").await.get_str("state").unwrap(), "ready");
    expected_notices += 1;
    let n = notices(&f.topic, Duration::from_secs(3)).await;
    assert_eq!(n.len(), expected_notices, "one notice per upload");
}

/// With the installed model (the test command installs it and sets
/// EXAMFN_EMBED_MODEL_DIR), exam-gen ranks with it and the sidecar says so.
#[tokio::test]
async fn the_embedding_model_ranks_the_questions_when_installed() {
    let Some(dir) = std::env::var_os("EXAMFN_EMBED_MODEL_DIR") else {
        eprintln!("skipped: the embedding model is not installed (EXAMFN_EMBED_MODEL_DIR unset)");
        return;
    };
    let bucket = testing::unique("exams");
    let db = testing::unique("examgen").replace('-', "_");
    let topic = testing::unique("email-topic");
    testing::create_topics(&testing::kafka_brokers(), &[&topic], 1).await;
    let env = env_for(&bucket, &db, &topic, &[("EMBED_MODEL_DIR", dir.to_string_lossy().into_owned())]);
    let common = CommonConfig::from_env(&env, None, "exam-gen").unwrap();
    let config = Config::from_env(&env, &common).unwrap();
    let gen = in_tests(ExamGen::from_config(&config).await.unwrap(), &config);
    let s3 = gen.bucket.client.clone();
    s3.create_bucket().bucket(&bucket).send().await.expect("create bucket");
    let f = Fixture { db: gen.statuses.db.clone(), gen, s3, bucket, topic, config };
    let key = "exams/ranked.pdf";
    let meta = [("n_mcq", "5"), ("n_tfq", "3"), ("n_mcq_options", "4")];
    upload(&f, key, lecture(), &meta).await;
    let out = f.gen.handle(minio_kafka_event(&f.bucket, key, "s3:ObjectCreated:Put", &meta, 1)).await.unwrap();
    let Outcome::Done(v) = out else { panic!("not done: {out:?}") };
    assert_eq!(v["results"][0]["state"], "ready", "{v}");
    let meta_json: Value = serde_json::from_slice(&read_json(&f, "questions_bank/ranked.meta.json").await.unwrap()).unwrap();
    assert_eq!(meta_json["ranking"], "embedding:all-MiniLM-L6-v2");
    assert!(meta_json["stats"]["embedded"].as_u64().unwrap() > 10, "{}", meta_json["stats"]);
    let exam: Exam = serde_json::from_slice(&read_json(&f, "questions_bank/ranked.json").await.unwrap()).unwrap();
    assert_eq!(exam.len(), 8);
}

/// A configured model that cannot be loaded stops the function with the reason.
#[tokio::test]
async fn a_missing_model_directory_is_refused_at_start() {
    let env = env_for("exams", "examgen_badmodel", "email-topic", &[("EMBED_MODEL_DIR", "/nonexistent/model".into())]);
    let common = CommonConfig::from_env(&env, None, "exam-gen").unwrap();
    let config = Config::from_env(&env, &common).unwrap();
    let err = ExamGen::from_config(&config).await.unwrap_err().to_string();
    assert!(err.contains("EMBED_MODEL_DIR=/nonexistent/model"), "{err}");
}
