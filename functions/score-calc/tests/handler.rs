//! score-calc against real MongoDB and Kafka, driven over HTTP exactly as a
//! KafkaSource delivers records (binary CloudEvents, `ce-key` = record key).

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use examfn_domain::scorecard::{self, Scoreboard};
use examfn_runtime::cloudevents::AttributesReader;
use examfn_runtime::kafka::Emitter;
use examfn_runtime::mongo::{client, MongoConfig};
use examfn_runtime::testing;
use examfn_score_calc::{app, KafkaMailer, MongoLedger, Policy, ScoreCalc};
use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::Database;
use tower::ServiceExt;

struct Env {
    db: Database,
    topic: String,
    router: axum::Router,
    offset: std::sync::atomic::AtomicI64,
}

async fn setup(policy: Policy) -> Env {
    let brokers = testing::kafka_brokers();
    let topic = testing::unique("email-topic");
    testing::create_topics(&brokers, &[&topic], 1).await;
    let cfg = MongoConfig { uri: testing::mongodb_uri(), database: testing::unique("exams") };
    let db = client(&cfg).await.unwrap().database(&cfg.database);
    let handler = ScoreCalc {
        ledger: MongoLedger::new(db.clone()),
        mailer: KafkaMailer { emitter: Emitter::new(&brokers).unwrap(), topic: topic.clone() },
        policy,
    };
    Env { db, topic, router: app(handler, 1 << 20), offset: 0.into() }
}

