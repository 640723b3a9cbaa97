//! The Kafka transport as a real process against the real broker (tansu):
//! `examfn run probe` consumes a topic; it is SIGKILLed mid-batch and
//! restarted, poison records go to the DLQ while later records flow, and
//! order is kept per partition.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use examfn_runtime::kafka::Emitter;
use examfn_runtime::testing;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::ClientConfig;
use serde_json::json;

struct Probe {
    child: Child,
}

impl Drop for Probe {
    /// A failing test never leaves its consumer running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Probe {
    fn start(topic: &str, group: &str, out: &Path, extra: &[(&str, &str)]) -> Self {
        let log = std::fs::File::create(out.with_extension(format!("log{}", std::process::id()))).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_examfn"));
        cmd.args(["run", "probe"])
            .env("FUNC_TRANSPORT", "kafka")
            .env("KAFKA_BROKERS", testing::kafka_brokers())
            .env("KAFKA_TOPIC", topic)
            .env("KAFKA_CONSUMER_GROUP", group)
            .env("PORT", "0")
            .env("PROBE_OUT", out)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        Self { child: cmd.spawn().expect("examfn run probe") }
    }
    fn kill9(mut self) {
        self.child.kill().unwrap(); // SIGKILL: no shutdown, no final commit
        self.child.wait().unwrap();
    }

    fn terminate(mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(st)) = self.child.try_wait() {
                assert!(st.success(), "probe exited with {st} on SIGTERM");
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("probe did not stop on SIGTERM");
    }
}

/// A consumer of `topic` from its start, in a group of its own.
fn reader(topic: &str, group_prefix: &str) -> StreamConsumer {
    let c: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", testing::kafka_brokers())
        .set("group.id", testing::unique(group_prefix))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    c.subscribe(&[topic]).unwrap();
    c
}

fn lines(out: &Path) -> Vec<(String, u64)> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(id, seq)| (id.to_string(), seq.parse().unwrap())))
        .collect()
}

