//! The Kafka transport and the producer helper.
//!
//! Consuming: records are taken in the order they arrive. After one record
//! arrives, the records librdkafka has already fetched are taken too, without
//! waiting, up to `KAFKA_BATCH_MAX` (default 500), and handed to the
//! handler's [`Handler::handle_batch`] in one call (with `KAFKA_BATCH_MAX=1`
//! every record goes through [`Handler::handle`] alone, as before). Records
//! are then settled in their order: an offset is *stored* only after its
//! record, and every record before it, was handled (or dead-lettered), and
//! librdkafka commits stored offsets in the background and once more,
//! synchronously, on shutdown — at-least-once delivery: a crash redelivers,
//! never skips. Retryable failures are retried with exponential backoff up to
//! `KAFKA_MAX_RETRIES`; a record whose batch attempt failed is retried alone
//! (one shared backoff wait for the batch, then the record's own retries), so
//! one poison record never holds the others back. A record that still fails,
//! or fails permanently, or is not a usable record at all, is written to the
//! dead-letter topic with the reason and its original coordinates before its
//! offset is stored. If even the dead-letter write fails, the offset is not
//! stored and the write is retried: nothing accepted is dropped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cloudevents::Event;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use tokio::sync::watch;
use tracing::Instrument;

use crate::config::KafkaConsumerConfig;
use crate::event::{self, KafkaRecord};
use crate::handler::{Handler, Outcome};
use crate::http::dispatch;
use crate::metrics::Metrics;
use crate::FnError;

/// Namespace a local KafkaSource-like source reports in `source`.
pub const LOCAL_NAMESPACE: &str = "local";

/// A Kafka client failure at start-up.
#[derive(Debug, thiserror::Error)]
#[error("kafka: {0}")]
pub struct KafkaSetupError(#[from] rdkafka::error::KafkaError);

/// Publishes records and CloudEvents, confirming delivery before returning.
#[derive(Clone)]
pub struct Emitter {
    producer: FutureProducer,
    timeout: Duration,
}

impl std::fmt::Debug for Emitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emitter").finish_non_exhaustive()
    }
}

impl Emitter {
    /// A producer for `brokers`. No connection is made until the first send.
    pub fn new(brokers: &str) -> Result<Self, KafkaSetupError> {
        let producer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("message.timeout.ms", "15000")
            .set("acks", "all")
            .set("linger.ms", "1")
            .set("enable.idempotence", "false")
            .create()?;
        Ok(Self { producer, timeout: Duration::from_secs(15) })
    }

    /// Publish an event in binary mode (`ce_*` headers), keyed.
    pub async fn emit(&self, topic: &str, key: &str, ev: &Event) -> Result<(), FnError> {
        let (headers, value) = event::to_kafka(ev);
        self.send(topic, Some(key.as_bytes()), value.as_deref(), &headers).await
    }

    /// Publish a raw record and wait for the broker's acknowledgement.
    /// Failure is [`FnError::Unavailable`]: the caller's work is retried.
    pub async fn send(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(String, Vec<u8>)],
    ) -> Result<(), FnError> {
        let mut h = OwnedHeaders::new_with_capacity(headers.len());
        for (k, v) in headers {
            h = h.insert(Header { key: k, value: Some(v.as_slice()) });
        }
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).headers(h);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(v) = value {
            record = record.payload(v);
        }
        match self.producer.send(record, Timeout::After(self.timeout)).await {
            Ok(_) => Ok(()),
            // Too large for the producer or the broker: no retry changes that.
            Err((e @ KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge), _)) => {
                Err(FnError::permanent(format!("producing to {topic} failed: {e}")))
            }
            Err((e, _)) => Err(FnError::unavailable(format!("producing to {topic} failed: {e}"))),
        }
    }
}

/// A received message as an owned [`KafkaRecord`] (what the transport and
/// the tests that read topics work with).
pub fn owned_record(msg: &impl Message) -> KafkaRecord {
    let headers = msg
        .headers()
        .map(|hs| hs.iter().map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec))).collect())
        .unwrap_or_default();
    KafkaRecord {
        topic: msg.topic().to_string(),
        partition: msg.partition(),
        offset: msg.offset(),
        key: msg.key().map(<[u8]>::to_vec),
        value: msg.payload().map(<[u8]>::to_vec),
        headers,
        timestamp_ms: msg.timestamp().to_millis(),
    }
}

