//! Students taking an exam through take-exam's API as the web UI does: one
//! `Idempotency-Key` per attempt, and a submit that fails with a 5xx or a
//! connection error is sent again with the SAME key until it is accepted.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The exam the students take: `questions_bank/<EXAM>`.
pub const EXAM: &str = "chaos.json";

/// Four questions; written straight to S3 (exam-gen is not under test here).
pub fn exam_json() -> Value {
    json!([
        {"question": "Which protocol did Ongaro and Ousterhout design?", "options": ["Raft", "Paxos", "Zab", "Gossip"], "correct_answer": "Raft"},
        {"question": "Kafka partitions are ordered, immutable logs.", "options": ["True", "False"], "correct_answer": "True"},
        {"question": "How many failures does a five-server Raft cluster tolerate?", "options": ["1", "2", "3", "4"], "correct_answer": "2"},
        {"question": "MongoDB groups replicas into a replica set.", "options": ["True", "False"], "correct_answer": "True"}
    ])
}

/// Answers for attempt `n`: a mix of right and wrong ones.
pub fn answers(n: usize) -> Vec<String> {
    let exam = exam_json();
    exam.as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let opts = q["options"].as_array().unwrap();
            opts[(n + i) % opts.len()].as_str().unwrap().to_string()
        })
        .collect()
}

pub async fn put_exam(s3: &aws_sdk_s3::Client) {
    s3.put_object()
        .bucket("exams")
        .key(format!("questions_bank/{EXAM}"))
        .body(aws_sdk_s3::primitives::ByteStream::from(serde_json::to_vec(&exam_json()).unwrap()))
        .content_type("application/json")
        .send()
        .await
        .expect("writing the exam");
}

#[derive(Debug, Default)]
pub struct Stats {
    /// Idempotency keys of accepted (2xx) attempts.
    pub accepted: BTreeSet<String>,
    /// Submits answered with `Idempotent-Replayed: true` (a retry whose first try had been stored).
    pub replayed: usize,
    /// Milliseconds from the first try of an attempt to its acceptance.
    pub latency_ms: Vec<f64>,
    /// Milliseconds of single successful requests.
    pub request_ms: Vec<f64>,
    /// Retries after a 5xx or a connection error.
    pub retries: usize,
    /// Anything else: 4xx, unparsable bodies, attempts given up.
    pub errors: Vec<String>,
}

impl Stats {
    fn merge(&mut self, o: Stats) {
        self.accepted.extend(o.accepted);
        self.replayed += o.replayed;
        self.latency_ms.extend(o.latency_ms);
        self.request_ms.extend(o.request_ms);
        self.retries += o.retries;
        self.errors.extend(o.errors);
    }
}

/// The p-th percentile (0..=100) of `v`.
pub fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let i = ((p / 100.0) * (s.len() - 1) as f64).round() as usize;
    s[i.min(s.len() - 1)]
}

/// Run `n` students until `stop` turns true; each waits `think` between
/// attempts. An attempt in flight when `stop` turns is finished.
/// `give_up` bounds the retries of one attempt.
pub async fn run(ui: String, tokens: Vec<(String, String)>, think: Duration, give_up: Duration, stop: Arc<AtomicBool>) -> Stats {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).pool_max_idle_per_host(tokens.len()).build().unwrap();
    let url = format!("{ui}/exam/{EXAM}/attempts");
    let mut tasks = Vec::new();
    for (email, token) in tokens {
        let (http, url, stop) = (http.clone(), url.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut st = Stats::default();
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let key = format!("{email}#{n}");
                let body = json!({"answers": answers(n)});
                let first = Instant::now();
                loop {
                    let t = Instant::now();
                    let r = http.post(&url).bearer_auth(&token).header("Idempotency-Key", &key).json(&body).send().await;
                    let retry = match r {
                        Ok(resp) if resp.status().is_success() => {
                            let status = resp.status();
                            let replayed = resp.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
                            match resp.json::<Value>().await {
                                Ok(v) if v["attempt_id"].is_string() => {
                                    st.request_ms.push(t.elapsed().as_secs_f64() * 1e3);
                                    st.latency_ms.push(first.elapsed().as_secs_f64() * 1e3);
                                    if replayed {
                                        st.replayed += 1;
                                    }
                                    st.accepted.insert(key.clone());
                                    false
                                }
                                Ok(v) => {
                                    st.errors.push(format!("{key}: {status} without attempt_id: {v}"));
                                    false
                                }
                                // The body was lost on the way: try again, same key.
                                Err(_) => true,
                            }
                        }
                        Ok(resp) if resp.status().is_server_error() => true,
                        Ok(resp) => {
                            let s = resp.status();
                            st.errors.push(format!("{key}: {s} {}", resp.text().await.unwrap_or_default()));
                            false
                        }
                        Err(_) => true,
                    };
                    if !retry {
                        break;
                    }
                    st.retries += 1;
                    if first.elapsed() > give_up {
                        st.errors.push(format!("{key}: gave up after {give_up:?} of retries"));
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                if !think.is_zero() {
                    tokio::time::sleep(think).await;
                }
            }
            st
        }));
    }
    let mut all = Stats::default();
    for t in tasks {
        all.merge(t.await.unwrap());
    }
    all
}

/// `n` students with tokens.
pub fn students(p: &super::harness::Platform, n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let email = format!("student{i}@students.examfn.local");
            let tok = p.token(&email, "student");
            (email, tok)
        })
        .collect()
}
