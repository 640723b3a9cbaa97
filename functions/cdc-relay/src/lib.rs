//! cdc-relay: the local stand-in for Debezium's MongoDB connector.
//!
//! It watches one collection (`exams.score`) with a MongoDB change stream
//! and produces, for every change, the records Debezium 2.x would produce
//! (see [`envelope`]) to `mongo-trigger-topic.exams.score`, so score-calc sees
//! locally exactly what it sees in the cluster.
//!
//! # Nothing lost
//!
//! After the broker **confirmed** a change's records, the change's resume
//! token is stored in `exams.cdc_offsets` (`{_id: "<db>.<collection>",
//! resume_token, updated_at, snapshot_done}`); on start the relay resumes
//! after the stored token. So:
//!
//! * relay killed before the produce was confirmed: the token was not stored,
//!   the change is read and produced again after the restart;
//! * relay killed after the produce, before the token was stored: the change
//!   is produced a second time (consumers are idempotent; score-calc sends
//!   one score card per document regardless);
//! * broker down: the produce is retried with backoff (the change stream is
//!   not read further) until it is confirmed or the relay stops;
//! * MongoDB down: the change stream fails; the relay reconnects with backoff
//!   and resumes after the last confirmed token.
//!
//! Delivery is therefore at-least-once and in order. With `CDC_SNAPSHOT=true`
//! the first start (no stored offset) also emits every existing document as
//! `op: r`, after opening the stream (changes during the snapshot come out
//! twice rather than never).

pub mod envelope;

use std::sync::Arc;
use std::time::{Duration, Instant};

use envelope::{Format, Kind, Origin, Record};
use examfn_runtime::cloudevents::Event;
use examfn_runtime::config::{ConfigError, Env};
use examfn_runtime::kafka::{backoff, Emitter};
use examfn_runtime::metrics::Metrics;
use examfn_runtime::mongo::MongoConfig;
use examfn_runtime::{CommonConfig, FnError, Handler, Outcome, Service, Transport};
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, DateTime, Document};
use mongodb::change_stream::event::{ChangeStreamEvent, OperationType, ResumeToken};
use mongodb::options::{FullDocumentType, UpdateOptions};
use mongodb::{Collection, Database};
use tokio::sync::watch;

/// The function's name.
pub const NAME: &str = "cdc-relay";
/// Collection of stored resume tokens.
pub const OFFSETS_COLLECTION: &str = "cdc_offsets";

/// The relay's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub mongo: MongoConfig,
    pub kafka_brokers: String,
    pub collection: String,
    pub topic: String,
    pub prefix: String,
    pub snapshot: bool,
    pub schemas: bool,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mongo = MongoConfig::from_env(env)?;
        let collection = env.string_or("CDC_COLLECTION", examfn_domain::names::SCORE_COLLECTION);
        let prefix = env.string_or("CDC_TOPIC_PREFIX", "mongo-trigger-topic");
        let default_topic = format!("{prefix}.{}.{collection}", mongo.database);
        Ok(Self {
            kafka_brokers: env.required("KAFKA_BROKERS")?,
            topic: env.string_or("CDC_TOPIC", &default_topic),
            snapshot: env.flag("CDC_SNAPSHOT", false)?,
            schemas: env.flag("CDC_SCHEMAS", true)?,
            collection,
            prefix,
            mongo,
        })
    }

    /// How records are named and formatted.
    pub fn format(&self) -> Format {
        Format {
            prefix: self.prefix.clone(),
            db: self.mongo.database.clone(),
            collection: self.collection.clone(),
            schemas: self.schemas,
        }
    }
}

/// Why a relay session ended (it is restarted unless stopped).
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
    #[error("stored resume token is unreadable: {0}")]
    Token(String),
    #[error("the change stream ended")]
    Ended,
}

/// Where the stream stands.
#[derive(Debug, Clone, Default)]
struct Position {
    loaded: bool,
    token: Option<ResumeToken>,
    /// The token is an invalidate event's: resume with `startAfter`.
    start_after: bool,
    snapshot_done: bool,
}

/// Counters the tests and `/metrics` read.
#[derive(Debug, Default)]
pub struct Progress {
    pub changes: std::sync::atomic::AtomicU64,
    pub records: std::sync::atomic::AtomicU64,
    pub reconnects: std::sync::atomic::AtomicU64,
    /// Change streams opened (the first one is open once this is 1).
    pub streams_opened: std::sync::atomic::AtomicU64,
}

