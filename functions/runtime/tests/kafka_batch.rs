//! The Kafka transport's batches (`KAFKA_BATCH_MAX`) on the real broker:
//! records already fetched are handed to `Handler::handle_batch` together, in
//! offset order; a record whose batch attempt failed is retried alone and
//! then dead-lettered, unusable records go to the dead-letter topic without
//! reaching the handler, offsets are stored after the batch is settled, and a
//! handler that keeps the default `handle_batch` sees exactly the
//! one-at-a-time sequence.
//!
//! Needs `EXAMFN_TEST_KAFKA` (run through `cargo run -- test`).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use examfn_runtime::cloudevents::Event;
use examfn_runtime::config::KafkaConsumerConfig;
use examfn_runtime::event::{self, KafkaRecord};
use examfn_runtime::kafka::{consume, ensure_topics, Emitter};
use examfn_runtime::metrics::Metrics;
use examfn_runtime::{FnError, Handler, Outcome};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use serde_json::{json, Value};
use tokio::sync::watch;

/// Record headers as produced.
type RecordHeaders = Vec<(String, Vec<u8>)>;

fn brokers() -> String {
    std::env::var("EXAMFN_TEST_KAFKA").unwrap_or_else(|_| {
        panic!("EXAMFN_TEST_KAFKA is not set: run the tests with `cargo run -- test`, which starts the real servers they use")
    })
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// What a record asks the handler to do: `{"name": .., "act": ok|once|permanent|always}`.
#[derive(Default)]
struct Script {
    /// Names per `handle_batch` call.
    batches: Mutex<Vec<Vec<String>>>,
    /// Names per `handle` call.
    singles: Mutex<Vec<String>>,
    /// Names whose work was done, in the order it was done.
    done: Mutex<Vec<String>>,
    failed_once: Mutex<HashSet<String>>,
}

impl Script {
    fn act(&self, ev: &Event) -> (String, Result<Outcome, FnError>) {
        let v: Value = match event::data_json(ev) {
            Ok(v) => v,
            Err(e) => return (String::new(), Err(e)),
        };
        let name = v["name"].as_str().unwrap_or_default().to_string();
        let r = match v["act"].as_str() {
            Some("once") if self.failed_once.lock().unwrap().insert(name.clone()) => {
                Err(FnError::unavailable("first attempt fails"))
            }
            Some("permanent") => Err(FnError::permanent("this one can never work")),
            Some("always") => Err(FnError::unavailable("still down")),
            _ => {
                self.done.lock().unwrap().push(name.clone());
                Ok(Outcome::done(json!({"name": name})))
            }
        };
        (name, r)
    }
}

/// Overrides `handle_batch`: attempts every event of the batch.
struct Batching(Arc<Script>);

impl Handler for Batching {
    async fn handle(&self, ev: Event) -> Result<Outcome, FnError> {
        let (name, r) = self.0.act(&ev);
        self.0.singles.lock().unwrap().push(name);
        r
    }

    async fn handle_batch(&self, events: Vec<Event>) -> Vec<Result<Outcome, FnError>> {
        let mut names = Vec::new();
        let mut out = Vec::new();
        for ev in &events {
            let (name, r) = self.0.act(ev);
            names.push(name);
            out.push(r);
        }
        self.0.batches.lock().unwrap().push(names);
        out
    }
}

/// Keeps the default `handle_batch`.
struct OneByOne(Arc<Script>);

impl Handler for OneByOne {
    async fn handle(&self, ev: Event) -> Result<Outcome, FnError> {
        let (name, r) = self.0.act(&ev);
        self.0.singles.lock().unwrap().push(name);
        r
    }
}

fn config(topic: &str, group: &str, batch_max: usize) -> KafkaConsumerConfig {
    KafkaConsumerConfig {
        brokers: brokers(),
        topic: topic.to_string(),
        group: group.to_string(),
        dlq_topic: format!("{topic}.dlq"),
        max_retries: 2,
        backoff: Duration::from_millis(20),
        backoff_max: Duration::from_millis(100),
        subscribe: false,
        batch_max,
        max_record_bytes: 1 << 20,
    }
}

async fn produce(topic: &str, records: &[(Option<&str>, RecordHeaders)]) {
    let p = Emitter::new(&brokers()).unwrap();
    for (value, headers) in records {
        p.send(topic, Some(b"k"), value.map(str::as_bytes), headers).await.unwrap();
    }
}

fn rec(name: &str, act: &str) -> (Option<String>, RecordHeaders) {
    (Some(json!({"name": name, "act": act}).to_string()), vec![("content-type".into(), b"application/json".to_vec())])
}

/// Every record on `topic` once at least `min` arrived and 1 s passed quietly (or 30 s passed).
async fn read_all(topic: &str, min: usize) -> Vec<KafkaRecord> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", unique("reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "20")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let started = Instant::now();
    let mut last = Instant::now();
    let mut out = Vec::new();
    while started.elapsed() < Duration::from_secs(30) && !(out.len() >= min && last.elapsed() > Duration::from_secs(1)) {
        if let Ok(m) = tokio::time::timeout(Duration::from_millis(200), consumer.recv()).await {
            out.push(examfn_runtime::kafka::owned_record(&m.unwrap()));
            last = Instant::now();
        }
    }
    out
}

fn header(r: &KafkaRecord, name: &str) -> String {
    String::from_utf8_lossy(r.header(name).unwrap_or_default()).into_owned()
}

