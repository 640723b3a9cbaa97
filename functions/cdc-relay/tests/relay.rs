//! cdc-relay against the real MongoDB (platform/mongo_launcher.py) and Kafka.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use examfn_cdc_relay::{Config, Relay, OFFSETS_COLLECTION};
use examfn_domain::debezium::{self, Change, Op};
use examfn_runtime::kafka::Emitter;
use examfn_runtime::mongo::{client, MongoConfig};
use examfn_runtime::testing;
use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::Database;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::Message;
use tokio::sync::watch;
use tokio::task::JoinHandle;

struct Setup {
    cfg: Config,
    db: Database,
}

async fn setup(snapshot: bool) -> Setup {
    let brokers = testing::kafka_brokers();
    let database = testing::unique("exams");
    let topic = testing::unique("mongo-trigger-topic");
    testing::create_topics(&brokers, &[&topic], 1).await;
    let mongo = MongoConfig { uri: testing::mongodb_uri(), database: database.clone() };
    let db = client(&mongo).await.unwrap().database(&database);
    db.create_collection("score").await.unwrap();
    let cfg = Config {
        mongo,
        kafka_brokers: brokers,
        collection: "score".into(),
        topic,
        prefix: "mongo-trigger-topic".into(),
        snapshot,
        schemas: true,
    };
    Setup { cfg, db }
}