/// The relay loop.
pub struct Relay {
    db: Database,
    collection: Collection<Document>,
    offsets: Collection<Document>,
    producer: Emitter,
    topic: String,
    format: Format,
    snapshot: bool,
    backoff: (Duration, Duration),
    pub progress: Arc<Progress>,
    metrics: Option<Arc<Metrics>>,
}

impl Relay {
    pub fn new(db: Database, producer: Emitter, cfg: &Config) -> Self {
        Self {
            collection: db.collection(&cfg.collection),
            offsets: db.collection(OFFSETS_COLLECTION),
            db,
            producer,
            topic: cfg.topic.clone(),
            format: cfg.format(),
            snapshot: cfg.snapshot,
            backoff: (Duration::from_millis(200), Duration::from_secs(10)),
            progress: Arc::default(),
            metrics: None,
        }
    }

    /// Count produced changes in the service's `/metrics`.
    pub fn with_metrics(mut self, m: Arc<Metrics>) -> Self {
        self.metrics = Some(m);
        self
    }

    fn offset_id(&self) -> String {
        format!("{}.{}", self.format.db, self.format.collection)
    }

    /// Run until `stop` turns true, reconnecting with backoff.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        let mut pos = Position::default();
        let mut failures = 0u32;
        tracing::info!(collection = %self.offset_id(), topic = %self.topic, snapshot = self.snapshot, "relaying changes");
        loop {
            if *stop.borrow() {
                break;
            }
            match self.session(&mut pos, &mut stop, &mut failures).await {
                Ok(()) => break,
                Err(e) => {
                    failures += 1;
                    self.progress.reconnects.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let wait = backoff(self.backoff.0, self.backoff.1, failures);
                    tracing::warn!(error = %e, wait_ms = wait.as_millis() as u64, "change stream interrupted; reconnecting");
                    if sleep_or_stop(wait, &mut stop).await {
                        break;
                    }
                }
            }
        }
        tracing::info!("relay stopped");
    }

    async fn load(&self, pos: &mut Position) -> Result<(), RelayError> {
        let stored = self.offsets.find_one(doc! {"_id": self.offset_id()}).await?;
        if let Some(d) = stored {
            pos.token = match d.get("resume_token") {
                None | Some(Bson::Null) => None,
                Some(b) => Some(mongodb::bson::from_bson(b.clone()).map_err(|e| RelayError::Token(e.to_string()))?),
            };
            pos.start_after = d.get_bool("start_after").unwrap_or(false);
            pos.snapshot_done = d.get_bool("snapshot_done").unwrap_or(true);
            tracing::info!(has_token = pos.token.is_some(), "resuming from the stored offset");
        }
        pos.loaded = true;
        Ok(())
    }

    async fn store(&self, pos: &Position) -> Result<(), RelayError> {
        let token = match &pos.token {
            Some(t) => mongodb::bson::to_bson(t).map_err(|e| RelayError::Token(e.to_string()))?,
            None => Bson::Null,
        };
        self.offsets
            .update_one(
                doc! {"_id": self.offset_id()},
                doc! {"$set": {"resume_token": token, "start_after": pos.start_after,
                               "snapshot_done": pos.snapshot_done, "updated_at": DateTime::now()}},
            )
            .with_options(UpdateOptions::builder().upsert(true).build())
            .await?;
        Ok(())
    }

    /// One change stream: `Ok` when stopped, `Err` when it must be reopened.
    async fn session(&self, pos: &mut Position, stop: &mut watch::Receiver<bool>, failures: &mut u32) -> Result<(), RelayError> {
        if !pos.loaded {
            self.load(pos).await?;
        }
        let mut watch = self.collection.watch().full_document(FullDocumentType::UpdateLookup);
        watch = match (&pos.token, pos.start_after) {
            (Some(t), false) => watch.resume_after(t.clone()),
            (Some(t), true) => watch.start_after(t.clone()),
            (None, _) => watch,
        };
        let mut stream = watch.await?;
        self.progress.streams_opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.snapshot && !pos.snapshot_done {
            if !self.run_snapshot(stop).await? {
                return Ok(());
            }
            pos.snapshot_done = true;
            if pos.token.is_none() {
                pos.token = stream.resume_token();
            }
            self.store(pos).await?;
        }
        if pos.token.is_none() {
            // First start: remember where the stream began (the server's
            // post-batch resume token), so a relay killed before its first
            // change still resumes from here instead of from "now".
            if let Some(t) = stream.resume_token() {
                pos.token = Some(t);
                pos.snapshot_done |= !self.snapshot;
                self.store(pos).await?;
            }
        }
        *failures = 0;
        loop {
            let next = tokio::select! {
                n = stream.next_if_any() => n?,
                _ = stop.wait_for(|s| *s) => return Ok(()),
            };
            let Some(ev) = next else {
                if !stream.is_alive() {
                    return Err(RelayError::Ended);
                }
                continue;
            };
            let started = Instant::now();
            let invalidate = ev.operation_type == OperationType::Invalidate;
            let records = self.records_of(&ev);
            for r in &records {
                if !self.produce(r, stop).await {
                    return Ok(()); // stopped before confirmation: the token is not stored
                }
            }
            pos.token = Some(ev.id.clone());
            pos.start_after = invalidate;
            // A failed store is not fatal: the change is re-produced after a restart.
            if let Err(e) = self.store(pos).await {
                tracing::warn!(error = %e, "cannot store the resume token yet");
            }
            self.progress.changes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.progress.records.fetch_add(records.len() as u64, std::sync::atomic::Ordering::Relaxed);
            if let Some(m) = &self.metrics {
                m.observe(if records.is_empty() { "skipped" } else { "ok" }, started.elapsed());
            }
            if invalidate {
                tracing::warn!("change stream invalidated (collection dropped or renamed); starting after it");
                return Err(RelayError::Ended);
            }
        }
    }

    /// `true` when done, `false` when stopped.
    async fn run_snapshot(&self, stop: &mut watch::Receiver<bool>) -> Result<bool, RelayError> {
        tracing::info!("snapshot: emitting every existing document as op r");
        let mut cursor = self.collection.find(doc! {}).await?;
        let mut pending: Option<Document> = None;
        let mut n = 0u64;
        loop {
            let next = cursor.try_next().await?;
            if let Some(prev) = pending.take() {
                let snapshot = if next.is_none() { "last" } else { "true" };
                let origin = Origin { ts_ms: now_ms(), ord: 1, snapshot, wall_time_ms: None };
                let id = prev.get("_id").cloned().unwrap_or(Bson::Null);
                for r in self.format.records(&id, &Kind::Read(&prev), &origin, now_ms()) {
                    if !self.produce(&r, stop).await {
                        return Ok(false);
                    }
                }
                n += 1;
            }
            match next {
                Some(d) => pending = Some(d),
                None => break,
            }
        }
        tracing::info!(documents = n, "snapshot done");
        Ok(true)
    }

    fn records_of(&self, ev: &ChangeStreamEvent<Document>) -> Vec<Record> {
        let id = ev
            .document_key
            .as_ref()
            .and_then(|k| k.get("_id").cloned())
            .or_else(|| ev.full_document.as_ref().and_then(|d| d.get("_id").cloned()));
        let Some(id) = id else {
            if !matches!(ev.operation_type, OperationType::Invalidate | OperationType::Drop | OperationType::Rename) {
                tracing::warn!(op = ?ev.operation_type, "change without a document key; skipped");
            }
            return Vec::new();
        };
        let (ts_ms, ord) = match ev.cluster_time {
            Some(t) => (i64::from(t.time) * 1000, i64::from(t.increment)),
            None => (ev.wall_time.map_or_else(now_ms, |w| w.timestamp_millis()), 1),
        };
        let origin = Origin { ts_ms, ord, snapshot: "false", wall_time_ms: ev.wall_time.map(|w| w.timestamp_millis()) };
        let empty: Vec<String> = Vec::new();
        let kind = match &ev.operation_type {
            OperationType::Insert => match &ev.full_document {
                Some(d) => Kind::Create(d),
                None => return Vec::new(),
            },
            OperationType::Update => {
                let (updated, removed) = match &ev.update_description {
                    Some(u) => (Some(&u.updated_fields), u.removed_fields.as_slice()),
                    None => (None, empty.as_slice()),
                };
                Kind::Update { after: ev.full_document.as_ref(), updated, removed }
            }
            OperationType::Replace => Kind::Update { after: ev.full_document.as_ref(), updated: None, removed: &empty },
            OperationType::Delete => Kind::Delete,
            other => {
                tracing::info!(op = ?other, "change type Debezium does not emit; skipped");
                return Vec::new();
            }
        };
        self.format.records(&id, &kind, &origin, now_ms())
    }

    /// Produce one record, retrying until the broker confirms (`true`) or
    /// the relay is stopped (`false`).
    async fn produce(&self, r: &Record, stop: &mut watch::Receiver<bool>) -> bool {
        let mut n = 0u32;
        loop {
            let send = self.producer.send(&self.topic, Some(&r.key), r.value.as_deref(), &[]);
            let result = tokio::select! {
                res = send => res,
                _ = stop.wait_for(|s| *s) => return false,
            };
            match result {
                Ok(()) => return true,
                Err(e) => {
                    n += 1;
                    let wait = backoff(self.backoff.0, self.backoff.1, n);
                    tracing::warn!(error = %e.message(), attempt = n, "produce failed; retrying the same change");
                    if sleep_or_stop(wait, stop).await {
                        return false;
                    }
                }
            }
        }
    }

    /// Readiness: MongoDB answers.
    pub async fn ready(&self) -> Result<(), String> {
        examfn_runtime::mongo::ping(&self.db).await
    }
}