/// Create topics that do not exist yet (the broker does not auto-create).
/// Existing topics are left as they are.
pub async fn ensure_topics(brokers: &str, names: &[&str], partitions: i32) -> Result<(), FnError> {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::types::RDKafkaErrorCode;
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .map_err(|e| FnError::unavailable(format!("kafka admin client: {e}")))?;
    let topics: Vec<NewTopic<'_>> =
        names.iter().map(|n| NewTopic::new(n, partitions, TopicReplication::Fixed(1))).collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin
        .create_topics(&topics, &opts)
        .await
        .map_err(|e| FnError::unavailable(format!("creating topics: {e}")))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => return Err(FnError::unavailable(format!("cannot create topic {name}: {code:?}"))),
        }
    }
    Ok(())
}

/// Exponential backoff for attempt `n` (1-based), capped.
pub fn backoff(base: Duration, max: Duration, n: u32) -> Duration {
    let factor = 2u32.saturating_pow(n.saturating_sub(1).min(20));
    base.saturating_mul(factor).min(max)
}

/// The headers a dead-lettered record carries besides its own.
pub fn dlq_headers(rec: &KafkaRecord, function: &str, err: &FnError, attempts: u32) -> Vec<(String, Vec<u8>)> {
    let mut h: Vec<(String, Vec<u8>)> = rec
        .headers
        .iter()
        .filter(|(k, _)| !k.starts_with("dlq_"))
        .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
        .collect();
    let mut add = |k: &str, v: String| h.push((k.to_string(), v.into_bytes()));
    add("dlq_error", err.message().to_string());
    add("dlq_kind", err.kind().to_string());
    add("dlq_status", err.status().as_u16().to_string());
    add("dlq_topic", rec.topic.clone());
    add("dlq_partition", rec.partition.to_string());
    add("dlq_offset", rec.offset.to_string());
    add("dlq_attempts", attempts.to_string());
    add("dlq_function", function.to_string());
    add("dlq_time", chrono::Utc::now().to_rfc3339());
    h
}

enum Done {
    Handled,
    Stopped,
}

async fn sleep_or_stop(d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = stop.wait_for(|s| *s) => true,
    }
}

/// Consume `cfg.topic` until `stop` turns true.
pub async fn consume<H: Handler>(
    cfg: &KafkaConsumerConfig,
    function: &str,
    handler: Arc<H>,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), KafkaSetupError> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &cfg.brokers)
        .set("group.id", &cfg.group)
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "500")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "10000")
        .set("max.poll.interval.ms", "600000")
        // The local broker (tansu) answers an empty fetch only when the wait
        // expires, not when a record arrives: a short wait keeps the
        // insert-to-email path fast at the cost of a few idle fetches.
        .set("fetch.wait.max.ms", "20")
        // Prefetch about two batches, not librdkafka's default of up to
        // 64 MiB / 100,000 messages: a backlog is then read as it is worked
        // off instead of all at once, which starves the local broker's
        // produce path (the function's own output) while it serves it.
        .set("queued.min.messages", (2 * cfg.batch_max).max(100).to_string())
        .set("queued.max.messages.kbytes", "4096")
        .create()?;
    if cfg.subscribe {
        consumer.subscribe(&[&cfg.topic])?;
    } else if !assign_all(&consumer, &cfg.topic, &mut stop).await? {
        return Ok(());
    }
    let dlq = Emitter::new(&cfg.brokers)?;
    tracing::info!(topic = %cfg.topic, group = %cfg.group, dlq = %cfg.dlq_topic, subscribe = cfg.subscribe, "consuming");

    let mut batch: Vec<KafkaRecord> = Vec::with_capacity(cfg.batch_max);
    loop {
        let msg = tokio::select! {
            m = consumer.recv() => m,
            _ = stop.wait_for(|s| *s) => break,
        };
        match msg {
            Ok(m) => batch.push(owned_record(&m)),
            Err(e) => {
                tracing::warn!(error = %e, "kafka receive failed; retrying");
                if sleep_or_stop(Duration::from_millis(500), &mut stop).await {
                    break;
                }
                continue;
            }
        };
        // Whatever is already fetched joins the batch; nothing waits for more.
        while batch.len() < cfg.batch_max {
            match tokio::time::timeout(Duration::ZERO, consumer.recv()).await {
                Ok(Ok(m)) => batch.push(owned_record(&m)),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "kafka receive failed while filling a batch");
                    break;
                }
                Err(_) => break,
            }
        }
        let store = |rec: &KafkaRecord| {
            if let Err(e) = consumer.store_offset(&rec.topic, rec.partition, rec.offset) {
                // A rebalance took the partition away: the next owner redelivers it.
                tracing::warn!(error = %e, partition = rec.partition, offset = rec.offset, "cannot store offset");
            }
        };
        let done = settle(cfg, function, &*handler, &metrics, &dlq, &batch, &mut stop, store).await;
        batch.clear();
        if let Done::Stopped = done {
            break;
        }
    }
    match consumer.commit_consumer_state(CommitMode::Sync) {
        Ok(()) => tracing::info!("offsets committed; consumer stopped"),
        Err(e) => tracing::info!(error = %e, "final commit skipped; consumer stopped"),
    }
    Ok(())
}

