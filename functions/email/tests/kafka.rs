//! The function as run locally: `FUNC_TRANSPORT=kafka` on its topic (real
//! tansu broker, MongoDB, SMTP server). Good events are delivered, malformed
//! ones and provider failures end in the dead-letter topic with the reason.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use examfn_email::config::{DeliveryMode, ProviderConfig, SmtpConfig, SmtpTls};
use examfn_email::{EmailFn, Mailer};
use examfn_runtime::config::{CommonConfig, Env};
use examfn_runtime::kafka::Emitter;
use examfn_runtime::testing;
use mongodb::bson::doc;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::ClientConfig;
use tokio::sync::watch;

struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    topic: String,
    dlq: String,
}

async fn run_on_kafka(f: Arc<EmailFn>) -> Running {
    let brokers = testing::kafka_brokers();
    let topic = testing::unique("email-topic");
    let dlq = format!("{topic}.dlq");
    testing::create_topics(&brokers, &[&topic, &dlq], 1).await;
    let group = testing::unique("email");
    let env = Env::from_pairs([
        ("FUNC_TRANSPORT", "kafka"),
        ("KAFKA_BROKERS", brokers.as_str()),
        ("KAFKA_TOPIC", topic.as_str()),
        ("KAFKA_CONSUMER_GROUP", group.as_str()),
        ("KAFKA_MAX_RETRIES", "2"),
        ("KAFKA_RETRY_BACKOFF_MS", "50"),
        ("KAFKA_RETRY_BACKOFF_MAX_MS", "200"),
        ("PORT", "0"),
    ]);
    let common = CommonConfig::from_env(&env, Some("email-topic"), "email").unwrap();
    let (stop, rx) = watch::channel(false);
    let service = examfn_email::service(f);
    let task = tokio::spawn(async move {
        examfn_runtime::server::serve_until(&common, service, rx)
            .await
            .expect("serves");
    });
    Running {
        stop,
        task,
        topic,
        dlq,
    }
}

/// Dead-lettered records: (value, dlq_kind, dlq_error).
async fn read_dlq(topic: &str, want: usize) -> Vec<(String, String, String)> {
    let c: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", testing::kafka_brokers())
        .set("group.id", testing::unique("dlq-reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    c.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while out.len() < want && tokio::time::Instant::now() < deadline {
        let Ok(Ok(m)) = tokio::time::timeout(Duration::from_secs(1), c.recv()).await else {
            continue;
        };
        let header = |name: &str| {
            m.headers()
                .and_then(|h| {
                    h.iter()
                        .find(|x| x.key == name)
                        .and_then(|x| x.value.map(|v| String::from_utf8_lossy(v).into_owned()))
                })
                .unwrap_or_default()
        };
        out.push((
            String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
            header("dlq_kind"),
            header("dlq_error"),
        ));
    }
    out
}

#[tokio::test]
async fn kafka_transport_delivers_and_dead_letters_bad_input_with_the_reason() {
    let (f, db) = smtp_function(DeliveryMode::PerRecipient).await;
    let prof = address("prof");
    examfn_email::subscribe(&db, &prof).await.unwrap();
    let run = run_on_kafka(f.clone()).await;
    let emitter = Emitter::new(&testing::kafka_brokers()).unwrap();

    // A score card as score-calc emits it, keyed by message id.
    let id = format!("score-card:{}", testing::unique("r"));
    let msg = message(
        &id,
        "Exam-Generator - Score Card",
        "Exam-Generator - Score Card\n\nScore: 2\n",
    );
    emitter
        .emit(&run.topic, &id, &email_event(&msg))
        .await
        .unwrap();
    // The same message again (producer retry): delivered once.
    emitter
        .emit(&run.topic, &id, &email_event(&msg))
        .await
        .unwrap();
    // The Python port's plain-text record.
    emitter
        .send(&run.topic, None, Some(b"Hello, Exam Generated"), &[])
        .await
        .unwrap();
    // Malformed: an email event whose data is not an EmailMessage.
    let bad = examfn_runtime::event::json_event(
        "bad-1",
        "dev.examfn.email.v1",
        "/examfn/test",
        None,
        serde_json::json!({"hello": "world"}),
    );
    emitter.emit(&run.topic, "bad-1", &bad).await.unwrap();

    let got = wait_for_mail(&id, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, vec![prof.clone()]);
    let dead = read_dlq(&run.dlq, 1).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].1, "bad_input");
    assert!(dead[0].2.contains("not an email request"), "{dead:?}");
    assert!(dead[0].0.contains("hello"));

    // The plain-text record came through with the default subject.
    let text_id = "text:/apis/v1/namespaces/local/kafkasources/";
    let mut found = None;
    for _ in 0..50 {
        found = read_maildir(&testing::smtp().1).into_iter().find(|m| {
            m.examfn_id.starts_with(text_id)
                && m.examfn_id.contains(&run.topic)
                && m.to == vec![prof.clone()]
        });
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = found.expect("plain-text record delivered");
    assert_eq!(text.subject, examfn_domain::email::DEFAULT_SUBJECT);

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        maildir_messages(&id).len(),
        1,
        "the duplicate was not sent again"
    );
    run.stop.send(true).unwrap();
    run.task.await.unwrap();
}

#[tokio::test]
async fn kafka_transport_dead_letters_provider_failures_after_retries() {
    let db = fresh_db().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = Mailer::from_config(&ProviderConfig::Smtp(SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        credentials: None,
        timeout: Duration::from_secs(2),
    }))
    .unwrap();
    let prof = address("prof");
    examfn_email::subscribe(&db, &prof).await.unwrap();
    let f = Arc::new(EmailFn::new(
        db.clone(),
        down,
        settings(DeliveryMode::PerRecipient),
    ));
    let run = run_on_kafka(f).await;
    let id = format!("exam-ready:{}", testing::unique("l"));
    let emitter = Emitter::new(&testing::kafka_brokers()).unwrap();
    emitter
        .emit(
            &run.topic,
            &id,
            &email_event(&message(&id, "Exam ready", "ready")),
        )
        .await
        .unwrap();
    let dead = read_dlq(&run.dlq, 1).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].1, "unavailable");
    assert!(
        dead[0].2.contains(&prof) && dead[0].2.contains("unreachable"),
        "{dead:?}"
    );
    // Nothing recorded as sent: replaying the DLQ later delivers.
    assert_eq!(count(&db, "email_sent", doc! {"message_id": &id}).await, 0);
    run.stop.send(true).unwrap();
    run.task.await.unwrap();
}
