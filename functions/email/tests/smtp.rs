//! SMTP end to end against the real local SMTP server (aiosmtpd writing a
//! Maildir) and the real MongoDB: messages are parsed back from the Maildir.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use examfn_domain::email::{DEFAULT_SUBJECT, SCORE_CARD_SUBJECT};
use examfn_email::config::{DeliveryMode, SmtpConfig, SmtpTls};
use examfn_email::{EmailFn, Mailer};
use examfn_runtime::cloudevents::AttributesWriter;
use examfn_runtime::event::{from_kafka, KafkaRecord};
use examfn_runtime::{FnError, Handler, Outcome};
use mongodb::bson::doc;
use serde_json::json;

#[tokio::test]
async fn score_card_reaches_each_active_subscriber_once_and_duplicates_send_nothing() {
    let (f, db) = smtp_function(DeliveryMode::PerRecipient).await;
    let a = address("prof");
    let b = address("dean");
    let gone = address("left");
    let student = address("student");
    // A legacy `{email}` row (no `active`, mixed case) counts as active.
    add_subscriber(&db, doc! {"email": a.to_uppercase()}).await;
    add_subscriber(&db, doc! {"email": &b, "active": true}).await;
    add_subscriber(&db, doc! {"email": &gone, "active": false}).await;

    let id = format!("score-card:{}", examfn_runtime::testing::unique("r"));
    let text = "Exam-Generator - Score Card\n\nStudent: s@x.org\nScore: 3\nResult: PASSED\n\nExam Details:\n- Question: Ünïcödé?\n  Your Answer: yes (Correct)\n  Correct Answer: yes\n\n";
    let mut msg = message(&id, SCORE_CARD_SUBJECT, text);
    msg.html = Some("<html><body><p>Score: <b>3</b></p></body></html>".into());
    msg.recipients.extra = vec![student.to_uppercase()];
    let ev = email_event(&msg);

    let out = f.handle(ev.clone()).await.expect("delivered");
    let Outcome::Done(v) = out else {
        panic!("{out:?}")
    };
    let mut expected = vec![a.clone(), b.clone(), student.clone()];
    expected.sort();
    assert_eq!(v["sent"], json!(expected));

    let got = wait_for_mail(&id, 3).await;
    assert_eq!(got.len(), 3, "{got:#?}");
    for m in &got {
        assert_eq!(m.subject, SCORE_CARD_SUBJECT);
        assert_eq!(
            m.to.len(),
            1,
            "one visible recipient per message: {:?}",
            m.to
        );
        assert_eq!(m.rcpt_to, m.to, "envelope = To");
        let r = &m.to[0];
        assert!(
            m.text.contains("Student: s@x.org") && m.text.contains("Ünïcödé?"),
            "{}",
            m.text
        );
        let link = f.unsubscribe_link(r);
        assert!(m.text.contains(&link), "text lacks {link}: {}", m.text);
        assert_eq!(
            m.list_unsubscribe.as_deref(),
            Some(format!("<{link}>").as_str())
        );
        let html = m.html.as_deref().expect("html part");
        assert!(
            html.contains("Score: <b>3</b>") && html.contains("Unsubscribe</a>"),
            "{html}"
        );
        assert!(m.message_id.ends_with("@examfn.local"), "{}", m.message_id);
    }
    let mut to: Vec<String> = got.iter().map(|m| m.to[0].clone()).collect();
    to.sort();
    assert_eq!(to, expected);
    assert!(!to.contains(&gone));

    // Redelivery of the same event (and a second producer retry of the same id): nothing more.
    let again = f.handle(ev.clone()).await.expect("acknowledged");
    assert!(
        matches!(&again, Outcome::Skipped(r) if r.contains("already delivered")),
        "{again:?}"
    );
    let mut other_event = email_event(&msg);
    other_event.set_id("another-ce-id");
    f.handle(other_event).await.expect("acknowledged");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(maildir_messages(&id).len(), 3);
    assert_eq!(f.store().delivered_to(&id).await.unwrap(), expected);
    assert_eq!(count(&db, "email_sent", doc! {"message_id": &id}).await, 3);
}

#[tokio::test]
async fn plain_text_record_is_delivered_with_a_default_subject() {
    let (f, db) = smtp_function(DeliveryMode::PerRecipient).await;
    let a = address("prof");
    add_subscriber(&db, doc! {"email": &a}).await;
    // The Python port's record: a bare value, no ce_ headers; the runtime
    // wraps it exactly like a KafkaSource (dev.knative.kafka.event).
    let topic = examfn_runtime::testing::unique("email-topic");
    let rec = KafkaRecord {
        topic: topic.clone(),
        partition: 0,
        offset: 42,
        value: Some(b"Hello, Exam Generated".to_vec()),
        ..Default::default()
    };
    let ev = from_kafka(&rec, "local", "email").unwrap();
    f.handle(ev.clone()).await.expect("delivered");
    let id =
        format!("text:/apis/v1/namespaces/local/kafkasources/email#{topic}/partition:0/offset:42");
    let got = wait_for_mail(&id, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].subject, DEFAULT_SUBJECT);
    assert!(
        got[0].text.starts_with("Hello, Exam Generated\n"),
        "{}",
        got[0].text
    );
    assert_eq!(got[0].to, vec![a]);
    // The same record again (redelivery): not sent twice.
    assert!(matches!(f.handle(ev).await.unwrap(), Outcome::Skipped(_)));
    assert_eq!(maildir_messages(&id).len(), 1);
}