/// Static assignment of every partition of `topic`, each starting at the
/// group's committed offset (earliest when none). No group membership: the
/// local broker's group coordinator (tansu 0.6) crashes when a member's
/// connection drops mid-rebalance, e.g. when a function is SIGKILLed, while
/// plain offset commits and fetches work. Returns false when stopped first.
async fn assign_all(consumer: &StreamConsumer, topic: &str, stop: &mut watch::Receiver<bool>) -> Result<bool, KafkaSetupError> {
    use rdkafka::{Offset, TopicPartitionList};
    let mut n = 0u32;
    let partitions = loop {
        match consumer.fetch_metadata(Some(topic), Duration::from_secs(5)) {
            Ok(md) => {
                let count = md.topics().iter().find(|t| t.name() == topic).map_or(0, |t| t.partitions().len());
                if count > 0 {
                    break count;
                }
                tracing::warn!(%topic, "topic has no partitions yet (does it exist?); waiting");
            }
            Err(e) => tracing::warn!(error = %e, %topic, "cannot read topic metadata; waiting"),
        }
        n += 1;
        if sleep_or_stop(backoff(Duration::from_millis(200), Duration::from_secs(5), n), stop).await {
            return Ok(false);
        }
    };
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions as i32 {
        tpl.add_partition_offset(topic, p, Offset::Stored)?;
    }
    consumer.assign(&tpl)?;
    Ok(true)
}

