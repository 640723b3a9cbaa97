//! score-calc in the Kafka transport (`FUNC_TRANSPORT=kafka`), the way the
//! local platform runs it: raw Debezium records on the CDC topic in, score
//! cards on the email topic and unusable records on the dead-letter topic out.

mod common;

use std::time::Duration;

use common::*;
use examfn_runtime::config::Env;
use examfn_runtime::kafka::Emitter;
use examfn_runtime::testing;
use examfn_runtime::CommonConfig;
use examfn_score_calc::{build, service, Config};
use mongodb::bson::oid::ObjectId;

#[tokio::test]
async fn records_on_the_cdc_topic_give_one_card_each_and_garbage_goes_to_the_dlq() {
    let brokers = testing::kafka_brokers();
    let src = testing::unique("mongo-trigger-topic.exams.score");
    let email = testing::unique("email-topic");
    let dlq = format!("{src}.dlq");
    testing::create_topics(&brokers, &[&src, &email, &dlq], 1).await;
    let db = testing::unique("exams");
    let group = testing::unique("score-calc");
    let env = Env::from_pairs([
        ("FUNC_TRANSPORT", "kafka"),
        ("PORT", "0"),
        ("KAFKA_BROKERS", brokers.as_str()),
        ("KAFKA_TOPIC", src.as_str()),
        ("KAFKA_CONSUMER_GROUP", group.as_str()),
        ("KAFKA_RETRY_BACKOFF_MS", "50"),
        ("EMAIL_TOPIC", email.as_str()),
        ("MONGODB_URI", testing::mongodb_uri().as_str()),
        ("MONGODB_DB", db.as_str()),
    ]);
    let common = CommonConfig::from_env(&env, None, "score-calc").unwrap();
    let cfg = Config::from_env(&env).unwrap();
    let handler = build(&cfg).await.unwrap();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(async move { examfn_runtime::server::serve_until(&common, service(handler), stop).await });

    let producer = Emitter::new(&brokers).unwrap();
    let a = ObjectId::new();
    let b = ObjectId::new();
    let ka = key(&a);
    let kb = key(&b);
    let ea = envelope("c", Some(result_after(&a, "a@x.org", "l.json", 1, 2)));
    let eb = envelope("c", Some(result_after(&b, "b@x.org", "l.json", 2, 2)));
    let rb = envelope("r", Some(result_after(&b, "b@x.org", "l.json", 2, 2)));
    let da = envelope("d", None);
    let records: Vec<(&str, Option<&str>)> = vec![
        (&ka, Some(&ea)),
        (&ka, Some(&ea)), // redelivered / replayed
        (&kb, Some(&rb)),
        (&kb, Some(&eb)),
        (&ka, Some("{\"garbage\": true}")),
        (&ka, Some(&da)),
        (&ka, None), // tombstone
    ];
    for (k, v) in &records {
        producer.send(&src, Some(k.as_bytes()), v.map(str::as_bytes), &[]).await.unwrap();
    }

    let cards = drain(&email, 2, Duration::from_secs(3), Duration::from_secs(30)).await;
    let mut ids: Vec<String> = cards.iter().map(|r| email_of(r).1.message_id).collect();
    ids.sort();
    let mut want = vec![format!("score-card:{}", a.to_hex()), format!("score-card:{}", b.to_hex())];
    want.sort();
    assert_eq!(ids, want, "one card per attempt, none for the snapshot, the delete or the tombstone");
    let dead = drain(&dlq, 1, Duration::from_secs(2), Duration::from_secs(20)).await;
    assert_eq!(dead.len(), 1, "the garbage record is dead-lettered");
    assert_eq!(dead[0].header("dlq_kind"), Some(&b"bad_input"[..]));
    assert!(String::from_utf8_lossy(dead[0].header("dlq_error").unwrap()).contains("not a Debezium change record"));

    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(20), server).await.expect("stops").unwrap().unwrap();
}
