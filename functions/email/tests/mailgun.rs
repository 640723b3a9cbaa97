//! Mailgun provider against a local HTTP server that records the requests and
//! answers 200, 400, 429 and 500 in turn (Mailgun itself is outside SaaS).

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use common::*;
use examfn_domain::email::SCORE_CARD_SUBJECT;
use examfn_email::config::{DeliveryMode, MailgunConfig, ProviderConfig};
use examfn_email::{EmailFn, Mailer};
use examfn_runtime::{FnError, Handler, Outcome};
use mongodb::bson::doc;
use serde_json::json;

#[derive(Debug, Clone)]
struct Recorded {
    domain: String,
    authorization: Option<String>,
    content_type: Option<String>,
    form: Vec<(String, String)>,
}

impl Recorded {
    fn all(&self, k: &str) -> Vec<&str> {
        self.form
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    fn one(&self, k: &str) -> &str {
        let v = self.all(k);
        assert_eq!(v.len(), 1, "field {k}: {v:?}");
        v[0]
    }
}

/// What the fake answers: a fixed script, or a rule per recipient.
enum Script {
    InTurn(VecDeque<u16>),
    FailFirstFor(String, u16),
}

#[derive(Clone)]
struct Fake {
    seen: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Mutex<Script>>,
}

async fn messages(
    State(f): State<Fake>,
    Path(domain): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> (StatusCode, Json<serde_json::Value>) {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let rec = Recorded {
        domain,
        authorization: h("authorization"),
        content_type: h("content-type"),
        form,
    };
    let to: Vec<String> = rec.all("to").into_iter().map(str::to_string).collect();
    f.seen.lock().unwrap().push(rec);
    let status = match &mut *f.script.lock().unwrap() {
        Script::InTurn(q) => q.pop_front().unwrap_or(200),
        Script::FailFirstFor(addr, code) => {
            if to.contains(addr) && *code != 200 {
                std::mem::replace(code, 200)
            } else {
                200
            }
        }
    };
    let body = match status {
        200 => {
            json!({"id": format!("<{}@mg.examfn.test>", f.seen.lock().unwrap().len()), "message": "Queued. Thank you."})
        }
        400 => {
            json!({"message": "'to' parameter is not a valid address. please check documentation"})
        }
        429 => json!({"message": "Too many requests"}),
        _ => json!({"message": "Internal server error"}),
    };
    (StatusCode::from_u16(status).unwrap(), Json(body))
}

async fn start_fake(script: Script) -> (Fake, String) {
    let fake = Fake {
        seen: Arc::default(),
        script: Arc::new(Mutex::new(script)),
    };
    let app = Router::new()
        .route("/v3/{domain}/messages", post(messages))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, base)
}

fn mailgun(base: &str) -> Mailer {
    Mailer::from_config(&ProviderConfig::Mailgun(MailgunConfig {
        base_url: base.into(),
        domain: "mg.examfn.test".into(),
        api_key: "key-test-0123".into(),
        timeout: std::time::Duration::from_secs(5),
    }))
    .unwrap()
}

#[tokio::test]
async fn answers_200_400_429_500_in_turn_are_sent_permanent_and_retried() {
    let (fake, base) = start_fake(Script::InTurn(VecDeque::from([200, 400, 429, 500]))).await;
    let db = fresh_db().await;
    let prof = address("prof");
    add_subscriber(&db, doc! {"email": &prof}).await;
    let f = Arc::new(EmailFn::new(
        db.clone(),
        mailgun(&base),
        settings(DeliveryMode::PerRecipient),
    ));
    let app = examfn_email::service(f.clone()).app(1 << 20);
    let post = |msg: &examfn_domain::email::EmailMessage| {
        Request::post("/")
            .header("ce-specversion", "1.0")
            .header("ce-id", format!("ce-{}", msg.message_id))
            .header("ce-type", "dev.examfn.email.v1")
            .header("ce-source", "/examfn/score-calc")
            .header("content-type", "application/json")
            .body(Body::from(serde_json::to_vec(msg).unwrap()))
            .unwrap()
    };

    // 200: sent; check what Mailgun received.
    let id1 = format!("score-card:{}", examfn_runtime::testing::unique("r"));
    let mut m1 = message(
        &id1,
        SCORE_CARD_SUBJECT,
        "Exam-Generator - Score Card\n\nScore: 3\n",
    );
    m1.html = Some("<p>Score: 3</p>".into());
    let (status, body) = call(&app, post(&m1)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"done\""), "{body}");
    let r = fake.seen.lock().unwrap()[0].clone();
    assert_eq!(r.domain, "mg.examfn.test");
    let expected_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("api:key-test-0123")
    );
    assert_eq!(r.authorization.as_deref(), Some(expected_auth.as_str()));
    assert!(r
        .content_type
        .clone()
        .unwrap()
        .starts_with("application/x-www-form-urlencoded"));
    assert_eq!(r.one("from"), "Exam-Generator <no-reply@examfn.local>");
    assert_eq!(r.one("to"), prof);
    assert_eq!(r.one("subject"), SCORE_CARD_SUBJECT);
    let link = f.unsubscribe_link(&prof);
    assert!(
        r.one("text")
            .starts_with("Exam-Generator - Score Card\n\nScore: 3\n\n-- \n")
            && r.one("text").contains(&link)
    );
    assert!(
        r.one("html").starts_with("<p>Score: 3</p>") && r.one("html").contains("Unsubscribe</a>")
    );
    assert!(
        r.one("h:Message-Id").starts_with('<') && r.one("h:Message-Id").ends_with("@examfn.local>")
    );
    assert_eq!(r.one("h:List-Unsubscribe"), format!("<{link}>"));
    assert_eq!(
        r.one("h:List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    assert_eq!(r.one("v:examfn-message-id"), id1);
    assert_eq!(
        f.store().delivered_to(&id1).await.unwrap(),
        vec![prof.clone()]
    );

    // 400: permanent (422 over HTTP, DLQ over Kafka) with Mailgun's message.
    let id2 = format!("score-card:{}", examfn_runtime::testing::unique("r"));
    let (status, body) = call(&app, post(&message(&id2, "s", "t"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("not a valid address") && body.contains("\"permanent\""),
        "{body}"
    );
    assert!(f.store().delivered_to(&id2).await.unwrap().is_empty());

    // 429 then 500: retryable (503); each retry asks Mailgun again; then 200.
    let id3 = format!("exam-ready:{}", examfn_runtime::testing::unique("l"));
    let m3 = message(&id3, "Exam ready", "ready");
    let (status, body) = call(&app, post(&m3)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body.contains("429") && body.contains("Too many requests"),
        "{body}"
    );
    let err = f.handle(email_event(&m3)).await.unwrap_err();
    assert!(
        matches!(err, FnError::Unavailable(ref m) if m.contains("500")),
        "{err:?}"
    );
    assert!(matches!(
        f.handle(email_event(&m3)).await.unwrap(),
        Outcome::Done(_)
    ));
    assert_eq!(
        f.store().delivered_to(&id3).await.unwrap(),
        vec![prof.clone()]
    );
    assert_eq!(fake.seen.lock().unwrap().len(), 5);

    // Duplicates of delivered messages: no further request.
    assert!(matches!(
        f.handle(email_event(&m1)).await.unwrap(),
        Outcome::Skipped(_)
    ));
    assert!(matches!(
        f.handle(email_event(&m3)).await.unwrap(),
        Outcome::Skipped(_)
    ));
    assert_eq!(fake.seen.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn partial_failure_retries_only_the_failed_recipient() {
    let a = address("prof");
    let b = address("dean");
    let (fake, base) = start_fake(Script::FailFirstFor(b.clone(), 500)).await;
    let db = fresh_db().await;
    add_subscriber(&db, doc! {"email": &a}).await;
    add_subscriber(&db, doc! {"email": &b}).await;
    let f = EmailFn::new(
        db.clone(),
        mailgun(&base),
        settings(DeliveryMode::PerRecipient),
    );
    let id = format!("score-card:{}", examfn_runtime::testing::unique("r"));
    let ev = email_event(&message(&id, SCORE_CARD_SUBJECT, "card"));

    let err = f.handle(ev.clone()).await.unwrap_err();
    assert!(matches!(err, FnError::Unavailable(_)), "{err:?}");
    assert!(
        err.message().contains("delivered to 1 of 2") && err.message().contains(&b),
        "{err}"
    );
    assert_eq!(f.store().delivered_to(&id).await.unwrap(), vec![a.clone()]);

    let out = f.handle(ev.clone()).await.unwrap();
    let Outcome::Done(v) = out else {
        panic!("{out:?}")
    };
    assert_eq!(v["sent"], json!([b.clone()]));
    assert_eq!(v["already_sent"], json!([a.clone()]));
    let to: Vec<String> = fake
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.one("to").to_string())
        .collect();
    assert_eq!(to.iter().filter(|t| **t == a).count(), 1, "{to:?}");
    assert_eq!(to.iter().filter(|t| **t == b).count(), 2, "{to:?}");
}

#[tokio::test]
async fn bcc_mode_uses_batch_sending_with_recipient_variables() {
    let (fake, base) = start_fake(Script::InTurn(VecDeque::new())).await;
    let db = fresh_db().await;
    let a = address("prof");
    let b = address("dean");
    add_subscriber(&db, doc! {"email": &a}).await;
    add_subscriber(&db, doc! {"email": &b}).await;
    let f = EmailFn::new(db.clone(), mailgun(&base), settings(DeliveryMode::Bcc));
    let id = format!("exam-ready:{}", examfn_runtime::testing::unique("l"));
    f.handle(email_event(&message(&id, "Exam ready", "ready")))
        .await
        .unwrap();
    let seen = fake.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let mut to: Vec<&str> = seen[0].all("to");
    to.sort();
    let mut both = vec![a.as_str(), b.as_str()];
    both.sort();
    assert_eq!(to, both);
    let vars: serde_json::Value = serde_json::from_str(seen[0].one("recipient-variables")).unwrap();
    assert_eq!(vars.as_object().unwrap().len(), 2);
    assert!(
        seen[0].all("h:List-Unsubscribe-Post").is_empty(),
        "the generic page is not one-click"
    );
}

#[tokio::test]
async fn unreachable_mailgun_is_retryable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let db = fresh_db().await;
    add_subscriber(&db, doc! {"email": address("prof")}).await;
    let f = EmailFn::new(
        db,
        mailgun(&format!("http://127.0.0.1:{port}")),
        settings(DeliveryMode::PerRecipient),
    );
    let id = format!("exam-ready:{}", examfn_runtime::testing::unique("l"));
    let err = f
        .handle(email_event(&message(&id, "s", "t")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, FnError::Unavailable(ref m) if m.contains("mailgun")),
        "{err:?}"
    );
}
