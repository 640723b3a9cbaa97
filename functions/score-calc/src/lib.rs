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
//! # Batches (Kafka transport)
//!
//! In the Kafka transport the runtime hands score-calc up to
//! `KAFKA_BATCH_MAX` records at once ([`Handler::handle_batch`]). The steps
//! are the same, each done once for the whole batch: one unordered
//! `insert_many` claims every result (its duplicate-key errors name the ones
//! claimed before; one `find` reads their states), the new ones are counted
//! with one compare-and-set per distinct scoreboard (the batch's counts
//! aggregated) and one `update` command carrying the best-percentage upserts
//! (aggregated per student and exam), all cards are emitted concurrently and
//! each must be acknowledged, then one `update_many` marks the acknowledged
//! ones `sent`. A result that appears twice in one batch gets one card (the
//! first record decides; the second is skipped). The guarantees are the
//! single-record ones, per result:
//!
//! * a failure of any MongoDB step fails the batch's candidate records; the
//!   runtime retries each alone through [`Handler::handle`], where the claim
//!   says `Pending` (or `Sent`): cards are (re)sent with the same message id
//!   and **nothing is counted twice**; results claimed by the failed batch
//!   but not yet counted stay off the scoreboard, as after a crash between 1
//!   and 2 (the records name `exam`/`email` for a recount);
//! * a card the broker did not acknowledge fails only its own record, which
//!   is retried alone; the acknowledged ones are marked `sent`;
//! * a crash anywhere in a batch is a crash of each of its records at the
//!   same step, with the consequences listed above (offsets are stored only
//!   after the whole batch is settled, so all of it is redelivered).
//!
//! Snapshots (`r`) send nothing by default (`SCORE_SEND_ON_SNAPSHOT`), updates
//! nothing (`SCORE_SEND_ON_UPDATE`); when enabled they go through the same
//! claim, so a document never gets a second card. Deletes and tombstones are
//! acknowledged and ignored. Anything that is not a Debezium record is
//! `BadInput` (400 / dead-letter topic) with the reason.

pub mod store;

use std::collections::HashMap;
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

    /// Produce many events concurrently; one result per item, in order.
    fn send_many(&self, items: &[(&str, Event)]) -> impl Future<Output = Vec<Result<(), FnError>>> + Send {
        futures::future::join_all(items.iter().map(|(key, event)| self.send(key, event)))
    }
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

/// A change that needs a score card (the policy let it through).
struct Candidate {
    change: Change,
    summary: ResultSummary,
}

impl Candidate {
    fn doc(&self) -> &serde_json::Value {
        self.change.doc.as_ref().expect("a candidate carries its document")
    }
}

impl<L: Ledger, M: Mailer> ScoreCalc<L, M> {
    /// Apply the policy: a candidate for a score card, or the record's final answer.
    fn screen(&self, change: Change) -> Result<Candidate, Result<Outcome, FnError>> {
        let id = &change.id;
        match change.op {
            Op::Tombstone => return Err(Ok(Outcome::skipped(format!("tombstone of {id}")))),
            Op::Delete => return Err(Ok(Outcome::skipped(format!("delete of {id}: nothing to send")))),
            Op::Read if !self.policy.send_on_snapshot => {
                return Err(Ok(Outcome::skipped(format!("snapshot read of {id} (SCORE_SEND_ON_SNAPSHOT is off)"))))
            }
            Op::Update if !self.policy.send_on_update => {
                return Err(Ok(Outcome::skipped(format!("update of {id} (SCORE_SEND_ON_UPDATE is off)"))))
            }
            Op::Create | Op::Read | Op::Update => {}
        }
        let Some(doc) = change.doc.as_ref() else {
            // An update that carries only an updateDescription.
            return Err(Ok(Outcome::skipped(format!("{} of {id} without the full document", change.op.code()))));
        };
        if !doc.is_object() {
            return Err(Err(FnError::bad_input(format!("the document of {id} is not an object"))));
        }
        let summary = ResultSummary::from_doc(doc);
        Ok(Candidate { change, summary })
    }

    /// The score card event of a candidate.
    fn card(&self, c: &Candidate) -> (EmailMessage, Event) {
        let id = &c.change.id;
        let message = score_card_message(id, c.doc(), self.policy.copy_to_student);
        let data = serde_json::to_value(&message).expect("an email message serialises");
        let event = json_event(message.message_id.clone(), names::EMAIL_EVENT_TYPE, EVENT_SOURCE, Some(id), data);
        (message, event)
    }

    fn done(c: &Candidate, message: &EmailMessage, claim: Claim) -> Outcome {
        Outcome::done(json!({
            "result_id": c.change.id,
            "message_id": message.message_id,
            "op": c.change.op.code(),
            "exam": c.summary.exam,
            "percentage": c.summary.percentage,
            "resent": claim == Claim::Pending,
        }))
    }

