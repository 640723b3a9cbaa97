//! The whole platform, as a user runs it: `examfn up` on a fresh data dir
//! with free ports, then a lecture PDF uploaded through S3 becomes an exam
//! (bucket notification → Kafka → exam-gen), a student takes it through
//! take-exam's API with a token from `examfn token`, the result flows through
//! MongoDB → cdc-relay → score-calc → email into the SMTP server's Maildir as
//! exactly one score card, `examfn down` stops it cleanly, and a second `up`
//! on the same data dir keeps everything and sends nothing again.
//!
//! Both runs log at `RUST_LOG=debug` (functions, `up` itself; debug logs are
//! where credentials leak), and at the end no log file the platform wrote
//! holds any configured secret value.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use examfn_domain::exam::Exam;
use serde_json::{json, Value};

const EXE: &str = env!("CARGO_BIN_EXE_examfn");

fn free_port_block(n: u16) -> u16 {
    // A base port with n consecutive free ports after it, below the kernel's
    // ephemeral range (32768+), so no outgoing connection takes one of them
    // between this check and the moment `up` binds it.
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64 + std::process::id() as u64;
    for i in 0..500u64 {
        let base = 20000 + ((seed.wrapping_mul(2654435761).wrapping_add(i * 7919)) % 12000) as u16;
        if (0..n).all(|k| std::net::TcpListener::bind(("127.0.0.1", base + k)).is_ok()) {
            return base;
        }
    }
    panic!("no block of {n} free ports");
}

struct Up {
    child: Child,
    data: PathBuf,
}

impl Drop for Up {
    /// A failing test never leaves a platform running: SIGTERM lets `up`
    /// stop its children; SIGKILL only if it does not within 30 s.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(30) {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Up {
    fn start(data: &Path, ports: &[(&str, u16)], log: &str) -> Self {
        let _ = std::fs::remove_file(data.join("endpoints.json"));
        let log = std::fs::File::create(data.with_extension(log)).unwrap();
        let mut cmd = Command::new(EXE);
        cmd.arg("up").arg("--data-dir").arg(data).stdout(log.try_clone().unwrap()).stderr(log).stdin(Stdio::null());
        // `up` passes RUST_LOG on to the functions it starts.
        cmd.env("RUST_LOG", "debug");
        for (flag, port) in ports {
            cmd.arg(flag).arg(port.to_string());
        }
        let mut child = cmd.spawn().unwrap();
        let t = Instant::now();
        while !data.join("endpoints.json").exists() {
            if let Ok(Some(st)) = child.try_wait() {
                panic!("examfn up exited early ({st}); see {}", data.with_extension("log1").display());
            }
            assert!(t.elapsed() < Duration::from_secs(120), "examfn up did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, data: data.to_path_buf() }
    }

    fn endpoints(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.data.join("endpoints.json")).unwrap()).unwrap()
    }

    fn down(mut self) {
        let st = Command::new(EXE).arg("down").arg("--data-dir").arg(&self.data).status().unwrap();
        assert!(st.success(), "examfn down failed");
        let st = self.child.wait().unwrap();
        assert!(st.success(), "examfn up exited with {st} after down");
    }
}

fn lecture_pdf() -> Vec<u8> {
    let pages = vec![
        vec![
            "Introduction to Distributed Systems".to_string(),
            "A distributed system is a collection of independent computers that appears to its users as a single coherent system.".into(),
            "Leslie Lamport introduced logical clocks in 1978 to order events without a shared physical clock.".into(),
            "The CAP theorem states that a system cannot guarantee consistency, availability and partition tolerance at the same time.".into(),
            "Eric Brewer presented the CAP conjecture in 2000 at the PODC symposium.".into(),
        ],
        vec![
            "Consensus".to_string(),
            "Paxos is a family of protocols for solving consensus in a network of unreliable processors.".into(),
            "Raft was designed in 2014 by Diego Ongaro and John Ousterhout to be easier to understand than Paxos.".into(),
            "A Raft cluster of five servers tolerates the failure of two servers.".into(),
            "Kafka stores records in partitions, and each partition is an ordered, immutable log.".into(),
            "Replication copies each partition to several brokers so that data survives the loss of a broker.".into(),
        ],
        vec![
            "Storage".to_string(),
            "Cassandra is a wide-column store that was developed at Facebook and released in 2008.".into(),
            "MongoDB stores documents in collections and groups replicas into a replica set.".into(),
            "Zookeeper is a coordination service that keeps configuration and naming for distributed applications.".into(),
            "A vector clock assigns each process a counter and detects concurrent updates.".into(),
            "Two-phase commit coordinates an atomic transaction across several participants.".into(),
            "The Byzantine generals problem was described by Lamport, Shostak and Pease in 1982.".into(),
        ],
    ];
    examfn_questions::extract::pdf::write_text_pdf(&pages)
}

