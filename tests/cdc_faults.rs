//! The CDC path under a broker outage: cdc-relay and score-calc run as real
//! processes (`examfn run …`) against their own tansu broker and the test
//! MongoDB; results are inserted before, during and after the broker is
//! stopped and restarted. Afterwards every result has exactly one score card
//! (one distinct message id on `email-topic`; redelivered copies carry the
//! same id, which the email function sends once) and none is missing.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use examfn::procs::{free_port, Proc};
use examfn_domain::names;
use examfn_runtime::testing;
use mongodb::bson::doc;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::ClientConfig;
use tokio::process::Command;

async fn broker(dir: &Path, port: u16) -> Proc {
    let tansu = examfn::tools::Cache::from_env().tansu().expect("tansu");
    std::fs::create_dir_all(dir).unwrap();
    let url = format!("tcp://127.0.0.1:{port}");
    let mut cmd = Command::new(tansu);
    cmd.current_dir(dir).args(["broker", "--listener-url", &url, "--advertised-listener-url", &url, "--storage-engine", "sqlite://tansu.db"]);
    let mut p = Proc::spawn("tansu", cmd, &dir.join("tansu.log"), port).unwrap();
    p.wait_port(Duration::from_secs(30)).await.unwrap();
    p
}

fn function(name: &str, env: &[(&str, String)], dir: &Path) -> Proc {
    let port = free_port().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_examfn"));
    cmd.args(["run", name]).env("PORT", port.to_string()).env("RUST_LOG", "info");
    for (k, v) in env {
        cmd.env(k, v);
    }
    Proc::spawn(name, cmd, &dir.join(format!("{name}.log")), port).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_restart_mid_stream_loses_no_score_card_and_sends_none_twice() {
    let dir = std::env::temp_dir().join(testing::unique("examfn-cdc-faults"));
    let kport = free_port().unwrap();
    let brokers = format!("127.0.0.1:{kport}");
    let mut kafka = broker(&dir.join("kafka"), kport).await;
    let topics = [names::SCORE_CDC_TOPIC, "mongo-trigger-topic.exams.score.dlq", names::EMAIL_TOPIC, "email-topic.dlq"];
    examfn_runtime::kafka::ensure_topics(&brokers, &topics, 1).await.unwrap();

    let database = testing::unique("exams");
    let db = mongodb::Client::with_uri_str(testing::mongodb_uri()).await.unwrap().database(&database);
    db.create_collection("score").await.unwrap();
    let env = vec![
        ("KAFKA_BROKERS", brokers.clone()),
        ("MONGODB_URI", testing::mongodb_uri()),
        ("MONGODB_DB", database.clone()),
        ("KAFKA_RETRY_BACKOFF_MS", "100".to_string()),
        ("KAFKA_RETRY_BACKOFF_MAX_MS", "2000".to_string()),
        ("KAFKA_MAX_RETRIES", "30".to_string()),
        // Debezium names the topic <prefix>.<db>.<collection>; this test's
        // database has a unique name, so name the topic score-calc reads.
        ("CDC_TOPIC", names::SCORE_CDC_TOPIC.to_string()),
    ];
    let mut relay = function("cdc-relay", &env, &dir);
    relay.wait_port(Duration::from_secs(30)).await.unwrap();
    let mut calc_env = env.clone();
    calc_env.push(("FUNC_TRANSPORT", "kafka".into()));
    let mut calc = function("score-calc", &calc_env, &dir);
    calc.wait_port(Duration::from_secs(30)).await.unwrap();
    // The relay opens its change stream right after it starts serving.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let scores = db.collection::<mongodb::bson::Document>("score");
    let mut ids = BTreeSet::new();
    let mut insert = async |from: u32, to: u32| {
        for i in from..to {
            let r = scores
                .insert_one(doc! {"email": format!("s{i}@examfn.local"), "score": 1, "result": "passed", "exam": "faults.json",
                    "details": [{"question": "q", "user_answer": "a", "correct_answer": "a", "is_correct": true}]})
                .await
                .unwrap();
            ids.insert(r.inserted_id.as_object_id().unwrap().to_hex());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    insert(0, 20).await;
    kafka.stop(Duration::from_secs(10)).await; // the broker goes away mid-stream
    insert(20, 40).await; // changes keep happening while it is down
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut kafka = broker(&dir.join("kafka"), kport).await; // and comes back, data intact
    insert(40, 60).await;

    // Every result gets a score card; copies of one card share its message id.
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", testing::unique("cards"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[names::EMAIL_TOPIC]).unwrap();
    let mut cards = BTreeSet::new();
    let mut records = 0;
    let t = Instant::now();
    while cards.len() < ids.len() && t.elapsed() < Duration::from_secs(120) {
        if let Ok(Ok(m)) = tokio::time::timeout(Duration::from_secs(2), consumer.recv()).await {
            records += 1;
            let id = m.headers().and_then(|h| h.iter().find(|h| h.key == "ce_id").and_then(|h| h.value.map(|v| String::from_utf8_lossy(v).into_owned())));
            cards.insert(id.expect("an email CloudEvent"));
        }
    }
    // Close the reader while its broker is still up (closing it afterwards waits on the broker).
    drop(consumer);
    let expected: BTreeSet<String> = ids.iter().map(|h| examfn_domain::scorecard::message_id(h)).collect();
    assert_eq!(cards, expected, "one score card per result, none missing ({records} records read)");
    let processed = db.collection::<mongodb::bson::Document>("score_processed").count_documents(doc! {}).await.unwrap();
    assert_eq!(processed, 60, "every result decided once");
    eprintln!("broker restart: {} results, {} card records on email-topic ({} redelivered copies)", ids.len(), records, records - cards.len());

    relay.stop(Duration::from_secs(10)).await;
    calc.stop(Duration::from_secs(10)).await;
    kafka.stop(Duration::from_secs(10)).await;
    let _ = std::fs::remove_dir_all(&dir);
}
