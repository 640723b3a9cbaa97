//! CPU cost of score-calc's own work per envelope, on one thread: record →
//! KafkaSource-shaped CloudEvent → Debezium parse → claim → scoreboard →
//! score card → email CloudEvent serialised for Kafka. MongoDB and the broker
//! are replaced by in-memory stand-ins, so this is the function's ceiling,
//! not an end-to-end figure (see bench/score-calc/README.md).
//!
//!     taskset -c 0 cargo run --release -p examfn-score-calc --example inproc -- 100000

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use examfn_domain::scorecard::{ResultSummary, Scoreboard};
use examfn_runtime::cloudevents::Event;
use examfn_runtime::event::{from_kafka, to_kafka, KafkaRecord};
use examfn_runtime::{FnError, Handler};
use examfn_score_calc::{Claim, Ledger, Mailer, Policy, ScoreCalc};

#[derive(Default)]
struct MemLedger {
    states: Mutex<HashMap<String, bool>>,
    boards: Mutex<HashMap<String, Scoreboard>>,
}

impl Ledger for MemLedger {
    async fn claim(&self, id: &str, _s: &ResultSummary) -> Result<Claim, FnError> {
        let mut st = self.states.lock().unwrap();
        Ok(match st.get(id) {
            Some(true) => Claim::Sent,
            Some(false) => Claim::Pending,
            None => {
                st.insert(id.to_string(), false);
                Claim::New
            }
        })
    }
    async fn count(&self, s: &ResultSummary) -> Result<(), FnError> {
        let mut b = self.boards.lock().unwrap();
        for id in [s.exam.as_str(), "*"] {
            b.entry(id.to_string()).or_insert_with(|| Scoreboard::new(id)).add(s);
        }
        Ok(())
    }
    async fn mark_sent(&self, id: &str) -> Result<(), FnError> {
        self.states.lock().unwrap().insert(id.to_string(), true);
        Ok(())
    }
    async fn ready(&self) -> Result<(), String> {
        Ok(())
    }
}

struct MemMailer(Mutex<usize>);

impl Mailer for MemMailer {
    async fn send(&self, _key: &str, event: &Event) -> Result<(), FnError> {
        let (headers, value) = to_kafka(event);
        *self.0.lock().unwrap() += headers.len() + value.map_or(0, |v| v.len());
        Ok(())
    }
}

fn record(i: usize) -> KafkaRecord {
    let oid = format!("{:08x}{:016x}", 0x66a2_79b8u32, i);
    let details: Vec<serde_json::Value> = (0..5)
        .map(|q| serde_json::json!({"question": format!("Question {q} of the lecture?"), "user_answer": "A",
                                     "correct_answer": if q < i % 6 { "A" } else { "B" }, "is_correct": q < i % 6}))
        .collect();
    let doc = serde_json::json!({"_id": {"$oid": oid}, "email": format!("s{}@example.org", i % 50), "score": i % 6,
        "result": if i % 6 >= 3 { "passed" } else { "failed" }, "details": details, "exam": format!("lecture{}.json", i % 4),
        "percentage": (i % 6) * 20});
    let value = serde_json::json!({"schema": {"type": "struct"}, "payload": {"before": null, "after": doc.to_string(),
        "updateDescription": null, "source": {"version": "2.7.0.Final", "connector": "mongodb", "name": "mongo-trigger-topic",
        "ts_ms": 1, "snapshot": "false", "db": "exams", "rs": "rs0", "collection": "score", "ord": 1},
        "op": "c", "ts_ms": 1, "transaction": null}});
    KafkaRecord {
        topic: "mongo-trigger-topic.exams.score".into(),
        partition: 0,
        offset: i as i64,
        key: Some(format!("{{\"id\":\"{{\\\"$oid\\\": \\\"{oid}\\\"}}\"}}").into_bytes()),
        value: Some(value.to_string().into_bytes()),
        headers: vec![],
        timestamp_ms: Some(1),
    }
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let records: Vec<KafkaRecord> = (0..n).map(record).collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let h = ScoreCalc { ledger: MemLedger::default(), mailer: MemMailer(Mutex::new(0)), policy: Policy::default() };
    let started = Instant::now();
    rt.block_on(async {
        for r in &records {
            let ev = from_kafka(r, "local", "score-calc").unwrap();
            h.handle(ev).await.unwrap();
        }
    });
    let took = started.elapsed().as_secs_f64();
    let boards = h.ledger.boards.lock().unwrap();
    assert_eq!(boards["*"].attempts as usize, n);
    println!(
        "{{\"bench\":\"score-calc-inproc\",\"n\":{n},\"seconds\":{took:.3},\"events_per_s\":{:.0},\"us_per_event\":{:.2}}}",
        n as f64 / took,
        took * 1e6 / n as f64
    );
}