impl Env {
    /// POST a record the way a KafkaSource does; returns status and body.
    async fn deliver(&self, key: Option<&str>, value: Option<&str>) -> (StatusCode, serde_json::Value) {
        let off = self.offset.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut req = Request::post("/")
            .header("ce-specversion", "1.0")
            .header("ce-id", format!("partition:0/offset:{off}"))
            .header("ce-type", "dev.knative.kafka.event")
            .header("ce-source", "/apis/v1/namespaces/exam/kafkasources/mongo-source#mongo-trigger-topic.exams.score")
            .header("ce-subject", format!("partition:0#{off}"));
        if let Some(k) = key {
            req = req.header("ce-key", k);
        }
        let body = match value {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let resp = self.router.clone().oneshot(req.body(body).unwrap()).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    async fn board(&self, id: &str) -> Option<Scoreboard> {
        let d = self.db.collection::<Document>("scoreboard").find_one(doc! {"_id": id}).await.unwrap()?;
        Some(mongodb::bson::from_document(d).unwrap())
    }
}

#[tokio::test]
async fn insert_envelope_produces_one_exact_score_card_even_when_delivered_twice() {
    let env = setup(Policy::default()).await;
    let oid = ObjectId::new();
    let after = result_after(&oid, "stu@example.org", "lecture1.json", 2, 3);
    let value = envelope("c", Some(after.clone()));

    let (status, body) = env.deliver(Some(&key(&oid)), Some(&value)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "done", "{body}");
    let (status, body) = env.deliver(Some(&key(&oid)), Some(&value)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "skipped", "{body}");
    assert!(body["reason"].as_str().unwrap().contains("already sent"), "{body}");

    let recs = drain(&env.topic, 1, Duration::from_secs(2), Duration::from_secs(20)).await;
    assert_eq!(recs.len(), 1, "exactly one score card");
    assert_eq!(recs[0].key.as_deref(), Some(oid.to_hex().as_bytes()));
    let (ev, msg) = email_of(&recs[0]);
    assert_eq!(ev.ty(), "dev.examfn.email.v1");
    assert_eq!(ev.source().to_string(), "/examfn/score-calc");
    assert_eq!(msg.message_id, format!("score-card:{}", oid.to_hex()));
    assert_eq!(msg.subject, "Exam-Generator - Score Card");
    assert!(msg.recipients.subscribers && msg.recipients.extra.is_empty());
    let expected = "Exam-Generator - Score Card\n\nStudent: stu@example.org\nScore: 2\nResult: PASSED\n\nExam Details:\n\
- Question: Q0?\n  Your Answer: A (Correct)\n  Correct Answer: A\n\n\
- Question: Q1?\n  Your Answer: A (Correct)\n  Correct Answer: A\n\n\
- Question: Q2?\n  Your Answer: A (Incorrect)\n  Correct Answer: B\n\n";
    assert_eq!(msg.text, expected);

    // Processed record and scoreboards: counted once.
    let rec = env.db.collection::<Document>("score_processed").find_one(doc! {"_id": oid.to_hex()}).await.unwrap().unwrap();
    assert_eq!(rec.get_str("state").unwrap(), "sent");
    for id in ["lecture1.json", "*"] {
        let b = env.board(id).await.unwrap();
        assert_eq!((b.attempts, b.passes, b.percentage_sum), (1, 1, 66), "{id}");
        assert_eq!(b.histogram, vec![0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], "{id}");
    }
    let best = env
        .db
        .collection::<Document>("scoreboard_best")
        .find_one(doc! {"_id.exam": "lecture1.json", "_id.email": "stu@example.org"})
        .await
        .unwrap()
        .unwrap();
    let best: scorecard::Best = mongodb::bson::from_document(best).unwrap();
    assert_eq!((best.best_percentage, best.best_score), (66, 2.0));
    assert_eq!(best.id, scorecard::BestKey { exam: "lecture1.json".into(), email: "stu@example.org".into() });
}

#[tokio::test]
async fn snapshot_delete_tombstone_and_garbage_send_nothing() {
    let env = setup(Policy::default()).await;
    let oid = ObjectId::new();
    let after = result_after(&oid, "s@x.org", "l.json", 1, 2);

    let (s, b) = env.deliver(Some(&key(&oid)), Some(&envelope("r", Some(after.clone())))).await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("skipped")), "{b}");
    assert!(b["reason"].as_str().unwrap().contains("snapshot"), "{b}");
    let (s, b) = env.deliver(Some(&key(&oid)), Some(&envelope("u", Some(after.clone())))).await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("skipped")), "{b}");
    let (s, b) = env.deliver(Some(&key(&oid)), Some(&envelope("d", None))).await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("skipped")), "{b}");
    assert!(b["reason"].as_str().unwrap().contains("delete"), "{b}");
    // Tombstone: an event without data.
    let (s, b) = env.deliver(Some(&key(&oid)), None).await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("skipped")), "{b}");
    assert!(b["reason"].as_str().unwrap().contains("tombstone"), "{b}");

    for garbage in [r#"{"hello":"world"}"#, r#"{"payload":{"op":"z","after":null,"source":{}},"schema":{}}"#, "[1,2]"] {
        let (s, b) = env.deliver(Some(&key(&oid)), Some(garbage)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{garbage}: {b}");
        assert_eq!(b["kind"], "bad_input");
        assert!(b["error"].as_str().unwrap().contains("not a Debezium change record"), "{b}");
    }
    let (s, _) = env.deliver(Some("not json"), Some(&envelope("d", None))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let recs = drain(&env.topic, 0, Duration::from_secs(2), Duration::from_secs(5)).await;
    assert!(recs.is_empty(), "nothing may be sent, got {}", recs.len());
    assert!(env.board("*").await.is_none(), "nothing counted");
}

#[tokio::test]
async fn snapshot_and_update_when_enabled_still_send_once_and_copy_the_student() {
    let env = setup(Policy { send_on_snapshot: true, send_on_update: true, copy_to_student: true }).await;
    let oid = ObjectId::new();
    // An AWS-era document: no exam, no percentage.
    let after = format!(
        "{{\"_id\": {{\"$oid\": \"{}\"}}, \"email\": \"old@x.org\", \"score\": {{\"$numberInt\": \"0\"}}, \"result\": \"failed\", \
          \"details\": [{{\"question\": \"q\", \"user_answer\": \"a\", \"correct_answer\": \"b\", \"is_correct\": false}}]}}",
        oid.to_hex()
    );
    for op in ["r", "c", "u", "r"] {
        let (s, b) = env.deliver(Some(&key(&oid)), Some(&envelope(op, Some(after.clone())))).await;
        assert_eq!(s, StatusCode::OK, "{op}: {b}");
    }
    let recs = drain(&env.topic, 1, Duration::from_secs(2), Duration::from_secs(20)).await;
    assert_eq!(recs.len(), 1);
    let (_, msg) = email_of(&recs[0]);
    assert_eq!(msg.recipients.extra, vec!["old@x.org".to_string()]);
    assert!(msg.text.starts_with("Exam-Generator - Score Card\n\nStudent: old@x.org\nScore: 0\nResult: FAILED\n"));
    let b = env.board(scorecard::UNKNOWN_EXAM).await.unwrap();
    assert_eq!((b.attempts, b.passes, b.percentage_sum, b.histogram[0]), (1, 0, 0, 1));
}

#[tokio::test]
async fn a_pending_record_is_resent_with_the_same_message_id() {
    // Simulates a crash after the claim and before the broker confirmed.
    let env = setup(Policy::default()).await;
    let oid = ObjectId::new();
    env.db
        .collection::<Document>("score_processed")
        .insert_one(doc! {"_id": oid.to_hex(), "state": "sending", "at": mongodb::bson::DateTime::now(), "exam": "x.json"})
        .await
        .unwrap();
    let after = result_after(&oid, "p@x.org", "x.json", 1, 1);
    let (s, b) = env.deliver(Some(&key(&oid)), Some(&envelope("c", Some(after)))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["result"]["resent"], true, "{b}");
    let recs = drain(&env.topic, 1, Duration::from_secs(2), Duration::from_secs(20)).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(email_of(&recs[0]).1.message_id, format!("score-card:{}", oid.to_hex()));
    // The claim was not new: the scoreboard was not touched by the resend.
    assert!(env.board("x.json").await.is_none());
}

#[tokio::test]
async fn concurrent_results_are_all_counted_exactly_once() {
    let env = std::sync::Arc::new(setup(Policy::default()).await);
    let oids: Vec<ObjectId> = (0..12).map(|_| ObjectId::new()).collect();
    let mut tasks = Vec::new();
    for (i, oid) in oids.iter().enumerate() {
        for _ in 0..2 {
            let env = env.clone();
            let oid = *oid;
            tasks.push(tokio::spawn(async move {
                let after = result_after(&oid, &format!("s{}@x.org", i % 3), "c.json", (i % 5) as i64, 4);
                env.deliver(Some(&key(&oid)), Some(&envelope("c", Some(after)))).await
            }));
        }
    }
    for t in tasks {
        let (s, b) = t.await.unwrap();
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let recs = drain(&env.topic, 12, Duration::from_secs(2), Duration::from_secs(30)).await;
    let mut ids: Vec<String> = recs.iter().map(|r| email_of(r).1.message_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "every result has a card");
    let b = env.board("c.json").await.unwrap();
    assert_eq!(b.attempts, 12, "each result counted once");
    assert_eq!(b.histogram.iter().sum::<i64>(), 12);
    let expected_sum: i64 = (0..12).map(|i| ((i % 5) as i64 * 100 / 4).min(100)).sum();
    assert_eq!(b.percentage_sum, expected_sum);
}
