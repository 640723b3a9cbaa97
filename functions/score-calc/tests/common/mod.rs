//! Shared helpers of score-calc's tests against the real servers.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use examfn_runtime::event::{from_kafka, KafkaRecord};
use examfn_runtime::testing;
use mongodb::bson::oid::ObjectId;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use serde_json::{json, Value};

/// A result document as take-exam writes it, in relaxed extended JSON (the
/// way Debezium puts it into `after`), and its id.
pub fn result_after(oid: &ObjectId, email: &str, exam: &str, score: i64, n: usize) -> String {
    let details: Vec<Value> = (0..n)
        .map(|i| {
            json!({"question": format!("Q{i}?"), "user_answer": "A", "correct_answer": if (i as i64) < score { "A" } else { "B" },
                   "is_correct": (i as i64) < score})
        })
        .collect();
    let pct = score * 100 / n as i64;
    let doc = json!({
        "_id": {"$oid": oid.to_hex()},
        "email": email,
        "score": score,
        "result": if pct >= 50 { "passed" } else { "failed" },
        "details": details,
        "exam": exam,
        "attempt_id": format!("att-{}", oid.to_hex()),
        "submitted_at": {"$date": "2026-01-02T03:04:05.678Z"},
        "idempotency_key": format!("idem-{}", oid.to_hex()),
        "percentage": pct,
    });
    doc.to_string()
}

/// The record key Debezium 2.x writes for an ObjectId `_id`.
pub fn key(oid: &ObjectId) -> String {
    json!({"id": format!("{{\"$oid\": \"{}\"}}", oid.to_hex())}).to_string()
}

/// A JsonConverter-with-schemas envelope.
pub fn envelope(op: &str, after: Option<String>) -> String {
    json!({
        "schema": {"type": "struct", "optional": false, "name": "mongo-trigger-topic.exams.score.Envelope", "fields": []},
        "payload": {
            "before": null,
            "after": after,
            "updateDescription": null,
            "source": {"version": "2.7.0.Final", "connector": "mongodb", "name": "mongo-trigger-topic",
                       "ts_ms": 1721924024000_i64, "snapshot": if op == "r" { "true" } else { "false" },
                       "db": "exams", "rs": "rs0", "collection": "score", "ord": 1},
            "op": op,
            "ts_ms": 1721924024568_i64,
            "transaction": null
        }
    })
    .to_string()
}

/// Everything on `topic` as CloudEvents-decoded records, reading until
/// `quiet` passes without a new record (after at least `min` arrived or
/// `deadline` passed).
pub async fn drain(topic: &str, min: usize, quiet: Duration, deadline: Duration) -> Vec<KafkaRecord> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", testing::kafka_brokers())
        .set("group.id", testing::unique("drain"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let started = Instant::now();
    let mut last = Instant::now();
    let mut out = Vec::new();
    loop {
        if started.elapsed() > deadline || (out.len() >= min && last.elapsed() > quiet) {
            break;
        }
        match tokio::time::timeout(Duration::from_millis(200), consumer.recv()).await {
            Ok(Ok(m)) => {
                out.push(examfn_runtime::kafka::owned_record(&m));
                last = Instant::now();
            }
            Ok(Err(e)) => panic!("consuming {topic}: {e}"),
            Err(_) => {}
        }
    }
    out
}

/// The email message carried by a record on the email topic.
pub fn email_of(rec: &KafkaRecord) -> (cloudevents::Event, examfn_domain::email::EmailMessage) {
    let ev = from_kafka(rec, "test", "test").expect("a CloudEvent");
    let msg = examfn_runtime::event::data_json(&ev).expect("an EmailMessage");
    (ev, msg)
}

pub use examfn_runtime::cloudevents;