    /// Handle one change.
    pub async fn on_change(&self, change: Change) -> Result<Outcome, FnError> {
        let c = match self.screen(change) {
            Ok(c) => c,
            Err(answer) => return answer,
        };
        let id = &c.change.id;
        let claim = self.ledger.claim(id, &c.summary).await?;
        if claim == Claim::Sent {
            return Ok(Outcome::skipped(format!("score card of {id} already sent")));
        }
        if claim == Claim::New {
            self.ledger.count(&c.summary).await?;
        }
        let (message, event) = self.card(&c);
        self.mailer.send(id, &event).await?;
        self.ledger.mark_sent(id).await?;
        Ok(Self::done(&c, &message, claim))
    }

    /// Handle many changes with shared round trips (see the crate docs);
    /// one result per change, in order.
    pub async fn on_changes(&self, changes: Vec<Result<Change, FnError>>) -> Vec<Result<Outcome, FnError>> {
        let mut results: Vec<Option<Result<Outcome, FnError>>> = vec![None; changes.len()];
        let mut candidates: Vec<(usize, Candidate)> = Vec::new();
        // Later records of a result already in the batch: (index, its candidate).
        let mut repeats: Vec<(usize, usize)> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, change) in changes.into_iter().enumerate() {
            match change.map(|c| self.screen(c)) {
                Err(e) => results[i] = Some(Err(e)),
                Ok(Err(answer)) => results[i] = Some(answer),
                Ok(Ok(c)) => match seen.get(&c.change.id) {
                    Some(first) => repeats.push((i, *first)),
                    None => {
                        seen.insert(c.change.id.clone(), candidates.len());
                        candidates.push((i, c));
                    }
                },
            }
        }
        if !candidates.is_empty() {
            let outcomes = match self.send_all(&candidates).await {
                Ok(outcomes) => outcomes,
                Err(e) => vec![Err(e); candidates.len()],
            };
            for ((i, _), outcome) in candidates.iter().zip(&outcomes) {
                results[*i] = Some(outcome.clone());
            }
            for (i, first) in repeats {
                let (_, c) = &candidates[first];
                results[i] = Some(match &outcomes[first] {
                    Ok(_) => Ok(Outcome::skipped(format!("score card of {} handled by an earlier record of this batch", c.change.id))),
                    Err(e) => Err(e.clone()),
                });
            }
        }
        results.into_iter().map(|r| r.expect("every change has a result")).collect()
    }

    /// Claim, count, emit and mark distinct candidates; `Err` when a
    /// MongoDB step failed for all of them.
    async fn send_all(&self, candidates: &[(usize, Candidate)]) -> Result<Vec<Result<Outcome, FnError>>, FnError> {
        let started = std::time::Instant::now();
        let ms = |t: std::time::Instant| t.elapsed().as_secs_f64() * 1e3;
        let items: Vec<(&str, &ResultSummary)> = candidates.iter().map(|(_, c)| (c.change.id.as_str(), &c.summary)).collect();
        let claims = self.ledger.claim_many(&items).await?;
        let claimed = ms(started);
        let new: Vec<&ResultSummary> =
            candidates.iter().zip(&claims).filter(|(_, k)| **k == Claim::New).map(|((_, c), _)| &c.summary).collect();
        self.ledger.count_many(&new).await?;
        let counted = ms(started);
        let mut outcomes: Vec<Result<Outcome, FnError>> = Vec::with_capacity(candidates.len());
        let mut cards: Vec<(usize, EmailMessage)> = Vec::new();
        let mut events: Vec<(&str, Event)> = Vec::new();
        for (k, ((_, c), claim)) in candidates.iter().zip(&claims).enumerate() {
            if *claim == Claim::Sent {
                outcomes.push(Ok(Outcome::skipped(format!("score card of {} already sent", c.change.id))));
            } else {
                outcomes.push(Ok(Outcome::skipped(String::new()))); // replaced below
                let (message, event) = self.card(c);
                cards.push((k, message));
                events.push((c.change.id.as_str(), event));
            }
        }
        let built = ms(started);
        let acks = self.mailer.send_many(&events).await;
        let emitted = ms(started);
        let mut sent: Vec<&str> = Vec::with_capacity(cards.len());
        for (((k, message), ack), (id, _)) in cards.iter().zip(acks).zip(&events) {
            let (_, c) = &candidates[*k];
            outcomes[*k] = match ack {
                Ok(()) => {
                    sent.push(id);
                    Ok(Self::done(c, message, claims[*k]))
                }
                Err(e) => Err(e),
            };
        }
        self.ledger.mark_sent_many(&sent).await?;
        tracing::debug!(results = candidates.len(), new = new.len(), sent = sent.len(), claimed_ms = claimed, counted_ms = counted,
            built_ms = built, emitted_ms = emitted, marked_ms = ms(started), "batch steps (cumulative)");
        Ok(outcomes)
    }
}

impl<L: Ledger, M: Mailer> Handler for ScoreCalc<L, M> {
    async fn handle(&self, event: Event) -> Result<Outcome, FnError> {
        let change = change_of(&event)?;
        self.on_change(change).await
    }

    async fn handle_batch(&self, events: Vec<Event>) -> Vec<Result<Outcome, FnError>> {
        self.on_changes(events.iter().map(change_of).collect()).await
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
    examfn_runtime::server::block_on_configured(&common.clone(), async move {
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
