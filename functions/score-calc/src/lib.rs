//! score-calc: Debezium change records of `exams.score` in, one score card
//! per graded attempt out (an email request on `email-topic`), plus the
//! scoreboards take-exam's educator view reads.
//!
//! # Exactly one score card per result document
//!
//! For an insert (`op: c`; `r` and `u` only when configured) the handler
//!
//! 1. **claims** the result: inserts `{_id: <result id>, state: "sending", at}`
//!    into `exams.score_processed`. The unique `_id` makes this the one atomic
//!    decision: the insert that succeeds owns the result; a duplicate key
//!    means some delivery already did (→ look at its state);
//! 2. if the claim is new, **counts** the result on the scoreboards
//!    (`$inc` per exam and overall, `$max` for the student's best);
//! 3. **emits** the score card to `email-topic` with the message id
//!    `score-card:<result id>` and waits for the broker's acknowledgement;
//! 4. **marks** the record `sent`.
//!
//! Crashes (or a broker/database failure, which makes the delivery fail and
//! be retried):
//!
//! * between 1 and 3 (claimed, not emitted): the record stays `sending`; the
//!   redelivered record finds it and emits — **never lost**;
//! * between 3 and 4 (emitted, not marked): the redelivery emits once more
//!   with the **same message id**; the email function de-duplicates by
//!   message id + recipient, so the end result is one email. At most one
//!   extra event on `email-topic` per crash, never a second email;
//! * between 1 and 2: the scoreboard decision is the claim itself, so a
//!   redelivery does not count again (no double counting, ever); the one
//!   attempt being processed at the crash may be missing from the
//!   scoreboard (the record carries `exam`/`email`, so it can be recounted).
//!
//! Snapshots (`r`) send nothing by default (`SCORE_SEND_ON_SNAPSHOT`), updates
//! nothing (`SCORE_SEND_ON_UPDATE`); when enabled they go through the same
//! claim, so a document never gets a second card. Deletes and tombstones are
//! acknowledged and ignored. Anything that is not a Debezium record is
//! `BadInput` (400 / dead-letter topic) with the reason.

pub mod store;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use examfn_domain::debezium::{self, Change, Op};
use examfn_domain::email::{EmailMessage, Recipients};
use examfn_domain::names;
use examfn_domain::scorecard::{self, ResultSummary};
use examfn_runtime::cloudevents::Event;
use examfn_runtime::config::{ConfigError, Env};
use examfn_runtime::event::{data_bytes, extension_str, json_event};
use examfn_runtime::kafka::Emitter;
use examfn_runtime::mongo::MongoConfig;
use examfn_runtime::{CommonConfig, FnError, Handler, Outcome, Service};
use serde_json::json;

pub use store::{Claim, Ledger, MongoLedger};

/// The function's name (metrics, consumer group).
pub const NAME: &str = "score-calc";
/// CloudEvent source of the score card events.
pub const EVENT_SOURCE: &str = "/examfn/score-calc";

/// score-calc's own configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub send_on_snapshot: bool,
    pub send_on_update: bool,
    pub copy_to_student: bool,
    pub email_topic: String,
    pub kafka_brokers: String,
    pub mongo: MongoConfig,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            send_on_snapshot: env.flag("SCORE_SEND_ON_SNAPSHOT", false)?,
            send_on_update: env.flag("SCORE_SEND_ON_UPDATE", false)?,
            copy_to_student: env.flag("SCORE_COPY_TO_STUDENT", false)?,
            email_topic: env.string_or("EMAIL_TOPIC", names::EMAIL_TOPIC),
            kafka_brokers: env.required("KAFKA_BROKERS")?,
            mongo: MongoConfig::from_env(env)?,
        })
    }
}

/// Which events lead to a score card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    pub send_on_snapshot: bool,
    pub send_on_update: bool,
    pub copy_to_student: bool,
}

/// Where score cards go (the broker in production).
pub trait Mailer: Send + Sync + 'static {
    /// Produce the event keyed by `key`; `Ok` only once the broker confirmed it.
    fn send(&self, key: &str, event: &Event) -> impl Future<Output = Result<(), FnError>> + Send;
}

