//! score-calc's batch path (`Handler::handle_batch`, used by the Kafka
//! transport) against real MongoDB and Kafka: one card per result whatever
//! mix of new, sent, pending and repeated results a batch holds, each new
//! result counted once, and a failed MongoDB step of a batch retried record by
//! record (as the runtime does) without counting anything twice.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use examfn_domain::scorecard::{self, ResultSummary, Scoreboard};
use examfn_runtime::cloudevents::Event;
use examfn_runtime::event::{from_kafka, KafkaRecord};
use examfn_runtime::kafka::Emitter;
use examfn_runtime::mongo::{client, MongoConfig};
use examfn_runtime::{testing, FnError, Handler, Outcome};
use examfn_score_calc::{Claim, KafkaMailer, Ledger, MongoLedger, Policy, ScoreCalc};
use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::Database;

/// The real ledger, with one chosen batch step failing once (a MongoDB
/// failure at that point of the batch).
struct FailOnce {
    inner: MongoLedger,
    claim_many: AtomicBool,
    count_many: AtomicBool,
    mark_sent_many: AtomicBool,
}

fn tripped(flag: &AtomicBool, step: &str) -> Result<(), FnError> {
    if flag.swap(false, Ordering::SeqCst) {
        return Err(FnError::unavailable(format!("mongodb: connection reset during {step}")));
    }
    Ok(())
}

impl Ledger for FailOnce {
    async fn claim(&self, id: &str, s: &ResultSummary) -> Result<Claim, FnError> {
        self.inner.claim(id, s).await
    }
    async fn count(&self, s: &ResultSummary) -> Result<(), FnError> {
        self.inner.count(s).await
    }
    async fn mark_sent(&self, id: &str) -> Result<(), FnError> {
        self.inner.mark_sent(id).await
    }
    async fn ready(&self) -> Result<(), String> {
        self.inner.ready().await
    }
    async fn claim_many(&self, items: &[(&str, &ResultSummary)]) -> Result<Vec<Claim>, FnError> {
        tripped(&self.claim_many, "claim_many")?;
        self.inner.claim_many(items).await
    }
    async fn count_many(&self, summaries: &[&ResultSummary]) -> Result<(), FnError> {
        tripped(&self.count_many, "count_many")?;
        self.inner.count_many(summaries).await
    }
    async fn mark_sent_many(&self, ids: &[&str]) -> Result<(), FnError> {
        // The marks fail after the cards were acknowledged.
        tripped(&self.mark_sent_many, "mark_sent_many")?;
        self.inner.mark_sent_many(ids).await
    }
}

struct Env<L> {
    db: Database,
    topic: String,
    handler: ScoreCalc<L, KafkaMailer>,
    offset: std::sync::atomic::AtomicI64,
}

async fn setup<L: Ledger>(ledger: impl FnOnce(MongoLedger) -> L) -> Env<L> {
    let brokers = testing::kafka_brokers();
    let topic = testing::unique("email-topic");
    testing::create_topics(&brokers, &[&topic], 1).await;
    let cfg = MongoConfig { uri: testing::mongodb_uri(), database: testing::unique("exams") };
    let db = client(&cfg).await.unwrap().database(&cfg.database);
    let handler = ScoreCalc {
        ledger: ledger(MongoLedger::new(db.clone())),
        mailer: KafkaMailer { emitter: Emitter::new(&brokers).unwrap(), topic: topic.clone() },
        policy: Policy::default(),
    };
    Env { db, topic, handler, offset: 0.into() }
}

impl<L: Ledger> Env<L> {
    /// The event the Kafka transport makes of a CDC record.
    fn event(&self, key: Option<&str>, value: Option<&str>) -> Event {
        let rec = KafkaRecord {
            topic: "mongo-trigger-topic.exams.score".into(),
            partition: 0,
            offset: self.offset.fetch_add(1, Ordering::SeqCst),
            key: key.map(|k| k.as_bytes().to_vec()),
            value: value.map(|v| v.as_bytes().to_vec()),
            ..Default::default()
        };
        from_kafka(&rec, "local", "score-calc").unwrap()
    }

    fn insert(&self, oid: &ObjectId, email: &str, exam: &str, score: i64) -> Event {
        self.event(Some(&key(oid)), Some(&envelope("c", Some(result_after(oid, email, exam, score, 4)))))
    }

    async fn board(&self, id: &str) -> Option<Scoreboard> {
        let d = self.db.collection::<Document>("scoreboard").find_one(doc! {"_id": id}).await.unwrap()?;
        Some(mongodb::bson::from_document(d).unwrap())
    }