fn now_ms() -> i64 {
    DateTime::now().timestamp_millis()
}

async fn sleep_or_stop(d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = stop.wait_for(|s| *s) => true,
    }
}

/// The HTTP side of the relay: health and metrics only.
pub struct Health {
    pub db: Database,
}

impl Handler for Health {
    async fn handle(&self, _event: Event) -> Result<Outcome, FnError> {
        Err(FnError::bad_input("cdc-relay takes no events"))
    }

    async fn ready(&self) -> Result<(), String> {
        examfn_runtime::mongo::ping(&self.db).await
    }
}

/// Build the relay and its service from configuration.
pub async fn build(cfg: &Config) -> anyhow::Result<(Relay, Service<Health>)> {
    let client = examfn_runtime::mongo::client(&cfg.mongo).await?;
    let db = client.database(&cfg.mongo.database);
    let service = Service::new(NAME, Arc::new(Health { db: db.clone() })).without_event_endpoint();
    let relay = Relay::new(db, Emitter::new(&cfg.kafka_brokers)?, cfg).with_metrics(service.metrics());
    Ok((relay, service))
}

/// Entry point of the binary and of `examfn run cdc-relay`.
pub fn main() -> anyhow::Result<()> {
    let env = Env::from_process();
    let cfg = Config::from_env(&env)?;
    let mut common = CommonConfig::from_env(&env, Some(&cfg.topic), NAME)?;
    // The relay is a producer: it never consumes, whatever FUNC_TRANSPORT says.
    common.transport = Transport::Http;
    common.consumer = None;
    examfn_runtime::telemetry::init(common.log_format, &common.log_filter);
    examfn_runtime::server::block_on_configured(&common.clone(), async move {
        let (relay, service) = build(&cfg).await?;
        let stop = examfn_runtime::server::shutdown_signal();
        let http = examfn_runtime::server::serve_until(&common, service, stop.clone());
        let (served, ()) = tokio::join!(http, relay.run(stop));
        served?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults() {
        let env = Env::from_pairs([("KAFKA_BROKERS", "b:1"), ("MONGODB_URI", "mongodb://x/")]);
        let c = Config::from_env(&env).unwrap();
        assert_eq!(c.topic, "mongo-trigger-topic.exams.score");
        assert_eq!(c.collection, "score");
        assert_eq!(c.prefix, "mongo-trigger-topic");
        assert!(!c.snapshot && c.schemas);
        assert_eq!(c.format().topic(), c.topic);
        let env = Env::from_pairs([
            ("KAFKA_BROKERS", "b:1"),
            ("MONGODB_URI", "mongodb://x/"),
            ("MONGODB_DB", "t1"),
            ("CDC_TOPIC_PREFIX", "p"),
            ("CDC_COLLECTION", "c"),
            ("CDC_SNAPSHOT", "true"),
            ("CDC_SCHEMAS", "false"),
        ]);
        let c = Config::from_env(&env).unwrap();
        assert_eq!(c.topic, "p.t1.c");
        assert!(c.snapshot && !c.schemas);
        assert!(Config::from_env(&Env::from_pairs([("MONGODB_URI", "mongodb://x/")]))
            .unwrap_err()
            .to_string()
            .contains("KAFKA_BROKERS"));
    }
}