/// [`Mailer`] producing to a Kafka topic.
#[derive(Clone, Debug)]
pub struct KafkaMailer {
    pub emitter: Emitter,
    pub topic: String,
}

impl Mailer for KafkaMailer {
    async fn send(&self, key: &str, event: &Event) -> Result<(), FnError> {
        self.emitter.emit(&self.topic, key, event).await
    }
}

/// The handler.
pub struct ScoreCalc<L, M> {
    pub ledger: L,
    pub mailer: M,
    pub policy: Policy,
}

/// The email request for a result document.
pub fn score_card_message(result_id: &str, doc: &serde_json::Value, copy_to_student: bool) -> EmailMessage {
    let mut extra = Vec::new();
    if copy_to_student {
        if let Some(email) = doc.get("email").and_then(|e| e.as_str()).map(str::trim).filter(|e| e.contains('@')) {
            extra.push(email.to_string());
        }
    }
    EmailMessage {
        message_id: scorecard::message_id(result_id),
        subject: scorecard::SUBJECT.to_string(),
        text: scorecard::score_card(doc),
        html: None,
        recipients: Recipients { subscribers: true, extra },
    }
}

/// Parse the event's record (value = data, key = the `key` extension).
pub fn change_of(event: &Event) -> Result<Change, FnError> {
    let key = extension_str(event, "key").map(str::as_bytes);
    let value = data_bytes(event);
    debezium::parse_record(key, value.as_deref())
        .map_err(|e| FnError::bad_input(format!("not a Debezium change record of exams.score: {e}")))
}

impl<L: Ledger, M: Mailer> ScoreCalc<L, M> {
    /// Handle one change.
    pub async fn on_change(&self, change: Change) -> Result<Outcome, FnError> {
        let id = change.id.clone();
        match change.op {
            Op::Tombstone => return Ok(Outcome::skipped(format!("tombstone of {id}"))),
            Op::Delete => return Ok(Outcome::skipped(format!("delete of {id}: nothing to send"))),
            Op::Read if !self.policy.send_on_snapshot => {
                return Ok(Outcome::skipped(format!("snapshot read of {id} (SCORE_SEND_ON_SNAPSHOT is off)")))
            }
            Op::Update if !self.policy.send_on_update => {
                return Ok(Outcome::skipped(format!("update of {id} (SCORE_SEND_ON_UPDATE is off)")))
            }
            Op::Create | Op::Read | Op::Update => {}
        }
        let Some(doc) = change.doc.as_ref() else {
            // An update that carries only an updateDescription.
            return Ok(Outcome::skipped(format!("{} of {id} without the full document", change.op.code())));
        };
        if !doc.is_object() {
            return Err(FnError::bad_input(format!("the document of {id} is not an object")));
        }
        let summary = ResultSummary::from_doc(doc);
        let claim = self.ledger.claim(&id, &summary).await?;
        if claim == Claim::Sent {
            return Ok(Outcome::skipped(format!("score card of {id} already sent")));
        }
        if claim == Claim::New {
            self.ledger.count(&summary).await?;
        }
        let message = score_card_message(&id, doc, self.policy.copy_to_student);
        let data = serde_json::to_value(&message).expect("an email message serialises");
        let event = json_event(message.message_id.clone(), names::EMAIL_EVENT_TYPE, EVENT_SOURCE, Some(&id), data);
        self.mailer.send(&id, &event).await?;
        self.ledger.mark_sent(&id).await?;
        Ok(Outcome::done(json!({
            "result_id": id,
            "message_id": message.message_id,
            "op": change.op.code(),
            "exam": summary.exam,
            "percentage": summary.percentage,
            "resent": claim == Claim::Pending,
        })))
    }
}

impl<L: Ledger, M: Mailer> Handler for ScoreCalc<L, M> {
    async fn handle(&self, event: Event) -> Result<Outcome, FnError> {
        let change = change_of(&event)?;
        self.on_change(change).await
    }

    async fn ready(&self) -> Result<(), String> {
        self.ledger.ready().await
    }
}