    async fn best(&self, exam: &str, email: &str) -> scorecard::Best {
        let d = self
            .db
            .collection::<Document>("scoreboard_best")
            .find_one(doc! {"_id.exam": exam, "_id.email": email})
            .await
            .unwrap()
            .unwrap();
        mongodb::bson::from_document(d).unwrap()
    }

    async fn state(&self, oid: &ObjectId) -> String {
        let d = self.db.collection::<Document>("score_processed").find_one(doc! {"_id": oid.to_hex()}).await.unwrap().unwrap();
        d.get_str("state").unwrap().to_string()
    }

    async fn cards(&self, min: usize) -> Vec<String> {
        let recs = drain(&self.topic, min, Duration::from_secs(2), Duration::from_secs(30)).await;
        let mut ids: Vec<String> = recs.iter().map(|r| email_of(r).1.message_id).collect();
        ids.sort();
        ids
    }
}

fn card(oid: &ObjectId) -> String {
    format!("score-card:{}", oid.to_hex())
}

fn status(r: &Result<Outcome, FnError>) -> String {
    match r {
        Ok(Outcome::Done(_)) => "done".into(),
        Ok(Outcome::Skipped(reason)) => format!("skipped: {reason}"),
        Err(e) => format!("{}: {}", e.kind(), e.message()),
    }
}