/// Handle `recs` (in arrival order) and call `store` for each record once it
/// and every record before it are settled. Stops early, storing nothing
/// further, when `stop` turns true during a wait.
#[allow(clippy::too_many_arguments)]
async fn settle<H: Handler>(
    cfg: &KafkaConsumerConfig,
    function: &str,
    handler: &H,
    metrics: &Metrics,
    dlq: &Emitter,
    recs: &[KafkaRecord],
    stop: &mut watch::Receiver<bool>,
    mut store: impl FnMut(&KafkaRecord),
) -> Done {
    if cfg.batch_max <= 1 {
        for rec in recs {
            match process(cfg, function, handler, metrics, dlq, rec, 0, stop).await {
                Done::Handled => store(rec),
                Done::Stopped => return Done::Stopped,
            }
        }
        return Done::Handled;
    }
    // Records that are not usable events skip the batch (`process` dead-letters them).
    let mut slots: Vec<Option<usize>> = Vec::with_capacity(recs.len());
    let mut events = Vec::with_capacity(recs.len());
    for rec in recs {
        match usable(cfg, rec) {
            Ok(ev) => {
                slots.push(Some(events.len()));
                events.push(ev);
            }
            Err(_) => slots.push(None),
        }
    }
    let results = if events.is_empty() { Vec::new() } else { dispatch_batch(handler, metrics, events).await };
    let mut waited = false;
    for (rec, slot) in recs.iter().zip(slots) {
        let done = match slot.and_then(|i| results.get(i)) {
            Some(Ok(_)) => Done::Handled,
            Some(Err(e)) if e.is_retryable() && cfg.max_retries >= 1 => {
                metrics.retry();
                if !waited {
                    // One wait for all the records the batch attempt failed.
                    waited = true;
                    let wait = backoff(cfg.backoff, cfg.backoff_max, 1);
                    tracing::info!(wait_ms = wait.as_millis() as u64, error = %e.message(), "batch attempt failed; retrying its failed records one by one");
                    if sleep_or_stop(wait, stop).await {
                        return Done::Stopped;
                    }
                }
                process(cfg, function, handler, metrics, dlq, rec, 1, stop).await
            }
            Some(Err(e)) => {
                if e.is_retryable() {
                    if let Ok(ev) = usable(cfg, rec) {
                        handler.gave_up(&ev, e).await;
                    }
                }
                dead_letter(cfg, function, metrics, dlq, rec, e, 1, stop).await
            }
            // Not a usable event, or past the prefix the handler attempted.
            None => process(cfg, function, handler, metrics, dlq, rec, 0, stop).await,
        };
        match done {
            Done::Handled => store(rec),
            Done::Stopped => return Done::Stopped,
        }
    }
    Done::Handled
}

/// [`Handler::handle_batch`] with a span, metrics per event (each event's
/// latency is the batch's) and one log line per batch.
async fn dispatch_batch<H: Handler>(handler: &H, metrics: &Metrics, events: Vec<Event>) -> Vec<Result<Outcome, FnError>> {
    let n = events.len();
    let (first_id, _, _) = event::describe(&events[0]);
    let span = tracing::info_span!("batch", events = n, ce.id = %first_id);
    async move {
        let started = Instant::now();
        let mut results = handler.handle_batch(events).await;
        let took = started.elapsed();
        results.truncate(n);
        let (mut ok, mut skipped, mut failed) = (0usize, 0usize, 0usize);
        for r in &results {
            match r {
                Ok(Outcome::Done(_)) => {
                    ok += 1;
                    metrics.observe("ok", took);
                }
                Ok(Outcome::Skipped(reason)) => {
                    skipped += 1;
                    metrics.observe("skipped", took);
                    tracing::debug!(%reason, "skipped");
                }
                Err(e) => {
                    failed += 1;
                    metrics.observe(e.kind(), took);
                    tracing::warn!(kind = e.kind(), error = %e.message(), "failed in a batch");
                }
            }
        }
        tracing::info!(events = n, attempted = results.len(), ok, skipped, failed,
            took_ms = took.as_secs_f64() * 1e3, "batch handled");
        results
    }
    .instrument(span)
    .await
}

/// The record as an event, unless it is larger than the body limit (read no
/// further: bad input, straight to the dead-letter topic) or not an event.
fn usable(cfg: &KafkaConsumerConfig, rec: &KafkaRecord) -> Result<Event, FnError> {
    let size = rec.value.as_ref().map_or(0, Vec::len);
    if size > cfg.max_record_bytes {
        return Err(FnError::bad_input(format!(
            "the record is {size} bytes, larger than MAX_BODY_BYTES ({})",
            cfg.max_record_bytes
        )));
    }
    event::from_kafka(rec, LOCAL_NAMESPACE, &cfg.group)
}

