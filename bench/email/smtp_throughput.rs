//! Email delivery benchmark (not a test): messages/s and per-message latency
//! against the real local SMTP server (aiosmtpd writing a Maildir) and MongoDB.
//!
//! Run (release profile), with the servers' addresses exported as for the
//! tests (`EXAMFN_TEST_SMTP`, `EXAMFN_TEST_MONGODB_URI`; see README.md):
//!
//! ```text
//! cargo bench -p examfn-email --bench smtp_throughput -- [N]
//! ```
//!
//! Scenarios:
//! 1. `smtp raw`: the SMTP provider alone (`Mailer::send`, pooled connections),
//!    one message at a time: the SMTP server's cost per message.
//! 2. `handler, 1 recipient`: the whole handler per event (parse, subscribers
//!    lookup, sent-log claim, SMTP, sent-log mark), one event at a time.
//! 3. `handler, 4 events in parallel`.
//! 4. `fan-out 20 subscribers`: one event to 20 subscribers, per-recipient
//!    (4 sends in flight) vs one Bcc message.

use std::sync::Arc;
use std::time::{Duration, Instant};

use examfn_domain::email::EmailMessage;
use examfn_domain::names::EMAIL_EVENT_TYPE;
use examfn_email::config::{DeliveryMode, ProviderConfig, Secret, SmtpConfig, SmtpTls};
use examfn_email::mailer::{Addressing, Outgoing};
use examfn_email::{EmailFn, Mailer, Settings};
use examfn_runtime::{testing, Handler};
use futures::StreamExt;

fn mailer() -> Mailer {
    let (addr, _) = testing::smtp();
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    Mailer::from_config(&ProviderConfig::Smtp(SmtpConfig {
        host: host.into(),
        port: port.parse().expect("port"),
        tls: SmtpTls::None,
        credentials: None,
        timeout: Duration::from_secs(10),
    }))
    .expect("mailer")
}

fn settings(mode: DeliveryMode) -> Settings {
    Settings {
        from: "Exam-Generator <no-reply@examfn.local>".into(),
        from_domain: "examfn.local".into(),
        mode,
        unsubscribe_secret: Secret::new("bench-unsubscribe-secret-0123456789"),
        public_base_url: "http://localhost:8080".into(),
        kratos_webhook_secret: None,
    }
}

const CARD: &str = "Exam-Generator - Score Card\n\nStudent: student@examfn.test\nScore: 4\nResult: PASSED\n\nExam Details:\n\
- Question: Which country of those countries located in balkans ?\n  Your Answer: Romania (Correct)\n  Correct Answer: Romania\n\n";

fn msg(id: String) -> EmailMessage {
    serde_json::from_value(serde_json::json!({"message_id": id, "subject": "Exam-Generator - Score Card", "text": CARD}))
        .expect("valid")
}

fn event(m: &EmailMessage) -> examfn_runtime::cloudevents::Event {
    examfn_runtime::event::json_event(
        format!("ev-{}", m.message_id),
        EMAIL_EVENT_TYPE,
        "/bench",
        None,
        serde_json::to_value(m).expect("json"),
    )
}

struct Stats {
    name: String,
    messages: usize,
    wall: Duration,
    lat: Vec<Duration>,
}

impl Stats {
    fn print(&mut self) {
        self.lat.sort();
        let q = |p: f64| {
            let i = ((self.lat.len() as f64 - 1.0) * p).round() as usize;
            self.lat[i].as_secs_f64() * 1e3
        };
        println!(
            "{:<44} {:>6} msgs {:>9.1} msg/s   latency ms: p50 {:>6.2}  p95 {:>6.2}  max {:>6.2}",
            self.name,
            self.messages,
            self.messages as f64 / self.wall.as_secs_f64(),
            q(0.5),
            q(0.95),
            q(1.0)
        );
    }
}

async fn fresh_db() -> mongodb::Database {
    let client = mongodb::Client::with_uri_str(testing::mongodb_uri())
        .await
        .expect("mongodb");
    client.database(&testing::unique("emailbench").replace('-', "_"))
}