/// The service (tests drive `service(..).app(limit)` without a socket).
pub fn service<L: Ledger, M: Mailer>(handler: ScoreCalc<L, M>) -> Service<ScoreCalc<L, M>> {
    Service::new(NAME, Arc::new(handler))
}

/// The HTTP application of a handler.
pub fn app<L: Ledger, M: Mailer>(handler: ScoreCalc<L, M>, max_body_bytes: usize) -> Router {
    service(handler).app(max_body_bytes)
}

/// Build the production handler from configuration.
pub async fn build(cfg: &Config) -> anyhow::Result<ScoreCalc<MongoLedger, KafkaMailer>> {
    let client = examfn_runtime::mongo::client(&cfg.mongo).await?;
    let ledger = MongoLedger::new(client.database(&cfg.mongo.database));
    let mailer = KafkaMailer { emitter: Emitter::new(&cfg.kafka_brokers)?, topic: cfg.email_topic.clone() };
    let policy = Policy {
        send_on_snapshot: cfg.send_on_snapshot,
        send_on_update: cfg.send_on_update,
        copy_to_student: cfg.copy_to_student,
    };
    Ok(ScoreCalc { ledger, mailer, policy })
}

/// Entry point of the binary and of `examfn run score-calc`.
pub fn main() -> anyhow::Result<()> {
    let env = Env::from_process();
    let common = CommonConfig::from_env(&env, Some(names::SCORE_CDC_TOPIC), NAME)?;
    let cfg = Config::from_env(&env)?;
    examfn_runtime::telemetry::init(common.log_format, &common.log_filter);
    examfn_runtime::server::block_on(async move {
        let handler = build(&cfg).await?;
        examfn_runtime::serve(&common, service(handler)).await?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_names() {
        let env = Env::from_pairs([("KAFKA_BROKERS", "127.0.0.1:9"), ("MONGODB_URI", "mongodb://127.0.0.1:1/")]);
        let c = Config::from_env(&env).unwrap();
        assert!(!c.send_on_snapshot && !c.send_on_update && !c.copy_to_student);
        assert_eq!(c.email_topic, "email-topic");
        assert_eq!(c.mongo.database, "exams");
        let err = Config::from_env(&Env::from_pairs([("MONGODB_URI", "mongodb://x/")])).unwrap_err();
        assert!(err.to_string().contains("KAFKA_BROKERS"), "{err}");
        let env = Env::from_pairs([
            ("KAFKA_BROKERS", "b:1"),
            ("MONGODB_URI", "mongodb://x/"),
            ("SCORE_SEND_ON_SNAPSHOT", "yes"),
            ("SCORE_COPY_TO_STUDENT", "1"),
            ("EMAIL_TOPIC", "mail"),
        ]);
        let c = Config::from_env(&env).unwrap();
        assert!(c.send_on_snapshot && c.copy_to_student && !c.send_on_update);
        assert_eq!(c.email_topic, "mail");
        let bad = Env::from_pairs([("KAFKA_BROKERS", "b:1"), ("MONGODB_URI", "mongodb://x/"), ("SCORE_SEND_ON_UPDATE", "maybe")]);
        assert!(Config::from_env(&bad).unwrap_err().to_string().contains("SCORE_SEND_ON_UPDATE"));
    }

    #[test]
    fn message_addresses_subscribers_and_optionally_the_student() {
        let doc = json!({"email": "stu@x.org", "score": 1, "result": "passed", "details": [{"is_correct": true}]});
        let m = score_card_message("abc", &doc, false);
        assert_eq!(m.message_id, "score-card:abc");
        assert_eq!(m.subject, "Exam-Generator - Score Card");
        assert_eq!(m.recipients, Recipients { subscribers: true, extra: vec![] });
        assert_eq!(m.text, scorecard::score_card(&doc));
        let m = score_card_message("abc", &doc, true);
        assert_eq!(m.recipients.extra, vec!["stu@x.org".to_string()]);
        let m = score_card_message("abc", &json!({"email": "not-an-address"}), true);
        assert!(m.recipients.extra.is_empty());
    }
}