async fn wait_for(out: &Path, pred: impl Fn(&[(String, u64)]) -> bool, within: Duration) -> Vec<(String, u64)> {
    let t = Instant::now();
    loop {
        let l = lines(out);
        if pred(&l) {
            return l;
        }
        assert!(t.elapsed() < within, "timed out; handled so far: {}", l.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn out_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("examfn-runtime-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}.out"))
}

async fn produce(topic: &str, records: &[(String, serde_json::Value)]) {
    let em = Emitter::new(&testing::kafka_brokers()).unwrap();
    for (key, value) in records {
        em.send(topic, Some(key.as_bytes()), Some(value.to_string().as_bytes()), &[]).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_consumer_loses_nothing_after_restart() {
    let topic = testing::unique("rt-crash");
    let group = testing::unique("g");
    testing::create_topics(&testing::kafka_brokers(), &[&topic, &format!("{topic}.dlq")], 1).await;
    let n = 120u64;
    let records: Vec<_> = (0..n).map(|i| ("k".to_string(), json!({"seq": i, "sleep_ms": 15}))).collect();
    produce(&topic, &records).await;
    let out = out_file(&topic);

    let p = Probe::start(&topic, &group, &out, &[]);
    wait_for(&out, |l| l.len() >= 40, Duration::from_secs(60)).await;
    p.kill9();
    let before = lines(&out).len();
    assert!(before < n as usize, "the probe should have been killed mid-batch ({before} of {n} handled)");

    let p = Probe::start(&topic, &group, &out, &[]);
    let l = wait_for(&out, |l| l.iter().map(|(_, s)| *s).collect::<BTreeSet<_>>().len() == n as usize, Duration::from_secs(120)).await;
    p.terminate();
    let seqs: BTreeSet<u64> = l.iter().map(|(_, s)| *s).collect();
    assert_eq!(seqs, (0..n).collect(), "every record handled at least once");
    // At-least-once: what was handled but not yet committed when it died is
    // redelivered; never more than the uncommitted window.
    let dupes = l.len() - n as usize;
    assert!(dupes <= before, "{dupes} redeliveries for {before} handled before the kill");

    // A restart after a clean stop redelivers nothing: offsets were committed.
    let p = Probe::start(&topic, &group, &out, &[]);
    tokio::time::sleep(Duration::from_secs(4)).await;
    p.terminate();
    assert_eq!(lines(&out).len(), l.len(), "nothing is redelivered after a clean shutdown");
}

#[tokio::test(flavor = "multi_thread")]
async fn poison_goes_to_dlq_retries_recover_and_later_records_flow() {
    let topic = testing::unique("rt-dlq");
    let dlq = format!("{topic}.dlq");
    let group = testing::unique("g");
    testing::create_topics(&testing::kafka_brokers(), &[&topic, &dlq], 1).await;
    produce(
        &topic,
        &[
            ("a".into(), json!({"seq": 1})),
            ("b".into(), json!({"seq": 2, "poison": true})),
            ("c".into(), json!({"seq": 3, "fail_times": 2})),
            ("d".into(), json!({"seq": 4, "fail_times": 50})),
            ("e".into(), json!({"seq": 5})),
        ],
    )
    .await;
    let out = out_file(&topic);
    let p = Probe::start(&topic, &group, &out, &[("KAFKA_MAX_RETRIES", "3"), ("KAFKA_RETRY_BACKOFF_MS", "20"), ("KAFKA_RETRY_BACKOFF_MAX_MS", "100")]);
    let l = wait_for(&out, |l| l.iter().any(|(_, s)| *s == 5), Duration::from_secs(60)).await;
    p.terminate();
    let seqs: Vec<u64> = l.iter().map(|(_, s)| *s).collect();
    assert_eq!(seqs, vec![1, 3, 5], "the flaky record succeeds after retries; poison and exhausted records do not block the rest");

    // Both failures are in the DLQ with their reasons and coordinates.
    let c = reader(&dlq, "dlq-reader");
    let mut got = BTreeMap::new();
    let t = Instant::now();
    while got.len() < 2 && t.elapsed() < Duration::from_secs(30) {
        if let Ok(Ok(m)) = tokio::time::timeout(Duration::from_secs(5), c.recv()).await {
            let h: BTreeMap<String, String> = m
                .headers()
                .map(|hs| hs.iter().map(|h| (h.key.to_string(), String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned())).collect())
                .unwrap_or_default();
            let key = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
            got.insert(key, (h, m.payload().map(<[u8]>::to_vec)));
        }
    }
    let (b, b_value) = got.get("b").expect("poison record dead-lettered");
    assert_eq!(b["dlq_status"], "400");
    assert_eq!(b["dlq_error"], "poison record");
    assert_eq!(b["dlq_topic"], topic);
    assert_eq!(b["dlq_offset"], "1");
    assert_eq!(serde_json::from_slice::<serde_json::Value>(b_value.as_ref().unwrap()).unwrap()["seq"], 2, "original value kept");
    let (d, _) = got.get("d").expect("exhausted record dead-lettered");
    assert_eq!(d["dlq_status"], "503");
    assert_eq!(d["dlq_attempts"], "4");
    assert!(d["dlq_error"].contains("flaky dependency"));

    // The operator's view and replay of the DLQ.
    let dlq_cmd = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_examfn"))
            .args(["dlq", &topic, "--brokers", &testing::kafka_brokers()])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "examfn dlq: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let listing = dlq_cmd(&[]);
    assert!(listing.contains("poison record") && listing.contains("2 record(s) in"), "{listing}");
    assert!(dlq_cmd(&["--replay"]).contains("2 record(s) replayed"));
    assert!(dlq_cmd(&["--replay"]).contains("0 record(s) replayed"), "a second replay sends nothing again");
    // The replayed records are back on the topic, without the dlq_ headers.
    let c = reader(&topic, "replay-reader");
    let mut replayed = Vec::new();
    let t = Instant::now();
    while replayed.len() < 2 && t.elapsed() < Duration::from_secs(30) {
        if let Ok(Ok(m)) = tokio::time::timeout(Duration::from_secs(5), c.recv()).await {
            if m.offset() >= 5 {
                assert!(m.headers().is_none_or(|hs| hs.iter().all(|h| !h.key.starts_with("dlq_"))));
                replayed.push(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned());
            }
        }
    }
    replayed.sort();
    assert_eq!(replayed, vec!["b", "d"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn order_is_kept_per_partition() {
    let topic = testing::unique("rt-order");
    let group = testing::unique("g");
    testing::create_topics(&testing::kafka_brokers(), &[&topic, &format!("{topic}.dlq")], 3).await;
    // Explicit partitions, interleaved, so every partition holds a sequence.
    let producer: rdkafka::producer::FutureProducer =
        ClientConfig::new().set("bootstrap.servers", testing::kafka_brokers()).create().unwrap();
    for i in 0..80u64 {
        let value = json!({"seq": i}).to_string();
        let rec = rdkafka::producer::FutureRecord::<str, str>::to(&topic).partition((i % 3) as i32).key("k").payload(&value);
        producer.send(rec, Duration::from_secs(10)).await.map_err(|(e, _)| e).unwrap();
    }
    let out = out_file(&topic);
    let p = Probe::start(&topic, &group, &out, &[]);
    let l = wait_for(&out, |l| l.len() >= 80, Duration::from_secs(60)).await;
    p.terminate();
    // Group by partition (from the event id) and check offsets and seqs rise.
    let mut by_partition: BTreeMap<String, Vec<(i64, u64)>> = BTreeMap::new();
    for (id, seq) in &l {
        let (p, o) = id.trim_start_matches("partition:").split_once("/offset:").unwrap();
        by_partition.entry(p.to_string()).or_default().push((o.parse().unwrap(), *seq));
    }
    assert_eq!(by_partition.len(), 3, "every partition was consumed: {:?}", by_partition.keys());
    for (p, v) in by_partition {
        assert!(v.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1), "partition {p} out of order: {v:?}");
    }
}