#[tokio::test]
async fn a_batch_gives_one_card_per_result_and_counts_each_new_result_once() {
    let env = setup(|l| l).await;
    let new: Vec<ObjectId> = (0..4).map(|_| ObjectId::new()).collect();
    let (sent, pending) = (ObjectId::new(), ObjectId::new());
    let processed = env.db.collection::<Document>("score_processed");
    let now = mongodb::bson::DateTime::now();
    processed.insert_one(doc! {"_id": sent.to_hex(), "state": "sent", "at": now, "exam": "b.json"}).await.unwrap();
    processed.insert_one(doc! {"_id": pending.to_hex(), "state": "sending", "at": now, "exam": "b.json"}).await.unwrap();

    let events = vec![
        env.insert(&new[0], "s1@x.org", "b.json", 1), // 25 %
        env.insert(&new[1], "s1@x.org", "b.json", 3), // 75 %: s1's best
        env.insert(&sent, "s2@x.org", "b.json", 4),
        env.insert(&new[0], "s1@x.org", "b.json", 1), // the same result again in this batch
        env.insert(&pending, "s2@x.org", "b.json", 4),
        env.event(Some(&key(&new[2])), Some(r#"{"garbage": true}"#)),
        env.insert(&new[2], "s2@x.org", "b.json", 2), // 50 %
        env.event(Some(&key(&new[3])), Some(&envelope("d", None))),
        env.insert(&new[3], "s3@x.org", "c.json", 4), // 100 %
    ];
    let results = env.handler.handle_batch(events.clone()).await;
    let got: Vec<String> = results.iter().map(status).collect();
    assert_eq!(results.len(), events.len());
    assert_eq!(got[0], "done");
    assert_eq!(got[1], "done");
    assert!(got[2].contains("already sent"), "{got:?}");
    assert!(got[3].contains("earlier record of this batch"), "{got:?}");
    assert_eq!(got[4], "done");
    let Ok(Outcome::Done(resent)) = &results[4] else { unreachable!() };
    assert_eq!(resent["resent"], true, "the pending result is resent");
    assert!(got[5].starts_with("bad_input: not a Debezium change record"), "{got:?}");
    assert_eq!(got[6], "done");
    assert!(got[7].contains("delete"), "{got:?}");
    assert_eq!(got[8], "done");

    let mut want: Vec<String> = new.iter().chain([&pending]).map(card).collect();
    want.sort();
    assert_eq!(env.cards(5).await, want, "one card per new or pending result, none for the sent one");
    for oid in new.iter().chain([&pending]) {
        assert_eq!(env.state(oid).await, "sent");
    }
    // Counted once each: the four new results, not the sent or pending one.
    let b = env.board("b.json").await.unwrap();
    assert_eq!((b.attempts, b.passes, b.percentage_sum), (3, 2, 150));
    assert_eq!(b.histogram, vec![0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0]);
    let c = env.board("c.json").await.unwrap();
    assert_eq!((c.attempts, c.passes, c.percentage_sum, c.histogram[10]), (1, 1, 100, 1));
    let all = env.board("*").await.unwrap();
    assert_eq!((all.attempts, all.passes, all.percentage_sum), (4, 3, 250));
    let s1 = env.best("b.json", "s1@x.org").await;
    assert_eq!((s1.best_percentage, s1.best_score), (75, 3.0));
    assert_eq!(env.best("b.json", "s2@x.org").await.best_percentage, 50);
    assert_eq!(env.best("c.json", "s3@x.org").await.best_percentage, 100);

    // The whole batch redelivered: nothing sent, nothing counted.
    let again: Vec<String> = env.handler.handle_batch(events).await.iter().map(status).collect();
    for i in [0, 1, 2, 4, 6, 8] {
        assert!(again[i].contains("already sent"), "{i}: {again:?}");
    }
    assert_eq!(env.cards(5).await, want, "no further card");
    assert_eq!(env.board("*").await.unwrap().attempts, 4);
}

/// Deliver `events` as one batch, then retry every failed one alone through
/// `handle`, as the runtime does.
async fn batch_then_retry<L: Ledger>(env: &Env<L>, events: Vec<Event>) -> Vec<String> {
    let results = env.handler.handle_batch(events.clone()).await;
    let mut statuses = Vec::new();
    for (ev, r) in events.into_iter().zip(results) {
        match r {
            Err(e) if e.is_retryable() => {
                statuses.push(format!("retried after {}", e.message()));
                let r = env.handler.handle(ev).await;
                assert!(matches!(r, Ok(Outcome::Done(_))), "{}", status(&r));
            }
            r => statuses.push(status(&r)),
        }
    }
    statuses
}

#[tokio::test]
async fn a_failed_mongodb_step_fails_the_batch_and_the_retries_count_nothing_twice() {
    for step in ["claim_many", "mark_sent_many"] {
        let env = setup(|inner| FailOnce {
            inner,
            claim_many: AtomicBool::new(step == "claim_many"),
            count_many: AtomicBool::new(false),
            mark_sent_many: AtomicBool::new(step == "mark_sent_many"),
        })
        .await;
        let oids: Vec<ObjectId> = (0..6).map(|_| ObjectId::new()).collect();
        let events: Vec<Event> =
            oids.iter().enumerate().map(|(i, o)| env.insert(o, &format!("s{}@x.org", i % 2), "f.json", i as i64 % 5)).collect();
        let statuses = batch_then_retry(&env, events).await;
        assert!(statuses.iter().all(|s| s.contains(step)), "{step}: every record failed with the batch: {statuses:?}");

        let mut want: Vec<String> = oids.iter().map(card).collect();
        if step == "mark_sent_many" {
            // Acknowledged but not marked: the retry sends again with the same
            // message id (the email function de-duplicates it).
            want.extend(oids.iter().map(card));
        }
        want.sort();
        assert_eq!(env.cards(want.len()).await, want, "{step}");
        for oid in &oids {
            assert_eq!(env.state(oid).await, "sent", "{step}");
        }
        let b = env.board("f.json").await.unwrap();
        let expected_sum: i64 = (0..6).map(|i| (i % 5) * 100 / 4).sum();
        assert_eq!((b.attempts, b.percentage_sum), (6, expected_sum), "{step}: each result counted exactly once");
        assert_eq!(env.board("*").await.unwrap().attempts, 6, "{step}");
    }
}

#[tokio::test]
async fn a_failed_count_is_not_counted_twice_and_the_cards_still_go_out() {
    // The documented gap: the claim is the counting decision, so results
    // claimed by a batch whose counting failed are sent but stay off the
    // scoreboard (never counted twice); their records name exam and email.
    let env = setup(|inner| FailOnce {
        inner,
        claim_many: AtomicBool::new(false),
        count_many: AtomicBool::new(true),
        mark_sent_many: AtomicBool::new(false),
    })
    .await;
    let oids: Vec<ObjectId> = (0..3).map(|_| ObjectId::new()).collect();
    let events: Vec<Event> = oids.iter().map(|o| env.insert(o, "s@x.org", "g.json", 2)).collect();
    let statuses = batch_then_retry(&env, events).await;
    assert!(statuses.iter().all(|s| s.contains("count_many")), "{statuses:?}");
    let mut want: Vec<String> = oids.iter().map(card).collect();
    want.sort();
    assert_eq!(env.cards(3).await, want);
    assert!(env.board("g.json").await.is_none(), "not counted by the retries");
    let rec = env.db.collection::<Document>("score_processed").find_one(doc! {"_id": oids[0].to_hex()}).await.unwrap().unwrap();
    assert_eq!((rec.get_str("exam").unwrap(), rec.get_str("email").unwrap()), ("g.json", "s@x.org"));
}
