//! A whole local platform inside the test: the real servers (tansu,
//! MongoDB, s3s-fs + the notification bridge, aiosmtpd) on free ports with a
//! fresh data dir, and every function as a real `examfn run <fn>` process,
//! wired exactly as `examfn up` wires them. Unlike `up`, the test holds every
//! process, so it can stop a server for a while, SIGKILL a function
//! mid-event, start either again on the same port and data dir, and sample
//! their memory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use examfn::platform::{self, UpOptions};
use examfn::procs::{free_port, Proc};
use examfn::servers::{self, Secrets, ServerPorts, Servers};
use examfn_domain::names;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

pub const EXE: &str = env!("CARGO_BIN_EXE_examfn");
pub const EDUCATOR: &str = "educator@examfn.local";

/// The consumer group of each Kafka-fed function and the topic it reads.
pub const GROUPS: [(&str, &str); 3] =
    [("exam-gen", names::EXAM_GENERATOR_TOPIC), ("score-calc", names::SCORE_CDC_TOPIC), ("email", names::EMAIL_TOPIC)];

/// `n` consecutive free ports below the ephemeral range.
fn free_port_block(n: u16) -> u16 {
    for _ in 0..500 {
        let base = free_port().expect("a free port");
        if base + n < 32000 && (0..n).all(|k| std::net::TcpListener::bind(("127.0.0.1", base + k)).is_ok()) {
            return base;
        }
    }
    panic!("no block of {n} free ports");
}

pub struct Platform {
    pub data: PathBuf,
    pub o: UpOptions,
    pub servers: Servers,
    pub secrets: Secrets,
    /// name → (process, its environment).
    pub functions: BTreeMap<String, (Proc, BTreeMap<String, String>)>,
    /// Faults injected, for the report: "what" → count.
    pub faults: BTreeMap<String, u32>,
}

impl Platform {
    /// Start everything; `extra` is added to every function's environment.
    pub async fn start(tag: &str, extra: &[(&str, &str)]) -> Platform {
        let data = std::env::temp_dir().join(examfn_runtime::testing::unique(&format!("examfn-chaos-{tag}")));
        std::fs::create_dir_all(&data).unwrap();
        let data = data.canonicalize().unwrap();
        let http = free_port_block(5);
        let mut o = UpOptions::defaults(&data);
        o.data_dir = data.clone();
        o.http_port = http;
        o.educator = EDUCATOR.into();
        o.servers = ServerPorts {
            kafka: free_port().unwrap(),
            mongo: free_port().unwrap(),
            s3: free_port().unwrap(),
            s3_backend: free_port().unwrap(),
            smtp: free_port().unwrap(),
        };
        let secrets = Secrets::load_or_create(&data).unwrap();
        let cache = examfn::tools::Cache::from_env();
        let servers = servers::start(&cache, &data, o.servers, &secrets).await.expect("servers start");
        examfn::functions::prepare_local(&data, &servers.mongodb_uri, EDUCATOR).await.expect("prepare");
        let mut p = Platform { data, o, servers, secrets, functions: BTreeMap::new(), faults: BTreeMap::new() };
        for (name, topic) in platform::FUNCTIONS {
            let mut env = platform::function_env(name, topic, &p.o, &p.servers, &p.secrets);
            for (k, v) in extra {
                env.insert(k.to_string(), v.to_string());
            }
            let port = p.o.function_port(name);
            let proc = platform::spawn_function_with(Path::new(EXE), name, &env, &p.data.join("logs"), port).unwrap();
            p.functions.insert(name.to_string(), (proc, env));
            p.wait_function(name).await;
        }
        // cdc-relay opens its change stream right after it starts serving.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        p
    }

    async fn wait_function(&mut self, name: &str) {
        let (proc, _) = self.functions.get_mut(name).unwrap();
        proc.wait_port(Duration::from_secs(60)).await.unwrap_or_else(|e| panic!("{name}: {e:#}"));
    }

    pub fn ui(&self) -> String {
        format!("http://127.0.0.1:{}", self.o.http_port)
    }

    pub fn brokers(&self) -> String {
        self.servers.kafka.clone()
    }

    fn count(&mut self, what: String) {
        *self.faults.entry(what).or_default() += 1;
    }

    /// SIGKILL a function (a crash mid-event) and reap it.
    pub async fn kill_function(&mut self, name: &str) {
        let (proc, _) = self.functions.get_mut(name).unwrap();
        let _ = proc.child.kill().await;
        self.count(format!("SIGKILL {name}"));
    }

    /// Start a killed function again with the same environment and port.
    pub async fn start_function(&mut self, name: &str) {
        let (old, env) = self.functions.remove(name).unwrap();
        drop(old);
        let proc = platform::spawn_function_with(Path::new(EXE), name, &env, &self.data.join("logs"), self.o.function_port(name)).unwrap();
        self.functions.insert(name.to_string(), (proc, env));
        self.wait_function(name).await;
    }

