//! Shared test helpers: a fresh database per test on the real MongoDB, the
//! real local SMTP server and its Maildir, the function built on them.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use examfn_domain::email::EmailMessage;
use examfn_domain::names::EMAIL_EVENT_TYPE;
use examfn_email::config::{DeliveryMode, Secret, SmtpConfig, SmtpTls};
use examfn_email::{EmailFn, Mailer, Settings};
use examfn_runtime::cloudevents::Event;
use examfn_runtime::testing;
use http_body_util::BodyExt;
use mongodb::bson::doc;
use tower::ServiceExt;

pub const UNSUBSCRIBE_SECRET: &str = "test-unsubscribe-secret-0123456789";
pub const WEBHOOK_SECRET: &str = "test-webhook-secret-0123456789";
pub const BASE_URL: &str = "http://email.examfn.test";

/// A database no other test uses.
pub async fn fresh_db() -> mongodb::Database {
    let client = mongodb::Client::with_uri_str(testing::mongodb_uri())
        .await
        .expect("mongodb client");
    client.database(&testing::unique("email").replace('-', "_"))
}

pub fn settings(mode: DeliveryMode) -> Settings {
    Settings {
        from: "Exam-Generator <no-reply@examfn.local>".into(),
        from_domain: "examfn.local".into(),
        mode,
        unsubscribe_secret: Secret::new(UNSUBSCRIBE_SECRET),
        public_base_url: BASE_URL.into(),
        kratos_webhook_secret: Some(Secret::new(WEBHOOK_SECRET)),
    }
}

/// The SMTP mailer pointed at the real local SMTP server.
pub fn smtp_mailer() -> Mailer {
    let (addr, _) = testing::smtp();
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    Mailer::from_config(&examfn_email::config::ProviderConfig::Smtp(SmtpConfig {
        host: host.into(),
        port: port.parse().expect("port"),
        tls: SmtpTls::None,
        credentials: None,
        timeout: Duration::from_secs(10),
    }))
    .expect("smtp mailer")
}

pub async fn smtp_function(mode: DeliveryMode) -> (Arc<EmailFn>, mongodb::Database) {
    let db = fresh_db().await;
    (
        Arc::new(EmailFn::new(db.clone(), smtp_mailer(), settings(mode))),
        db,
    )
}

pub async fn add_subscriber(db: &mongodb::Database, doc: mongodb::bson::Document) {
    db.collection::<mongodb::bson::Document>("subscribers")
        .insert_one(doc)
        .await
        .expect("insert subscriber");
}

/// A unique address on a test domain.
pub fn address(who: &str) -> String {
    format!("{}@{}.examfn.test", testing::unique(who), who)
}

/// A `dev.examfn.email.v1` event, as exam-gen and score-calc emit it.
pub fn email_event(msg: &EmailMessage) -> Event {
    examfn_runtime::event::json_event(
        format!("ev-{}", msg.message_id),
        EMAIL_EVENT_TYPE,
        "/examfn/test",
        None,
        serde_json::to_value(msg).expect("serialises"),
    )
}

pub fn message(id: &str, subject: &str, text: &str) -> EmailMessage {
    serde_json::from_value(serde_json::json!({"message_id": id, "subject": subject, "text": text}))
        .expect("valid")
}

/// A delivered message, parsed back from the Maildir.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// `To` header addresses.
    pub to: Vec<String>,
    /// Envelope recipients (aiosmtpd's `X-RcptTo`).
    pub rcpt_to: Vec<String>,
    pub examfn_id: String,
    pub message_id: String,
    pub list_unsubscribe: Option<String>,
    pub raw: String,
}

/// Every message in the Maildir whose `X-Examfn-Message-Id` is `examfn_id`.
pub fn maildir_messages(examfn_id: &str) -> Vec<Delivered> {
    let (_, dir) = testing::smtp();
    read_maildir(&dir)
        .into_iter()
        .filter(|m| m.examfn_id == examfn_id)
        .collect()
}

pub fn read_maildir(dir: &Path) -> Vec<Delivered> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(bytes) = std::fs::read(e.path()) else {
                continue;
            };
            let Some(m) = mail_parser::MessageParser::default().parse(&bytes) else {
                continue;
            };
            let list = |a: Option<&mail_parser::Address>| -> Vec<String> {
                a.map(|a| {
                    a.iter()
                        .filter_map(|x| x.address().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
            };
            let raw_header = |n: &str| m.header_raw(n).map(|s| s.trim().to_string());
            out.push(Delivered {
                subject: m.subject().unwrap_or_default().to_string(),
                text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
                html: if String::from_utf8_lossy(&bytes)
                    .to_ascii_lowercase()
                    .contains("content-type: text/html")
                {
                    m.body_html(0).map(|t| t.into_owned())
                } else {
                    None
                },
                to: list(m.to()),
                rcpt_to: raw_header("X-RcptTo")
                    .map(|s| {
                        s.split(',')
                            .map(|x| x.trim().to_string())
                            .filter(|x| !x.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
                examfn_id: raw_header("X-Examfn-Message-Id").unwrap_or_default(),
                message_id: m.message_id().unwrap_or_default().to_string(),
                list_unsubscribe: raw_header("List-Unsubscribe"),
                raw: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
    }
    out
}

/// Wait until `n` messages with this id are in the Maildir (delivery is
/// synchronous with the SMTP reply, so this normally returns at once).
pub async fn wait_for_mail(examfn_id: &str, n: usize) -> Vec<Delivered> {
    for _ in 0..50 {
        let v = maildir_messages(examfn_id);
        if v.len() >= n {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    maildir_messages(examfn_id)
}

/// One request through the whole app (no socket).
pub async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, String) {
    let resp = app.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The subscriber document of an address.
pub async fn subscriber(db: &mongodb::Database, email: &str) -> Option<mongodb::bson::Document> {
    db.collection::<mongodb::bson::Document>("subscribers")
        .find_one(doc! {"email": email})
        .await
        .expect("find")
}

pub async fn count(db: &mongodb::Database, coll: &str, filter: mongodb::bson::Document) -> u64 {
    db.collection::<mongodb::bson::Document>(coll)
        .count_documents(filter)
        .await
        .expect("count")
}