#[tokio::test]
async fn bcc_mode_sends_one_message_that_hides_recipients() {
    let (f, db) = smtp_function(DeliveryMode::Bcc).await;
    let a = address("prof");
    let b = address("dean");
    add_subscriber(&db, doc! {"email": &a}).await;
    add_subscriber(&db, doc! {"email": &b}).await;
    let id = format!("exam-ready:{}", examfn_runtime::testing::unique("lecture"));
    let ev = email_event(&message(
        &id,
        "Your exam is ready",
        "Exam lecture1 is ready.",
    ));
    f.handle(ev.clone()).await.expect("delivered");
    let got = wait_for_mail(&id, 1).await;
    assert_eq!(got.len(), 1, "one message for everybody");
    let m = &got[0];
    let mut rcpt = m.rcpt_to.clone();
    rcpt.sort();
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(rcpt, both, "both are envelope recipients");
    assert!(m.to.is_empty(), "no To header: {:?}", m.to);
    // Only the SMTP server's own X-RcptTo trace names them; the message does not.
    let message: String = m
        .raw
        .lines()
        .filter(|l| !l.starts_with("X-RcptTo:"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !message.contains(&a) && !message.contains(&b),
        "an address is visible in the message:\n{message}"
    );
    assert!(
        m.text.contains(&format!("{BASE_URL}/unsubscribe")),
        "{}",
        m.text
    );
    assert!(matches!(f.handle(ev).await.unwrap(), Outcome::Skipped(_)));
    assert_eq!(maildir_messages(&id).len(), 1);
}

#[tokio::test]
async fn nobody_subscribed_is_acknowledged_and_skipped() {
    let (f, db) = smtp_function(DeliveryMode::PerRecipient).await;
    add_subscriber(&db, doc! {"email": address("left"), "active": false}).await;
    let id = format!("exam-ready:{}", examfn_runtime::testing::unique("l"));
    let out = f
        .handle(email_event(&message(&id, "s", "t")))
        .await
        .expect("not an error");
    assert!(
        matches!(&out, Outcome::Skipped(r) if r.contains("nobody to send to")),
        "{out:?}"
    );
    assert!(maildir_messages(&id).is_empty());
}

#[tokio::test]
async fn malformed_events_are_400_with_the_reason() {
    let (f, _db) = smtp_function(DeliveryMode::PerRecipient).await;
    let app = examfn_email::service(f.clone()).app(1 << 20);
    let ce = |data: &str| {
        Request::post("/")
            .header("ce-specversion", "1.0")
            .header("ce-id", "bad-1")
            .header("ce-type", "dev.examfn.email.v1")
            .header("ce-source", "/examfn/test")
            .header("content-type", "application/json")
            .body(Body::from(data.to_string()))
            .unwrap()
    };
    for (data, needle) in [
        (r#"{"foo": 1}"#, "not an email request"),
        (
            r#"{"message_id": "m", "subject": "s", "text": "t", "recipients": {"extra": ["nobody"]}}"#,
            "invalid recipient",
        ),
        ("", "no data"),
        ("Hello", "not valid JSON"),
    ] {
        let (status, body) = call(&app, ce(data)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{data:?}: {body}");
        assert!(body.contains(needle), "{data:?}: {body}");
    }
    // Directly: the class the Kafka transport dead-letters without retrying.
    let rec = KafkaRecord {
        topic: "email-topic".into(),
        value: Some(b"   ".to_vec()),
        ..Default::default()
    };
    let err = f
        .handle(from_kafka(&rec, "local", "email").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FnError::BadInput(ref m) if m.contains("empty")),
        "{err:?}"
    );
}

#[tokio::test]
async fn unreachable_smtp_server_is_retryable_and_the_retry_delivers() {
    let db = fresh_db().await;
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = Mailer::from_config(&examfn_email::config::ProviderConfig::Smtp(SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        credentials: None,
        timeout: std::time::Duration::from_secs(3),
    }))
    .unwrap();
    let a = address("prof");
    add_subscriber(&db, doc! {"email": &a}).await;
    let id = format!("score-card:{}", examfn_runtime::testing::unique("r"));
    let ev = email_event(&message(&id, SCORE_CARD_SUBJECT, "card"));

    let broken = EmailFn::new(db.clone(), down, settings(DeliveryMode::PerRecipient));
    let err = broken.handle(ev.clone()).await.unwrap_err();
    assert!(matches!(err, FnError::Unavailable(_)), "{err:?}");
    assert!(err.message().contains(&a), "{err}");
    // The claim was released: nothing is recorded as sent ...
    assert_eq!(count(&db, "email_sent", doc! {"message_id": &id}).await, 0);
    // ... so the retry (server back) delivers.
    let working = EmailFn::new(
        db.clone(),
        smtp_mailer(),
        settings(DeliveryMode::PerRecipient),
    );
    assert!(matches!(
        working.handle(ev).await.unwrap(),
        Outcome::Done(_)
    ));
    assert_eq!(wait_for_mail(&id, 1).await.len(), 1);
}

#[tokio::test]
async fn concurrent_redeliveries_send_once() {
    let (f, db) = smtp_function(DeliveryMode::PerRecipient).await;
    let a = address("prof");
    add_subscriber(&db, doc! {"email": &a}).await;
    let id = format!("score-card:{}", examfn_runtime::testing::unique("r"));
    let ev = email_event(&message(&id, SCORE_CARD_SUBJECT, "card"));
    let (r1, r2, r3) = tokio::join!(
        f.handle(ev.clone()),
        f.handle(ev.clone()),
        f.handle(ev.clone())
    );
    let done = [r1, r2, r3]
        .into_iter()
        .map(|r| r.expect("no error"))
        .filter(|o| matches!(o, Outcome::Done(_)))
        .count();
    assert_eq!(done, 1);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(maildir_messages(&id).len(), 1);
}