async fn subscribe_n(db: &mongodb::Database, n: usize) {
    for i in 0..n {
        examfn_email::subscribe(db, &format!("educator{i}@bench.examfn.test"))
            .await
            .expect("subscribe");
    }
}

async fn run(n: usize) {
    let run_id = testing::unique("b");
    // 1. Raw SMTP.
    let m = mailer();
    let f0 = EmailFn::new(
        fresh_db().await,
        m.clone(),
        settings(DeliveryMode::PerRecipient),
    );
    let mut lat = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let out: Outgoing = f0.render(
            &msg(format!("raw:{run_id}:{i}")),
            Addressing::To("educator@bench.examfn.test".into()),
        );
        let t = Instant::now();
        m.send(&out).await.expect("sent");
        lat.push(t.elapsed());
    }
    Stats {
        name: "smtp raw (provider only), sequential".into(),
        messages: n,
        wall: started.elapsed(),
        lat,
    }
    .print();

    // 2. Handler, sequential.
    let db = fresh_db().await;
    subscribe_n(&db, 1).await;
    let f = Arc::new(EmailFn::new(
        db.clone(),
        m.clone(),
        settings(DeliveryMode::PerRecipient),
    ));
    f.handle(event(&msg(format!("warm:{run_id}"))))
        .await
        .expect("warm-up");
    let mut lat = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let ev = event(&msg(format!("seq:{run_id}:{i}")));
        let t = Instant::now();
        f.handle(ev).await.expect("delivered");
        lat.push(t.elapsed());
    }
    Stats {
        name: "handler, 1 recipient, sequential".into(),
        messages: n,
        wall: started.elapsed(),
        lat,
    }
    .print();

    // 2b. Duplicates (redelivery): sent-log lookup only.
    let mut lat = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let ev = event(&msg(format!("seq:{run_id}:{i}")));
        let t = Instant::now();
        f.handle(ev).await.expect("skipped");
        lat.push(t.elapsed());
    }
    Stats {
        name: "handler, redelivered duplicate (no send)".into(),
        messages: n,
        wall: started.elapsed(),
        lat,
    }
    .print();

    // 3. Handler, 4 events in flight.
    let started = Instant::now();
    let lat: Vec<Duration> = futures::stream::iter(0..n)
        .map(|i| {
            let f = f.clone();
            let ev = event(&msg(format!("par:{run_id}:{i}")));
            async move {
                let t = Instant::now();
                f.handle(ev).await.expect("delivered");
                t.elapsed()
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    Stats {
        name: "handler, 1 recipient, 4 events in parallel".into(),
        messages: n,
        wall: started.elapsed(),
        lat,
    }
    .print();

    // 4. Fan-out to 20 subscribers.
    let rounds = (n / 20).max(3);
    for mode in [DeliveryMode::PerRecipient, DeliveryMode::Bcc] {
        let db = fresh_db().await;
        subscribe_n(&db, 20).await;
        let f = EmailFn::new(db.clone(), m.clone(), settings(mode));
        let mut lat = Vec::with_capacity(rounds);
        let started = Instant::now();
        for i in 0..rounds {
            let ev = event(&msg(format!("fan:{mode:?}:{run_id}:{i}")));
            let t = Instant::now();
            f.handle(ev).await.expect("delivered");
            lat.push(t.elapsed());
        }
        let wall = started.elapsed();
        let mut s = Stats {
            name: format!("fan-out 20 subscribers, {mode:?} (per event)"),
            messages: rounds,
            wall,
            lat,
        };
        s.print();
        println!(
            "{:<44} {:>6} rcpt {:>9.1} recipients/s",
            "",
            rounds * 20,
            (rounds * 20) as f64 / wall.as_secs_f64()
        );
        let _ = db.drop().await;
    }
    let _ = db.drop().await;
    let _ = f0.store().db().drop().await;
}

fn main() {
    // `cargo bench` passes `--bench`; the first number is N.
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300);
    println!(
        "email delivery benchmark: N = {n} (SMTP {}, MongoDB {})",
        testing::smtp().0,
        testing::mongodb_uri()
    );
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run(n));
}