fn s3(endpoints: &Value, data: &Path) -> aws_sdk_s3::Client {
    let secrets: Value = serde_json::from_str(&std::fs::read_to_string(data.join("secrets.json")).unwrap()).unwrap();
    examfn_runtime::s3::client(&examfn_runtime::s3::S3Config {
        endpoint: Some(endpoints["s3"]["endpoint"].as_str().unwrap().to_string()),
        access_key: secrets["s3_access_key"].as_str().unwrap().into(),
        secret_key: secrets["s3_secret_key"].as_str().unwrap().into(),
        region: "us-east-1".into(),
        bucket: "exams".into(),
    })
}

fn token(data: &Path, email: &str, role: &str) -> String {
    let out = Command::new(EXE).args(["token", "--email", email, "--role", role, "--data-dir"]).arg(data).output().unwrap();
    assert!(out.status.success(), "examfn token: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Messages in the Maildir: (headers+body text).
fn mails(data: &Path) -> Vec<String> {
    let mut v = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(rd) = std::fs::read_dir(data.join("mail").join(sub)) {
            for e in rd.flatten() {
                let raw = std::fs::read_to_string(e.path()).unwrap_or_default().replace("\r\n", "\n");
                v.push(if raw.contains("Content-Transfer-Encoding: quoted-printable") { quoted_printable(&raw) } else { raw });
            }
        }
    }
    v
}

/// Undo quoted-printable (soft line breaks and `=XX`), enough to read a body.
fn quoted_printable(s: &str) -> String {
    let s = s.replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn score_cards_for(data: &Path, student: &str) -> Vec<String> {
    mails(data)
        .into_iter()
        .filter(|m| m.contains("Subject: Exam-Generator - Score Card") && m.contains(&format!("Student: {student}")))
        .collect()
}

async fn wait<T>(what: &str, within: Duration, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let t = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(t.elapsed() < within, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_to_score_card_through_the_whole_platform() {
    let data = std::env::temp_dir().join(format!("examfn-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).unwrap();
    let servers = free_port_block(7);
    let http = free_port_block(5);
    let ports = [
        ("--kafka-port", servers),
        ("--mongo-port", servers + 1),
        ("--s3-port", servers + 2), // + 3 for the S3 backend
        ("--smtp-port", servers + 4),
        ("--http-port", http),
    ];
    let up = Up::start(&data, &ports, "log1");
    let e = up.endpoints();
    let ui = e["ui"].as_str().unwrap().trim_end_matches('/').to_string();
    for f in ["exam-gen", "take-exam", "score-calc", "email", "cdc-relay"] {
        assert!(e["functions"][f]["url"].is_string(), "endpoints.json lists {f}");
    }
    assert!(e["kafka"]["bootstrap"].is_string() && e["mongodb"]["uri"].is_string() && e["smtp"]["address"].is_string());

    // 1. An educator uploads a lecture with the AWS original's metadata.
    let s3 = s3(&e, &data);
    s3.put_object()
        .bucket("exams")
        .key("exams/Distributed Systems.pdf")
        .body(ByteStream::from(lecture_pdf()))
        .content_type("application/pdf")
        .metadata("n_mcq", "3")
        .metadata("n_tfq", "2")
        .metadata("n_mcq_options", "4")
        .send()
        .await
        .unwrap();

    // 2. The exam appears in questions_bank/ in the AWS format.
    let exam: Exam = wait("the generated exam", Duration::from_secs(60), async || {
        let o = s3.get_object().bucket("exams").key("questions_bank/Distributed Systems.json").send().await.ok()?;
        Some(serde_json::from_slice(&o.body.collect().await.ok()?.into_bytes()).unwrap())
    })
    .await;
    assert_eq!(exam.len(), 5, "3 multiple-choice + 2 true/false: {exam:?}");
    assert_eq!(exam.iter().filter(|q| q.is_true_false()).count(), 2);
    for q in exam.iter().filter(|q| !q.is_true_false()) {
        assert_eq!(q.options.len(), 4);
        assert!(q.options.contains(&q.correct_answer));
    }

    // 3. A generated exam is a draft: students do not see it until an educator publishes it.
    let http = reqwest::Client::new();
    let student = "ada@students.examfn.local";
    let tok = token(&data, student, "student");
    let list: Value = http.get(format!("{ui}/exam")).bearer_auth(&tok).send().await.unwrap().json().await.unwrap();
    assert!(!list.as_array().unwrap().iter().any(|n| n == "Distributed Systems.json"), "a draft is listed: {list}");
    let ed = token(&data, "educator@examfn.local", "educator");
    let r = http.post(format!("{ui}/educator/exams/Distributed%20Systems.json/publish")).bearer_auth(&ed).send().await.unwrap();
    assert_eq!(r.status(), 200, "publish: {}", r.text().await.unwrap_or_default());

    // 4. The student lists and opens it (no answers), then submits.
    let list: Value = http.get(format!("{ui}/exam")).bearer_auth(&tok).send().await.unwrap().json().await.unwrap();
    assert!(list.as_array().unwrap().iter().any(|n| n == "Distributed Systems.json"), "{list}");
    let view: Value = http
        .get(format!("{ui}/exam"))
        .query(&[("object_name", "Distributed Systems.json")])
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!view.to_string().contains("correct_answer"), "a student never receives the answers: {view}");
    // Three right, two wrong: 60 %, passed.
    let answers: Vec<String> = exam
        .iter()
        .enumerate()
        .map(|(i, q)| if i < 3 { q.correct_answer.clone() } else { q.options.iter().find(|o| **o != q.correct_answer).unwrap().clone() })
        .collect();
    let url = format!("{ui}/exam/Distributed%20Systems.json/attempts");
    let mut first = Value::Null;
    for _ in 0..2 {
        // A double click: the same Idempotency-Key twice.
        let r = http.post(&url).bearer_auth(&tok).header("Idempotency-Key", "e2e-attempt-1").json(&json!({"answers": answers})).send().await.unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::CREATED, "submit: {}", r.status());
        let replayed = r.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap_or("").to_string());
        let body: Value = r.json().await.unwrap();
        if first.is_null() {
            assert_eq!(replayed, None, "the first submit is not a replay");
            first = body;
        } else {
            assert_eq!(replayed.as_deref(), Some("true"), "the retry is marked as a replay");
            assert_eq!(body, first, "the retry returns the first result");
        }
    }
    assert_eq!(first["score"], 3);
    assert_eq!(first["result"], "passed");

    // 5. Exactly one score card reaches the subscribed educator, with the original text.
    let card = wait("the score card in the Maildir", Duration::from_secs(60), async || score_cards_for(&data, student).into_iter().next()).await;
    assert!(card.contains("To: educator@examfn.local"), "{card}");
    assert!(card.contains(&format!("Exam-Generator - Score Card\n\nStudent: {student}\nScore: 3\nResult: PASSED\n\nExam Details:\n")), "{card}");
    assert!(card.contains(&format!("- Question: {}\n  Your Answer: {} (Correct)\n  Correct Answer: {}\n", exam[0].question, exam[0].correct_answer, exam[0].correct_answer)), "{card}");
    wait("the exam-ready notice", Duration::from_secs(30), async || {
        mails(&data).into_iter().find(|m| m.contains("Distributed Systems") && !m.contains("Score Card"))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(score_cards_for(&data, student).len(), 1, "one score card per attempt");
    let mail_count = mails(&data).len();

    // 6. Stop, start again on the same data dir: everything kept, nothing resent.
    up.down();
    let up = Up::start(&data, &ports, "log2");
    let tok = token(&data, student, "student");
    let list: Value = wait("take-exam after restart", Duration::from_secs(30), async || {
        http.get(format!("{ui}/exam")).bearer_auth(&tok).send().await.ok()?.json().await.ok()
    })
    .await;
    assert!(list.as_array().unwrap().iter().any(|n| n == "Distributed Systems.json"), "uploads survive a restart: {list}");
    let mine: Value = http.get(format!("{ui}/me/attempts")).bearer_auth(&tok).send().await.unwrap().json().await.unwrap();
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "one stored attempt: {mine}");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(mails(&data).len(), mail_count, "a restart sends nothing again");
    up.down();

    // 7. No log holds a secret.
    let secrets = secret_values(&data);
    let logs = log_files(&data);
    assert!(logs.len() >= 8, "the functions', the servers' and up's logs: {logs:?}");
    let mut leaks = Vec::new();
    let mut bytes = 0usize;
    for path in &logs {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        bytes += text.len();
        for (what, value) in &secrets {
            if let Some(at) = text.find(value.as_str()) {
                let line = text[..at].matches('\n').count() + 1;
                leaks.push(format!("{what} in {}:{line}", path.display()));
            }
        }
    }
    println!("secrets check: {} log files, {bytes} bytes at RUST_LOG=debug, {} secret values/forms", logs.len(), secrets.len());
    assert!(bytes > 10_000, "debug logs were written ({bytes} bytes)");
    assert!(leaks.is_empty(), "secrets in the logs: {leaks:#?}");
    let _ = std::fs::remove_dir_all(&data);
    for ext in ["log1", "log2"] {
        let _ = std::fs::remove_file(data.with_extension(ext));
    }
}

/// Every configured secret value, in the forms it could be printed in.
fn secret_values(data: &Path) -> Vec<(String, String)> {
    let secrets: Value = serde_json::from_str(&std::fs::read_to_string(data.join("secrets.json")).unwrap()).unwrap();
    let mut out = Vec::new();
    for k in ["s3_secret_key", "kratos_webhook_secret", "unsubscribe_secret"] {
        let v = secrets[k].as_str().unwrap_or_else(|| panic!("secrets.json has {k}")).to_string();
        assert!(v.len() >= 16, "{k} is a real secret");
        out.push((k.to_string(), v));
    }
    // The dev signing key (PKCS#8 DER): whole, and its 32-byte Ed25519 seed,
    // as hex and base64 (standard and URL-safe), and a PEM body line.
    let dir = data.join("dev-auth");
    let mut found_key = false;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") || name.starts_with('.') {
            continue;
        }
        let der = std::fs::read(e.path()).unwrap();
        found_key = true;
        let seed = der.windows(2).position(|w| w == [0x04, 0x20]).map(|i| der[i + 2..(i + 34).min(der.len())].to_vec());
        for (part, bytes) in [("key", Some(der.clone())), ("key seed", seed)] {
            let Some(b) = bytes else { continue };
            out.push((format!("{name} {part} (hex)"), b.iter().map(|x| format!("{x:02x}")).collect()));
            let std64 = base64(&b, false);
            out.push((format!("{name} {part} (base64url)"), base64(&b, true)));
            out.push((format!("{name} {part} (PEM line)"), std64.chars().take(64).collect()));
            out.push((format!("{name} {part} (base64)"), std64));
        }
    }
    assert!(found_key, "the dev private key in {}", dir.display());
    for k in ["MAILGUN_API_KEY", "MAILGUN_WEBHOOK_SIGNING_KEY", "LLM_API_KEY"] {
        if let Ok(v) = std::env::var(k) {
            if v.len() >= 8 {
                out.push((k.to_string(), v));
            }
        }
    }
    out
}

fn base64(b: &[u8], url: bool) -> String {
    let abc: &[u8] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..=c.len() {
            out.push(abc[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Every log the platform wrote: the data dir's `logs/` (functions and
/// servers) and anything else named `*.log` in it, plus `up`'s own output.
fn log_files(data: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, in_logs: bool, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, in_logs || p.file_name().is_some_and(|n| n == "logs"), out);
            } else if in_logs || p.extension().is_some_and(|x| x == "log") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(data, false, &mut out);
    for ext in ["log1", "log2"] {
        let p = data.with_extension(ext);
        if p.exists() {
            out.push(p);
        }
    }
    out
}