async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let started = Instant::now();
    while !cond() {
        assert!(started.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

type Running = (watch::Sender<bool>, tokio::task::JoinHandle<()>);

fn start<H: Handler>(cfg: KafkaConsumerConfig, handler: H) -> Running {
    let (stop_tx, stop) = watch::channel(false);
    let task = tokio::spawn(async move {
        consume(&cfg, "batch-test", Arc::new(handler), Arc::new(Metrics::new("batch-test")), stop).await.unwrap();
    });
    (stop_tx, task)
}

async fn stop((stop_tx, task): Running) {
    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(20), task).await.expect("the consumer stops").unwrap();
}

#[tokio::test]
async fn fetched_records_are_handled_as_one_batch_in_order_and_failures_are_settled_alone() {
    let topic = unique("batch");
    let dlq = format!("{topic}.dlq");
    ensure_topics(&brokers(), &[&topic, &dlq], 1).await.unwrap();
    let group = unique("batch-group");

    // 40 records, produced before the consumer starts so they are fetched together.
    let mut records = Vec::new();
    let mut expected_batched = Vec::new();
    let mut unusable_offset = 0;
    for i in 0..40 {
        let name = format!("r{i:02}");
        if i == 15 {
            // ce_ headers without the required attributes: not a CloudEvent.
            unusable_offset = i;
            records.push((Some("{}".to_string()), vec![("ce_specversion".to_string(), b"1.0".to_vec())]));
            continue;
        }
        let act = match i {
            5 => "once",
            10 => "permanent",
            20 => "always",
            _ => "ok",
        };
        expected_batched.push(name.clone());
        records.push(rec(&name, act));
    }
    let refs: Vec<(Option<&str>, RecordHeaders)> = records.iter().map(|(v, h)| (v.as_deref(), h.clone())).collect();
    produce(&topic, &refs).await;

    let script = Arc::new(Script::default());
    let running = start(config(&topic, &group, 16), Batching(script.clone()));
    let dead = read_all(&dlq, 3).await;
    wait_until("every record's work", || script.done.lock().unwrap().len() >= 37).await;
    stop(running).await;

    let batches = script.batches.lock().unwrap().clone();
    assert!(batches.iter().all(|b| !b.is_empty() && b.len() <= 16), "batch sizes: {:?}", batches.iter().map(Vec::len).collect::<Vec<_>>());
    assert!(batches.iter().any(|b| b.len() > 1), "records already fetched are batched: {batches:?}");
    let attempted: Vec<String> = batches.concat();
    assert_eq!(attempted, expected_batched, "each usable record is attempted once in a batch, in offset order");

    // Retried alone: r05 once (then done), r20 until KAFKA_MAX_RETRIES (2) ran out; r10 is not retried.
    assert_eq!(*script.singles.lock().unwrap(), vec!["r05", "r20", "r20"]);
    let done = script.done.lock().unwrap().clone();
    let mut want: Vec<String> = expected_batched.iter().filter(|n| !["r10", "r20"].contains(&n.as_str())).cloned().collect();
    let mut got = done.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "every other record done exactly once");

    // Dead letters in offset order, with the reason and the attempts.
    assert_eq!(dead.len(), 3, "the unusable, the permanent and the exhausted record");
    let offsets: Vec<String> = dead.iter().map(|r| header(r, "dlq_offset")).collect();
    assert_eq!(offsets, vec!["10", &unusable_offset.to_string(), "20"].into_iter().map(String::from).collect::<Vec<_>>());
    assert_eq!((header(&dead[0], "dlq_kind").as_str(), header(&dead[0], "dlq_attempts").as_str()), ("permanent", "1"));
    assert_eq!(header(&dead[0], "dlq_error"), "this one can never work");
    assert_eq!((header(&dead[1], "dlq_kind").as_str(), header(&dead[1], "dlq_attempts").as_str()), ("bad_input", "0"));
    assert_eq!((header(&dead[2], "dlq_kind").as_str(), header(&dead[2], "dlq_attempts").as_str()), ("unavailable", "3"));
    assert_eq!(dead[2].value.as_deref(), Some(json!({"name": "r20", "act": "always"}).to_string().as_bytes()));

    // Offsets were stored and committed: a new consumer of the group starts after them.
    produce(&topic, &[(rec("marker", "ok").0.as_deref(), rec("marker", "ok").1)]).await;
    let script2 = Arc::new(Script::default());
    let running = start(config(&topic, &group, 16), Batching(script2.clone()));
    wait_until("the marker", || !script2.done.lock().unwrap().is_empty()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop(running).await;
    assert_eq!(*script2.done.lock().unwrap(), vec!["marker"], "nothing settled before is redelivered");
}

#[tokio::test]
async fn a_handler_without_handle_batch_sees_the_one_at_a_time_sequence() {
    let topic = unique("batch-default");
    let dlq = format!("{topic}.dlq");
    ensure_topics(&brokers(), &[&topic, &dlq], 1).await.unwrap();
    let acts = [("a", "ok"), ("b", "ok"), ("c", "once"), ("d", "permanent"), ("e", "ok"), ("f", "ok")];
    let records: Vec<_> = acts.iter().map(|(n, a)| rec(n, a)).collect();
    let refs: Vec<(Option<&str>, RecordHeaders)> = records.iter().map(|(v, h)| (v.as_deref(), h.clone())).collect();
    produce(&topic, &refs).await;

    let script = Arc::new(Script::default());
    let running = start(config(&topic, &unique("g"), 500), OneByOne(script.clone()));
    let dead = read_all(&dlq, 1).await;
    wait_until("the records", || script.done.lock().unwrap().len() >= 5).await;
    stop(running).await;

    // The default stops at c's failure; c is retried before d, e and f are tried.
    assert_eq!(*script.singles.lock().unwrap(), vec!["a", "b", "c", "c", "d", "e", "f"]);
    assert_eq!(*script.done.lock().unwrap(), vec!["a", "b", "c", "e", "f"]);
    assert_eq!(dead.len(), 1);
    assert_eq!(header(&dead[0], "dlq_offset"), "3");
}