    /// Stop a server (SIGTERM, as an operator or the OS would): an outage.
    pub async fn stop_server(&mut self, key: &str) {
        self.servers.stop_one(key, Duration::from_secs(10)).await.unwrap();
        self.count(format!("stop {key}"));
    }

    /// Start a stopped server again on its port and data dir.
    pub async fn start_server(&mut self, key: &str) {
        self.servers.start_one(key).await.unwrap_or_else(|e| panic!("restarting {key}: {e:#}"));
    }

    /// Every function still running (none crashed on its own).
    pub fn assert_functions_alive(&mut self) {
        for (name, (proc, _)) in self.functions.iter_mut() {
            if let Ok(Some(st)) = proc.child.try_wait() {
                panic!("{name} exited on its own ({st}); the end of its log:\n{}", examfn::procs::tail(&proc.log, 30));
            }
        }
    }

    /// Resident memory (kB) of every function process: name → VmRSS.
    pub fn rss_kb(&self) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for (name, (proc, _)) in &self.functions {
            if let Some(pid) = proc.pid() {
                let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                if let Some(kb) = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()) {
                    m.insert(name.clone(), kb);
                }
            }
        }
        m
    }

    pub async fn db(&self) -> mongodb::Database {
        mongodb::Client::with_uri_str(&self.servers.mongodb_uri).await.unwrap().database(names::DATABASE)
    }

    /// An S3 client on the public endpoint (the bridge, which notifies).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        examfn_runtime::s3::client(&examfn_runtime::s3::S3Config {
            endpoint: Some(self.servers.s3_endpoint.clone()),
            access_key: self.secrets.s3_access_key.clone(),
            secret_key: self.secrets.s3_secret_key.clone(),
            region: "us-east-1".into(),
            bucket: names::BUCKET.into(),
        })
    }

    pub fn token(&self, email: &str, role: &str) -> String {
        examfn::functions::token(&self.data, email, role, Duration::from_secs(3600)).unwrap()
    }

    /// Score cards in the Maildir: the examfn message id of each file
    /// (`X-Examfn-Message-Id`, e.g. `score-card:<result id>`) → files.
    pub fn mail_ids(&self) -> BTreeMap<String, usize> {
        self.mail_copies().into_iter().map(|(k, v)| (k, v.len())).collect()
    }

    /// Like [`Platform::mail_ids`], with the RFC 5322 `Message-ID` of each copy.
    pub fn mail_copies(&self) -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for sub in ["new", "cur"] {
            if let Ok(rd) = std::fs::read_dir(self.servers.maildir.join(sub)) {
                for e in rd.flatten() {
                    let raw = std::fs::read_to_string(e.path()).unwrap_or_default();
                    let head = raw.split("\r\n\r\n").next().unwrap_or("").split("\n\n").next().unwrap_or("");
                    let id = head
                        .lines()
                        .find_map(|l| l.strip_prefix("X-Examfn-Message-Id:"))
                        .map(|v| v.trim().to_string())
                        .unwrap_or_else(|| format!("<no id: {}>", e.path().display()));
                    let mid = head.lines().find_map(|l| l.strip_prefix("Message-ID:").or_else(|| l.strip_prefix("Message-Id:"))).unwrap_or("").trim().to_string();
                    m.entry(id).or_default().push(mid);
                }
            }
        }
        m
    }

    /// For each Kafka-fed function: (group, topic, committed offset, high
    /// watermark), summed over partitions.
    pub fn lags(&self) -> Vec<(String, String, i64, i64)> {
        let mut out = Vec::new();
        for (group, topic) in GROUPS {
            let c: BaseConsumer = ClientConfig::new().set("bootstrap.servers", self.brokers()).set("group.id", group).create().unwrap();
            let md = match c.fetch_metadata(Some(topic), Duration::from_secs(5)) {
                Ok(md) => md,
                Err(_) => {
                    out.push((group.into(), topic.into(), -1, -1));
                    continue;
                }
            };
            let parts = md.topics().iter().find(|t| t.name() == topic).map_or(0, |t| t.partitions().len()) as i32;
            let mut tpl = TopicPartitionList::new();
            for p in 0..parts {
                tpl.add_partition(topic, p);
            }
            let (mut committed, mut high) = (0i64, 0i64);
            let offsets = c.committed_offsets(tpl, Duration::from_secs(5));
            for p in 0..parts {
                let (_, hi) = c.fetch_watermarks(topic, p, Duration::from_secs(5)).unwrap_or((-1, -1));
                high += hi;
                let off = offsets.as_ref().ok().and_then(|t| t.find_partition(topic, p)).map(|e| e.offset());
                committed += match off {
                    Some(Offset::Offset(o)) => o,
                    _ => 0,
                };
            }
            out.push((group.into(), topic.into(), committed, high));
        }
        out
    }

    /// Wait (bounded) until every group has committed up to its topic's high
    /// watermark; panics naming the stuck ones.
    pub async fn wait_nothing_stuck(&self, within: Duration) -> Vec<(String, String, i64, i64)> {
        let t = Instant::now();
        loop {
            let lags = self.lags();
            if lags.iter().all(|(_, _, c, h)| c == h && *h >= 0) {
                return lags;
            }
            assert!(t.elapsed() < within, "a partition is stuck (group, topic, committed, high watermark): {lags:?}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Stop functions, then servers; remove the data dir.
    pub async fn shutdown(mut self) {
        for (_, (mut p, _)) in std::mem::take(&mut self.functions) {
            p.stop(Duration::from_secs(15)).await;
        }
        self.servers.stop().await;
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

impl Drop for Platform {
    /// A failed test leaves its data dir (logs, Maildir) for a look; its
    /// processes are killed by `Proc`'s kill-on-drop.
    fn drop(&mut self) {
        if !self.functions.is_empty() {
            eprintln!("chaos: the platform's data and logs are kept in {}", self.data.display());
        }
    }
}

/// Poll `f` until it returns Some, at most `within`.
pub async fn wait<T>(what: &str, within: Duration, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let t = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(t.elapsed() < within, "timed out after {within:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The result documents in `exams.score` of one exam: idempotency key →
/// result ids (`_id` hex) stored under it.
pub async fn stored_results(db: &mongodb::Database, exam: &str) -> BTreeMap<String, Vec<String>> {
    use mongodb::bson::{doc, Document};
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cur = db.collection::<Document>("score").find(doc! {"exam": exam}).await.unwrap();
    while cur.advance().await.unwrap() {
        let d: Document = cur.deserialize_current().unwrap();
        let key = d.get_str("idempotency_key").unwrap_or("<none>").to_string();
        let id = d.get_object_id("_id").map(|o| o.to_hex()).unwrap_or_default();
        m.entry(key).or_default().push(id);
    }
    m
}

/// Check the end state of a run of attempts: every accepted attempt stored
/// exactly once, each with exactly one score card, no result without a
/// card. Waits (bounded) for the cards. Returns (stored, cards, resent).
///
/// `resends_allowed`: when the email function is SIGKILLed after the SMTP
/// server accepted a message and before it recorded it as sent, the copy is
/// sent again after the 30 s claim lease (the documented at-least-once
/// window, functions/email/README.md): such a second copy must carry the
/// SAME `Message-ID`, so mail clients fold it into one. At most
/// `resends_allowed` of those are tolerated (0 when email was not killed).
pub async fn verify_attempts(p: &Platform, exam: &str, accepted: &BTreeSet<String>, within: Duration, resends_allowed: usize) -> (usize, usize, usize) {
    let db = p.db().await;
    let stored = wait("the results in exams.score", Duration::from_secs(30), async || {
        let s = stored_results(&db, exam).await;
        accepted.iter().all(|k| s.contains_key(k)).then_some(s)
    })
    .await;
    let doubled: Vec<_> = stored.iter().filter(|(_, ids)| ids.len() != 1).collect();
    assert!(doubled.is_empty(), "attempts stored more than once: {doubled:?}");
    let missing: Vec<_> = accepted.iter().filter(|k| !stored.contains_key(*k)).collect();
    assert!(missing.is_empty(), "accepted attempts not stored: {missing:?}");
    let want: BTreeSet<String> = stored.values().map(|ids| examfn_domain::scorecard::message_id(&ids[0])).collect();
    let t = Instant::now();
    loop {
        let cards = p.mail_ids();
        let have = want.iter().filter(|id| cards.contains_key(*id)).count();
        if have == want.len() {
            break;
        }
        assert!(
            t.elapsed() < within,
            "{} of {} results have no score card after {within:?}; e.g. {:?}",
            want.len() - have,
            want.len(),
            want.iter().filter(|id| !cards.contains_key(*id)).take(5).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Late copies would arrive within moments of the first.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cards = p.mail_copies();
    let twice: Vec<_> = cards.iter().filter(|(id, c)| want.contains(*id) && c.len() != 1).collect();
    let distinct_twice: Vec<_> = twice.iter().filter(|(_, c)| c.iter().collect::<BTreeSet<_>>().len() != 1).collect();
    assert!(distinct_twice.is_empty(), "score cards sent twice as different messages: {distinct_twice:?}");
    let resent: usize = twice.iter().map(|(_, c)| c.len() - 1).sum();
    assert!(resent <= resends_allowed, "score cards sent more than once: {twice:?}");
    if resent > 0 {
        eprintln!("    {resent} score card(s) re-sent with the same Message-ID after email was SIGKILLed mid-send: {twice:?}");
    }
    let strays: Vec<_> = cards.keys().filter(|id| id.starts_with("score-card:") && !want.contains(*id)).collect();
    assert!(strays.is_empty(), "score cards for results that are not stored: {strays:?}");
    (stored.len(), want.len(), resent)
}