/// Handle one record: parse, call the handler, retry retryable failures with
/// backoff, dead-letter what still fails. `tried` attempts were already made
/// (by a batch) and failed retryably, and the backoff after them was waited.
#[allow(clippy::too_many_arguments)]
async fn process<H: Handler>(
    cfg: &KafkaConsumerConfig,
    function: &str,
    handler: &H,
    metrics: &Metrics,
    dlq: &Emitter,
    rec: &KafkaRecord,
    tried: u32,
    stop: &mut watch::Receiver<bool>,
) -> Done {
    let (err, attempts) = match usable(cfg, rec) {
        Err(e) => {
            metrics.observe(e.kind(), Duration::ZERO);
            tracing::warn!(error = %e.message(), partition = rec.partition, offset = rec.offset, "not a usable record");
            (e, 0)
        }
        Ok(ev) => {
            let mut attempt = tried;
            loop {
                attempt += 1;
                match dispatch(handler, metrics, ev.clone()).await {
                    Ok(_) => return Done::Handled,
                    Err(e) if e.is_retryable() && attempt <= cfg.max_retries => {
                        metrics.retry();
                        let wait = backoff(cfg.backoff, cfg.backoff_max, attempt);
                        tracing::info!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
                        if sleep_or_stop(wait, stop).await {
                            return Done::Stopped;
                        }
                    }
                    Err(e) => {
                        if e.is_retryable() {
                            handler.gave_up(&ev, &e).await;
                        }
                        break (e, attempt);
                    }
                }
            }
        }
    };
    dead_letter(cfg, function, metrics, dlq, rec, &err, attempts, stop).await
}

/// Write `rec` to the dead-letter topic with the reason, retrying the write
/// until it succeeds (or `stop`).
#[allow(clippy::too_many_arguments)]
async fn dead_letter(
    cfg: &KafkaConsumerConfig,
    function: &str,
    metrics: &Metrics,
    dlq: &Emitter,
    rec: &KafkaRecord,
    err: &FnError,
    attempts: u32,
    stop: &mut watch::Receiver<bool>,
) -> Done {
    let mut headers = dlq_headers(rec, function, err, attempts);
    let mut value = rec.value.as_deref();
    let mut n = 0u32;
    loop {
        match dlq.send(&cfg.dlq_topic, rec.key.as_deref(), value, &headers).await {
            Ok(()) => {
                metrics.dead_lettered();
                tracing::warn!(dlq = %cfg.dlq_topic, partition = rec.partition, offset = rec.offset,
                    kind = err.kind(), error = %err.message(), "dead-lettered");
                return Done::Handled;
            }
            Err(e) if !e.is_retryable() && value.is_some() => {
                // The record is too large for the dead-letter topic: keep its
                // coordinates and reason, and say where its value went.
                let size = value.map_or(0, <[u8]>::len);
                tracing::warn!(error = %e, size, "record too large for the dead-letter topic; dead-lettering it without its value");
                headers.push(("dlq_value_omitted".into(), format!("{size} bytes: too large to copy; read it at dlq_topic/dlq_partition/dlq_offset").into_bytes()));
                value = None;
            }
            Err(e) => {
                n += 1;
                tracing::error!(error = %e, "dead-letter write failed; the record is kept and retried");
                if sleep_or_stop(backoff(cfg.backoff, cfg.backoff_max, n), stop).await {
                    return Done::Stopped;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Duration::from_millis(100);
        let m = Duration::from_millis(1000);
        assert_eq!(backoff(b, m, 1), Duration::from_millis(100));
        assert_eq!(backoff(b, m, 2), Duration::from_millis(200));
        assert_eq!(backoff(b, m, 4), Duration::from_millis(800));
        assert_eq!(backoff(b, m, 5), m);
        assert_eq!(backoff(b, m, 500), m);
    }

    #[test]
    fn dlq_headers_keep_originals_and_name_the_failure() {
        let rec = KafkaRecord {
            topic: "email-topic".into(),
            partition: 1,
            offset: 7,
            headers: vec![("ce_id".into(), Some(b"x".to_vec()))],
            ..Default::default()
        };
        let h = dlq_headers(&rec, "email", &FnError::permanent("no such exam"), 1);
        let get = |k: &str| h.iter().find(|(n, _)| n == k).map(|(_, v)| String::from_utf8_lossy(v).into_owned());
        assert_eq!(get("ce_id").as_deref(), Some("x"));
        assert_eq!(get("dlq_error").as_deref(), Some("no such exam"));
        assert_eq!(get("dlq_status").as_deref(), Some("422"));
        assert_eq!(get("dlq_offset").as_deref(), Some("7"));
        assert_eq!(get("dlq_topic").as_deref(), Some("email-topic"));
    }
}