struct Running {
    relay: Arc<Relay>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Start a relay and wait until its change stream is open.
async fn start(s: &Setup, brokers: &str) -> Running {
    let relay = Arc::new(Relay::new(s.db.clone(), Emitter::new(brokers).unwrap(), &s.cfg));
    let (stop, rx) = watch::channel(false);
    let r = relay.clone();
    let task = tokio::spawn(async move { r.run(rx).await });
    let t0 = Instant::now();
    while relay.progress.streams_opened.load(Ordering::SeqCst) == 0 {
        assert!(t0.elapsed() < Duration::from_secs(20), "the change stream did not open");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Running { relay, stop, task }
}

/// Read records from the topic until `n` arrived (or the deadline), then a
/// little longer to catch extras.
async fn read(topic: &str, n: usize, deadline: Duration) -> Vec<(Option<Vec<u8>>, Option<Vec<u8>>)> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", testing::kafka_brokers())
        .set("group.id", testing::unique("relay-test"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut reached: Option<Instant> = None;
    loop {
        if t0.elapsed() > deadline || reached.is_some_and(|r| r.elapsed() > Duration::from_millis(1500)) {
            return out;
        }
        if let Ok(Ok(m)) = tokio::time::timeout(Duration::from_millis(200), consumer.recv()).await {
            out.push((m.key().map(<[u8]>::to_vec), m.payload().map(<[u8]>::to_vec)));
        }
        if out.len() >= n && reached.is_none() {
            reached = Some(Instant::now());
        }
    }
}

fn parse_all(recs: &[(Option<Vec<u8>>, Option<Vec<u8>>)]) -> Vec<Change> {
    recs.iter().map(|(k, v)| debezium::parse_record(k.as_deref(), v.as_deref()).expect("a Debezium record")).collect()
}

async fn insert(db: &Database, email: &str) -> ObjectId {
    let oid = ObjectId::new();
    db.collection::<Document>("score")
        .insert_one(doc! {"_id": oid, "email": email, "score": 1, "result": "passed", "exam": "l.json",
                         "details": [{"question": "q", "user_answer": "a", "correct_answer": "a", "is_correct": true}]})
        .await
        .unwrap();
    oid
}

#[tokio::test]
async fn changes_become_debezium_records_that_parse_back() {
    let s = setup(false).await;
    let run = start(&s, &s.cfg.kafka_brokers).await;
    let a = insert(&s.db, "a@x.org").await;
    let b = insert(&s.db, "b@x.org").await;
    let score = s.db.collection::<Document>("score");
    score.update_one(doc! {"_id": a}, doc! {"$set": {"score": 0}}).await.unwrap();
    score.delete_one(doc! {"_id": b}).await.unwrap();

    let recs = read(&s.cfg.topic, 5, Duration::from_secs(30)).await;
    let changes = parse_all(&recs);
    let ops: Vec<(Op, String)> = changes.iter().map(|c| (c.op, c.id.clone())).collect();
    assert_eq!(
        ops,
        vec![
            (Op::Create, a.to_hex()),
            (Op::Create, b.to_hex()),
            (Op::Update, a.to_hex()),
            (Op::Delete, b.to_hex()),
            (Op::Tombstone, b.to_hex()),
        ]
    );
    let first = &changes[0];
    let doc = first.doc.as_ref().unwrap();
    assert_eq!(doc["_id"], a.to_hex());
    assert_eq!(doc["email"], "a@x.org");
    assert_eq!(doc["details"][0]["is_correct"], true);
    let src = first.source.as_ref().unwrap();
    assert_eq!(src.connector.as_deref(), Some("mongodb"));
    assert_eq!(src.name.as_deref(), Some("mongo-trigger-topic"));
    assert_eq!(src.db.as_deref(), Some(s.cfg.mongo.database.as_str()));
    assert_eq!(src.collection.as_deref(), Some("score"));
    assert_eq!(src.snapshot.as_deref(), Some("false"));
    // The key is exactly Debezium's (schema-wrapped with CDC_SCHEMAS=true).
    let key: serde_json::Value = serde_json::from_slice(recs[0].0.as_ref().unwrap()).unwrap();
    assert_eq!(key["payload"]["id"], format!("{{\"$oid\": \"{}\"}}", a.to_hex()));
    // The update carries the full document (updateLookup).
    assert_eq!(changes[2].doc.as_ref().unwrap()["score"], 0);

    // The offset was stored after the produce.
    let off = s.db.collection::<Document>(OFFSETS_COLLECTION).find_one(doc! {"_id": format!("{}.score", s.cfg.mongo.database)}).await.unwrap();
    assert!(off.is_some_and(|d| d.get_document("resume_token").is_ok() || d.get("resume_token").is_some_and(|t| !matches!(t, mongodb::bson::Bson::Null))));
    run.stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), run.task).await.expect("stops on request").unwrap();
}

#[tokio::test]
async fn a_killed_relay_resumes_from_the_stored_token_and_loses_nothing() {
    let s = setup(false).await;
    let run = start(&s, &s.cfg.kafka_brokers).await;
    let a = insert(&s.db, "a@x.org").await;
    let t0 = Instant::now();
    while run.relay.progress.changes.load(Ordering::SeqCst) < 1 {
        assert!(t0.elapsed() < Duration::from_secs(20), "first change not relayed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    run.task.abort(); // a hard kill: no shutdown path runs
    let _ = run.task.await;
    let b = insert(&s.db, "b@x.org").await;
    let c = insert(&s.db, "c@x.org").await;

    let run = start(&s, &s.cfg.kafka_brokers).await;
    let d = insert(&s.db, "d@x.org").await;
    let recs = read(&s.cfg.topic, 4, Duration::from_secs(30)).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for ch in parse_all(&recs) {
        assert_eq!(ch.op, Op::Create);
        *seen.entry(ch.id).or_default() += 1;
    }
    for id in [a, b, c, d] {
        assert_eq!(seen.get(&id.to_hex()), Some(&1), "{id} relayed exactly once: {seen:?}");
    }
    run.stop.send(true).unwrap();
    let _ = run.task.await;
}

#[tokio::test]
async fn a_change_whose_produce_never_confirmed_is_produced_after_restart() {
    let s = setup(false).await;
    // A broker address nobody listens on: the produce cannot be confirmed.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let run = start(&s, &dead).await;
    // On first start the relay stores where its stream began (if the server
    // says), so even a relay killed before its first change resumes there.
    let offsets = s.db.collection::<Document>(OFFSETS_COLLECTION);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let initial = offsets.find_one(doc! {}).await.unwrap().map(|d| d.get("resume_token").cloned());
    let a = insert(&s.db, "a@x.org").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(run.relay.progress.changes.load(Ordering::SeqCst), 0, "nothing can be confirmed");
    let stored = offsets.find_one(doc! {}).await.unwrap().map(|d| d.get("resume_token").cloned());
    assert_eq!(stored, initial, "the token may not move before the produce is confirmed");
    run.task.abort(); // killed between the change and the produce
    let _ = run.task.await;

    let run = start(&s, &s.cfg.kafka_brokers).await;
    let recs = read(&s.cfg.topic, 1, Duration::from_secs(30)).await;
    let changes = parse_all(&recs);
    assert_eq!(changes.len(), 1, "the change arrives once after the restart");
    assert_eq!((changes[0].op, changes[0].id.clone()), (Op::Create, a.to_hex()));
    run.stop.send(true).unwrap();
    let _ = run.task.await;
}

#[tokio::test]
async fn snapshot_reads_existing_documents_once() {
    let s = setup(true).await;
    let a = insert(&s.db, "a@x.org").await;
    let b = insert(&s.db, "b@x.org").await;
    let run = start(&s, &s.cfg.kafka_brokers).await;
    let t0 = Instant::now();
    // The snapshot's offset is stored before the stream is read.
    while s.db.collection::<Document>(OFFSETS_COLLECTION).find_one(doc! {}).await.unwrap().is_none() {
        assert!(t0.elapsed() < Duration::from_secs(20), "snapshot did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let c = insert(&s.db, "c@x.org").await;
    let recs = read(&s.cfg.topic, 3, Duration::from_secs(30)).await;
    let changes = parse_all(&recs);
    let ops: Vec<(Op, String)> = changes.iter().map(|c| (c.op, c.id.clone())).collect();
    assert_eq!(ops, vec![(Op::Read, a.to_hex()), (Op::Read, b.to_hex()), (Op::Create, c.to_hex())]);
    assert_eq!(changes[0].source.as_ref().unwrap().snapshot.as_deref(), Some("true"));
    assert_eq!(changes[1].source.as_ref().unwrap().snapshot.as_deref(), Some("last"));
    run.stop.send(true).unwrap();
    let _ = run.task.await;

    // A restart does not snapshot again.
    let run = start(&s, &s.cfg.kafka_brokers).await;
    let d = insert(&s.db, "d@x.org").await;
    let recs = read(&s.cfg.topic, 4, Duration::from_secs(30)).await;
    let ops: Vec<Op> = parse_all(&recs).iter().map(|c| c.op).collect();
    assert_eq!(ops, vec![Op::Read, Op::Read, Op::Create, Op::Create], "{d}");
    run.stop.send(true).unwrap();
    let _ = run.task.await;
}
